"""The moderation log: append-only record of what staff did, to what, and why."""

from __future__ import annotations

import asyncpg


async def record(
    conn: asyncpg.Connection,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str | None,
) -> int:
    entry_id: int = await conn.fetchval(
        """INSERT INTO moderation_log (actor_id, action, target_type, target_id, reason)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        actor_id,
        action,
        target_type,
        target_id,
        reason,
    )
    return entry_id


async def page(conn: asyncpg.Connection, below_id: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT m.id, m.actor_id, u.handle AS actor_handle, m.action, m.target_type, m.target_id,
                  m.reason, m.created_at
           FROM moderation_log m LEFT JOIN users u ON u.id = m.actor_id
           WHERE m.id < $1 ORDER BY m.id DESC LIMIT $2""",
        below_id,
        limit,
    )
