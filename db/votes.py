"""Votes: one per user and post, made idempotent by the primary key."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def add(conn: asyncpg.Connection, post_id: int, user_id: int) -> bool:
    """Record a vote; False if the user had already voted (nothing changed)."""
    status = await conn.execute(
        "INSERT INTO votes (post_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", post_id, user_id
    )
    return status == "INSERT 0 1"


async def remove(conn: asyncpg.Connection, post_id: int, user_id: int) -> bool:
    """Withdraw a vote; False if there was none."""
    status = await conn.execute("DELETE FROM votes WHERE post_id = $1 AND user_id = $2", post_id, user_id)
    return status == "DELETE 1"


async def exists(conn: asyncpg.Connection, post_id: int, user_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM votes WHERE post_id = $1 AND user_id = $2)", post_id, user_id
    )
    return found


async def voted_among(conn: asyncpg.Connection, user_id: int, post_ids: Sequence[int]) -> set[int]:
    """Which of these posts the user has voted for."""
    rows = await conn.fetch(
        "SELECT post_id FROM votes WHERE user_id = $1 AND post_id = ANY($2::bigint[])",
        user_id,
        list(post_ids),
    )
    return {r["post_id"] for r in rows}
