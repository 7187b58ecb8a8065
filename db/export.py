"""Open data export: public reports read through a server-side cursor, so a million rows stream in
constant memory (the caller holds a transaction open while it iterates)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from db.posts import ISO_UTC

# Public only: never deleted, hidden or held; pub_lat/pub_lon are the fuzzed position for sensitive
# categories. No author, no text of the account: the report itself.
_QUERY = f"""SELECT p.id, p.category, p.status, p.pub_lat, p.pub_lon, p.text, p.area_id, a.name AS area_name,
        p.vote_count, p.comment_count,
        {ISO_UTC.format("p.created_at")} AS created_at, {ISO_UTC.format("p.updated_at")} AS updated_at
    FROM posts p LEFT JOIN areas a ON a.id = p.area_id
    WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL
      AND ($1::timestamptz IS NULL OR p.created_at >= $1)
      AND ($2::timestamptz IS NULL OR p.created_at < $2)
      AND ($3::bigint IS NULL OR p.area_id IN (
            WITH RECURSIVE sub AS (SELECT id FROM areas WHERE id = $3
                                   UNION ALL SELECT c.id FROM areas c JOIN sub ON c.parent_id = sub.id)
            SELECT id FROM sub))
      AND ($4::text IS NULL OR p.category = $4)
    ORDER BY p.id"""


async def public_reports(
    conn: asyncpg.Connection,
    *,
    start: datetime | None,
    end: datetime | None,
    area_id: int | None,
    category: str | None,
    prefetch: int = 500,
) -> AsyncIterator[asyncpg.Record]:
    """Rows in id order; must run inside `conn.transaction()` (a cursor lives in one)."""
    async for row in conn.cursor(_QUERY, start, end, area_id, category, prefetch=prefetch):
        yield row


async def area_exists(conn: asyncpg.Connection, area_id: int) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM areas WHERE id = $1)", area_id)
    return found


async def all_public_reports(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every public report at once: only bench/export.py's load-all peer does this (the app streams)."""
    return await conn.fetch(_QUERY, None, None, None, None)
