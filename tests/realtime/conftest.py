"""Realtime fixtures: a Runtime per broker (memory, Redis) on its own database, and a way to start more.

Each runtime gets its own database: a relay is one per database (an advisory lock), so runtimes that share a
database would leave all but one relay on standby.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.realtime_client import started_runtime
from warga.runtime import Runtime

BROKERS = ["memory", "redis"]


@pytest.fixture(scope="session", params=BROKERS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def rt(
    broker_kind: str, pg_admin_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    """A full warga process (HTTP API, gateway, relay) with the parametrized broker."""
    data = Path(tmp_path_factory.mktemp(f"rt-{broker_kind}"))
    async with started_runtime(pg_admin_url, redis_url if broker_kind == "redis" else None, data) as runtime:
        yield runtime


@pytest.fixture
def start_runtime(broker_kind: str, pg_admin_url: str, redis_url: str, tmp_path: Path) -> Any:
    """Start a runtime with overridden settings (on a fresh database) for one test."""

    def start(**overrides: Any) -> Any:
        return started_runtime(
            pg_admin_url, redis_url if broker_kind == "redis" else None, tmp_path, **overrides
        )

    return start
