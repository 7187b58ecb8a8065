"""The outbox relay: publishes committed events to the broker in seq order (at least once across a crash).

One relay is active at a time: it holds a session advisory lock on its own connection, and a second relay
waits as a standby until that connection goes away. It wakes on NOTIFY (sent at commit) with a poll as a
fallback, reads `events.id > published` (safe: ids become visible in commit order, see db/events.py),
publishes, then records how far it got. A crash between publish and record republishes a few events; the
gateway drops any seq a subscription already has, so clients still see each event once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from db import events as events_db
from db.pool import connect
from kernel import metrics
from realtime import channels, wire
from realtime.broker import Broker

log = logging.getLogger("warga.realtime.relay")

BATCH = 500
POLL_S = 1.0
STANDBY_RETRY_S = 1.0
PRUNE_EVERY_S = 600.0
_DATABASE_LOST = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a connection cut mid-query by a server shutting down
)


class Relay:
    def __init__(self, dsn: str, broker: Broker, retention_hours: int) -> None:
        self._dsn = dsn
        self._broker = broker
        self._retention_hours = retention_hours
        self.state = "starting"
        self.published = 0

    async def run(self) -> None:
        """Forever: connect, wait for the lock, relay; any failure reconnects after a pause."""
        while True:
            try:
                conn = await connect(self._dsn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("relay cannot reach the database (%s); retrying", type(exc).__name__)
                await asyncio.sleep(STANDBY_RETRY_S)
                continue
            try:
                while not await events_db.try_relay_lock(conn):
                    self.state = "standby"
                    await asyncio.sleep(STANDBY_RETRY_S)
                self.state = "active"
                log.info("relay active")
                await self._relay(conn)
            except asyncio.CancelledError:
                raise
            except (*_DATABASE_LOST, *self._broker.connection_errors) as exc:
                # An outage (PostgreSQL restarting, Redis gone): nothing was marked published that was
                # not; reconnect and resume from `published` once it is back.
                log.warning("relay lost its database or broker (%s); restarting", type(exc).__name__)
                self.state = "restarting"
                await asyncio.sleep(STANDBY_RETRY_S)
            except Exception:
                # Anything else: nothing was marked published that was not; say it in full, start over.
                log.exception("relay failed; restarting")
                self.state = "restarting"
                await asyncio.sleep(STANDBY_RETRY_S)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(conn.close(timeout=2))

    async def _relay(self, conn: asyncpg.Connection) -> None:
        wake = asyncio.Event()

        def notified(*_: Any) -> None:
            wake.set()

        await conn.add_listener(events_db.NOTIFY_CHANNEL, notified)
        last = await events_db.get_counter(conn, "published")
        next_prune = 0.0
        while True:
            wake.clear()
            rows = await events_db.after(conn, last, BATCH)
            if rows:
                await self._broker.publish_many(_messages(rows))
                # The batch's oldest event waited longest: that is how far behind the relay runs.
                metrics.relay_lag_seconds.set((datetime.now(UTC) - rows[0]["created_at"]).total_seconds())
                metrics.relay_published.inc(len(rows))
                last = rows[-1]["id"]
                await events_db.set_counter(conn, "published", last)
                self.published = last
                if len(rows) == BATCH:
                    continue
            if time.monotonic() >= next_prune:
                floor = await events_db.prune(conn, self._retention_hours)
                next_prune = time.monotonic() + PRUNE_EVERY_S
                log.debug("events pruned through %d", floor)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), POLL_S)


def _messages(rows: list[asyncpg.Record]) -> list[tuple[str, bytes]]:
    items = []
    for row in rows:
        data = wire.encode_row(row)
        for channel in channels.for_event(row["lat"], row["lon"], row["area_ids"]):
            items.append((channel, data))
    # A batch marker after the events: lets every gateway know how far the stream has gone, so a catch-up
    # after a lost broker connection starts from there, not from the last event on its own channels.
    marker = json.dumps({"op": "head", "seq": rows[-1]["id"]}).encode()
    items.append((channels.CONTROL, marker))
    return items
