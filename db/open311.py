"""Open311 GeoReport v2 reads: public reports with what the spec's fields need (area name, the last status
note, the running clock's resolve deadline) in one query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from db.posts import POST_COLUMNS

# Public = what an anonymous reader may see: never deleted, hidden or held.
_COLUMNS = f"""{POST_COLUMNS}, p.created_at AS created_ts, p.updated_at AS updated_ts,
    p.address, p.position_approximate,
    coalesce(ag.name, a.name) AS area_name,  -- the agency that owns the report, else its area
    (SELECT coalesce(s.note, s.reason) FROM post_steps s
     WHERE s.post_id = p.id AND s.kind IN ('status', 'reopened') ORDER BY s.id DESC LIMIT 1) AS status_note,
    (SELECT pa.resolve_due_at FROM post_assignments pa
     WHERE pa.post_id = p.id AND pa.ended_at IS NULL LIMIT 1) AS resolve_due_at"""
_FROM = """FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN areas a ON a.id = p.area_id
    LEFT JOIN agencies ag ON ag.id = p.agency_id
    WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL"""
CLOSED = ("resolved", "rejected")


async def by_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_COLUMNS} {_FROM} AND p.id = ANY ($1::bigint[]) ORDER BY p.id", list(ids)
    )


async def search(
    conn: asyncpg.Connection,
    *,
    categories: Sequence[str] | None,
    start: datetime,
    end: datetime,
    closed: bool | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Newest first within [start, end]; `closed` None = both."""
    return await conn.fetch(
        f"""SELECT {_COLUMNS} {_FROM}
            AND ($1::text[] IS NULL OR p.category = ANY ($1::text[]))
            AND p.created_at >= $2 AND p.created_at <= $3
            AND ($4::boolean IS NULL OR (p.status = ANY ($5::text[])) = $4)
            ORDER BY p.created_at DESC, p.id DESC LIMIT $6 OFFSET $7""",
        list(categories) if categories is not None else None,
        start,
        end,
        closed,
        list(CLOSED),
        limit,
        offset,
    )


async def visible_id(conn: asyncpg.Connection, post_id: int) -> bool:
    found: bool = await conn.fetchval(f"SELECT EXISTS (SELECT 1 {_FROM} AND p.id = $1)", post_id)
    return found
