"""The Runtime: everything a warga process holds open (database, broker, photo pool, realtime), started
and stopped in one place. `warga serve` runs every part; `warga web|realtime|relay|notify` run one each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from db.embedded import EmbeddedPostgres
from db.migrate import migrate
from db.pool import connect, create_pool
from db.server import autovacuum_on
from feed.core.ratelimit import Limits, make_limits
from feed.officials.escalation import Sweeper
from kernel.settings import Settings
from media.processor import PhotoProcessor
from media.storage import Storage, make_storage
from notify.worker import Notifier
from realtime.service import Realtime

log = logging.getLogger("warga")


async def warn_without_autovacuum(conn: asyncpg.Connection) -> bool:
    """Tell the operator, once at start, when PostgreSQL runs with autovacuum off (some CI and tuned
    servers do): warga's queries rely on fresh statistics. Returns whether it warned."""
    if await autovacuum_on(conn):
        return False
    log.warning(
        "PostgreSQL runs with autovacuum off: table statistics go stale and queries slow down as tables "
        "grow; turn it on (autovacuum = on) or run ANALYZE regularly"
    )
    return True


@dataclass(frozen=True)
class Parts:
    """Which parts this process runs."""

    web: bool = True
    gateway: bool = True
    relay: bool = True
    notify: bool = False  # the Web Push worker: `warga serve` and `warga notify` turn it on


def utcnow() -> datetime:
    return datetime.now(UTC)


class Runtime:
    def __init__(self, settings: Settings, parts: Parts = Parts()) -> None:
        self.settings = settings
        self.parts = parts
        self.dsn = ""
        # Replaced in tests that need to move time (response clocks, escalation).
        self.clock: Callable[[], datetime] = utcnow
        self._embedded: EmbeddedPostgres | None = None
        self._pool: asyncpg.Pool | None = None
        self._photos: PhotoProcessor | None = None
        self._storage: Storage | None = None
        self._realtime: Realtime | None = None
        self._limits: Limits | None = None
        self.sweeper: Sweeper | None = None  # escalation sweep (relay processes); tests pause it
        self.notifier: Notifier | None = None  # the Web Push worker (docs/notifications.md)

    # Typed accessors: using a part before start() is a programming error, said plainly.
    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "Runtime.start() first"
        return self._pool

    @property
    def photos(self) -> PhotoProcessor:
        assert self._photos is not None, "Runtime.start() first"
        return self._photos

    @property
    def storage(self) -> Storage:
        assert self._storage is not None, "Runtime.start() first"
        return self._storage

    @property
    def limits(self) -> Limits:
        assert self._limits is not None, "Runtime.start() first"
        return self._limits

    @property
    def realtime(self) -> Realtime:
        assert self._realtime is not None, "Runtime.start() first"
        return self._realtime

    async def start(self, *, run_migrations: bool = True) -> None:
        self.dsn = await self._database_url()
        if run_migrations:
            conn = await connect(self.dsn)
            try:
                await migrate(conn)
                await warn_without_autovacuum(conn)
            finally:
                await conn.close()
        s = self.settings
        self._pool = await create_pool(self.dsn, s.pool_min, s.pool_max)
        self._storage = make_storage(s)
        self._limits = make_limits(s.rate_limits, s.redis_url.reveal() if s.redis_url else None)
        if self.parts.web:
            self._photos = PhotoProcessor(s)
            self._photos.start()
        self._realtime = Realtime(s, self.pool, self.dsn)
        await self._realtime.start(relay=self.parts.relay, gateway=self.parts.gateway)
        if self.parts.relay:  # the escalation sweep runs beside the relay (docs/officials.md)
            self.sweeper = Sweeper(self)
            self.sweeper.start()
        if self.parts.notify:
            self.notifier = Notifier(self.pool, s)
            await self.notifier.open()
            self.notifier.start()

    async def stop(self) -> None:
        if self.notifier is not None:
            await self.notifier.stop()
            await self.notifier.close()
        if self.sweeper is not None:
            await self.sweeper.stop()
        if self._realtime is not None:
            await self._realtime.stop()
        if self._photos is not None:
            self._photos.stop()
        if self._limits is not None:
            await self._limits.close()
        if self._storage is not None:
            await self._storage.close()
        if self._pool is not None:
            await self._pool.close()
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def _database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url.reveal()
        self._embedded = EmbeddedPostgres(self.settings.pg_path)
        return await asyncio.to_thread(self._embedded.start)
