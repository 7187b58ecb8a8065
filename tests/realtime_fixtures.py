"""Realtime fixtures: a Runtime per broker (memory, Redis) on its own database, and a way to start more.

Each runtime gets its own database: a relay is one per database (an advisory lock), so runtimes that share a
database would leave all but one relay on standby.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from db import users as users_db
from feed.accounts import issue_token
from feed.auth import hash_password
from tests import services
from warga.runtime import Parts, Runtime
from warga.settings import Secret, Settings

BROKERS = ["memory", "redis"]
_HASH = hash_password("correct horse battery")


@asynccontextmanager
async def started_runtime(
    pg_admin_url: str,
    redis_url: str | None,
    data_dir: Path,
    parts: Parts = Parts(),
    database_url: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Runtime]:
    """A Runtime on a fresh database (or `database_url`), with the Redis broker when redis_url is given."""
    own = database_url is None
    url = database_url or await services.create_database(pg_admin_url)
    values: dict[str, Any] = {
        "database_url": Secret(url),
        "redis_url": Secret(redis_url) if redis_url else None,
        "data_dir": data_dir,
        "ws_port": services.free_port(),
        "ws_max_per_ip": 10_000,
        "rate_limits": "off",
        "photo_workers": 1,
    }
    values.update(overrides)
    runtime = Runtime(Settings(**values), parts)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        if own:
            await services.drop_database(pg_admin_url, url)


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
def start_runtime(
    broker_kind: str, pg_admin_url: str, redis_url: str, tmp_path: Path
) -> Any:
    """Start a runtime with overridden settings (on a fresh database) for one test."""

    def start(**overrides: Any) -> Any:
        return started_runtime(
            pg_admin_url, redis_url if broker_kind == "redis" else None, tmp_path, **overrides
        )

    return start


def ws_url(runtime: Runtime) -> str:
    assert runtime.realtime.gateway is not None
    return f"ws://127.0.0.1:{runtime.realtime.gateway.port}/ws"


async def new_user(runtime: Runtime, handle: str, role: str = "citizen") -> tuple[int, str]:
    """A user and a live token for it."""
    async with runtime.pool.acquire() as conn:
        row = await users_db.create(conn, handle, _HASH, role)
        assert row is not None
        token = await issue_token(conn, row["id"], 1)
    return row["id"], token
