"""What the HTTP side needs of the running program, typed: `warga/runtime.py` builds it, but feed/ may not
import the composition root (docs/architecture.md), so it names what it uses as Protocols that the real
Runtime satisfies structurally — mypy checks that where warga hands its Runtime to build_app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from starlette.requests import Request

from feed.core.ratelimit import Limits
from kernel.settings import Settings
from media.processor import PhotoProcessor
from media.storage import Storage


class LiveSessions(Protocol):
    """The websocket side, as HTTP handlers reach it: through the broker's control channel."""

    broker_name: str

    async def tokens_revoked(self, user_id: int) -> None: ...

    async def user_changed(self, user_id: int) -> None: ...

    def ws_url(self, request: Any) -> str: ...


class AppRuntime(Protocol):
    settings: Settings
    dsn: str
    clock: Callable[[], datetime]  # replaced in tests that move time

    @property
    def pool(self) -> asyncpg.Pool: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def photos(self) -> PhotoProcessor: ...

    @property
    def limits(self) -> Limits: ...

    @property
    def realtime(self) -> LiveSessions: ...


def runtime_of(request: Request) -> AppRuntime:
    """The running program behind a request (build_app puts it on app.state)."""
    runtime: AppRuntime = request.app.state.runtime
    return runtime
