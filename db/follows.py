"""Follows: who wants to hear about a report's progress. The primary key makes a repeated follow a no-op."""

from __future__ import annotations

import asyncpg


async def add(conn: asyncpg.Connection, user_id: int, post_id: int) -> bool:
    """Follow a post; False if already followed."""
    status = await conn.execute(
        "INSERT INTO follows (user_id, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", user_id, post_id
    )
    return status == "INSERT 0 1"


async def remove(conn: asyncpg.Connection, user_id: int, post_id: int) -> bool:
    status = await conn.execute("DELETE FROM follows WHERE user_id = $1 AND post_id = $2", user_id, post_id)
    return status == "DELETE 1"


async def of_user(conn: asyncpg.Connection, user_id: int, before: int, limit: int) -> list[asyncpg.Record]:
    """The posts a user follows, newest post first, below the `before` id (keyset paging)."""
    return await conn.fetch(
        """SELECT post_id AS id, created_at FROM follows
           WHERE user_id = $1 AND post_id < $2 ORDER BY post_id DESC LIMIT $3""",
        user_id,
        before,
        limit,
    )


async def followers(conn: asyncpg.Connection, post_id: int) -> list[int]:
    rows = await conn.fetch("SELECT user_id FROM follows WHERE post_id = $1", post_id)
    return [r["user_id"] for r in rows]
