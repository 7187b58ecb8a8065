"""The event outbox: append inside a writing transaction; read in sequence order for the relay and replay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

# Held from the event insert until commit. Because PostgreSQL makes a transaction visible before it
# releases its locks, the next writer draws its id only after this one is visible: ids are handed
# out in commit order, so a reader asking for "id > last" can never miss a row that commits later
# with a smaller id. The cost is that commits of event-writing transactions are serialised, only
# for the last statement and the commit itself.
EVENTS_LOCK = 7_310_002
NOTIFY_CHANNEL = "warga_events"


async def append(
    conn: asyncpg.Connection,
    type_: str,
    payload: dict[str, Any],
    *,
    post_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    area_ids: Sequence[int] = (),
) -> int:
    """Write one event in the caller's transaction; call it last, right before commit. Returns its seq."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", EVENTS_LOCK)
    seq: int = await conn.fetchval(
        """INSERT INTO events (type, post_id, lat, lon, area_ids, payload)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        type_,
        post_id,
        lat,
        lon,
        list(area_ids),
        payload,
    )
    # Delivered to listeners only if and when this transaction commits: the relay's wake-up call.
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return seq


async def after(conn: asyncpg.Connection, seq: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        # created_at: the relay reports its lag (warga_relay_lag_seconds) from it.
        """SELECT id, type, post_id, lat, lon, area_ids, payload, created_at
           FROM events WHERE id > $1 ORDER BY id LIMIT $2""",
        seq,
        limit,
    )


async def after_in_box(
    conn: asyncpg.Connection,
    seq: int,
    min_lat: float,
    max_lat: float,
    min_lon: float,
    max_lon: float,
    limit: int,
) -> list[asyncpg.Record]:
    """Replay candidates near a point; the caller applies the exact filter."""
    return await conn.fetch(
        """SELECT id, type, post_id, lat, lon, area_ids, payload
           FROM events
           WHERE id > $1 AND lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5
           ORDER BY id LIMIT $6""",
        seq,
        min_lat,
        max_lat,
        min_lon,
        max_lon,
        limit,
    )


async def after_in_areas(
    conn: asyncpg.Connection, seq: int, area_ids: Sequence[int], limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, type, post_id, lat, lon, area_ids, payload
           FROM events WHERE id > $1 AND area_ids && $2::bigint[]
           ORDER BY id LIMIT $3""",
        seq,
        list(area_ids),
        limit,
    )


async def current_states(
    conn: asyncpg.Connection, post_ids: Sequence[int], comment_ids: Sequence[int]
) -> list[asyncpg.Record]:
    """The visibility state now of the posts and comments a replay is about, in one round trip:
    (kind 'post' | 'comment', id, deleted_at, hidden_at, held_at)."""
    return await conn.fetch(
        """SELECT 'post' AS kind, id, deleted_at, hidden_at, held_at
           FROM posts WHERE id = ANY($1::bigint[])
           UNION ALL
           SELECT 'comment', id, deleted_at, hidden_at, NULL::timestamptz
           FROM comments WHERE id = ANY($2::bigint[])""",
        list(post_ids),
        list(comment_ids),
    )


async def latest_seq(conn: asyncpg.Connection) -> int:
    value: int | None = await conn.fetchval("SELECT max(id) FROM events")
    return value or 0


async def get_counter(conn: asyncpg.Connection, name: str) -> int:
    value: int = await conn.fetchval("SELECT value FROM relay_state WHERE name = $1", name)
    return value


async def set_counter(conn: asyncpg.Connection, name: str, value: int) -> None:
    # GREATEST: a counter only moves forward, even if two relays briefly overlap.
    await conn.execute(
        "UPDATE relay_state SET value = GREATEST(value, $2), updated_at = now() WHERE name = $1",
        name,
        value,
    )


async def prune(conn: asyncpg.Connection, older_than_hours: int) -> int:
    """Delete events past retention that the relay has published and the notify worker has read (once a
    worker has ever run: its counter exists from its first start); returns the new retention floor."""
    async with conn.transaction():
        floor: int | None = await conn.fetchval(
            """SELECT max(id) FROM events
               WHERE created_at < now() - make_interval(hours => $1)
                 AND id <= (SELECT value FROM relay_state WHERE name = 'published')
                 AND id <= coalesce((SELECT value FROM relay_state WHERE name = 'notified'), id)""",
            older_than_hours,
        )
        if floor is None:
            return await get_counter(conn, "pruned_through")
        await conn.execute("DELETE FROM events WHERE id <= $1", floor)
        await set_counter(conn, "pruned_through", floor)
        return floor


# Session-level lock held by the one active relay for as long as its connection lives; a second relay waits.
RELAY_LOCK = 7_310_003


async def try_relay_lock(conn: asyncpg.Connection) -> bool:
    locked: bool = await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK)
    return locked


async def replay_window(conn: asyncpg.Connection) -> tuple[int, int]:
    """(pruned_through, latest seq) in one snapshot: a resume from below the floor must resync."""
    row = await conn.fetchrow(
        """SELECT (SELECT value FROM relay_state WHERE name = 'pruned_through') AS floor,
                  (SELECT coalesce(max(id), 0) FROM events) AS head"""
    )
    assert row is not None
    return int(row["floor"]), int(row["head"])
