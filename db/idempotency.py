"""Idempotency keys: claim a key inside the creating transaction, store the answer, read it back."""

from __future__ import annotations

from typing import Any

import asyncpg


async def claim(conn: asyncpg.Connection, user_id: int, key: str, request_hash: bytes, ttl_s: float) -> bool:
    """Insert the key in the caller's transaction. A racing claimer waits on the primary key until the first
    commits (then False: read the answer) or rolls back (then True). An expired key is taken over."""
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, key) DO UPDATE
               SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL,
                   created_at = now()
               WHERE idempotency_keys.created_at < now() - make_interval(secs => $4)
           RETURNING true""",
        user_id,
        key,
        request_hash,
        ttl_s,
    )
    return bool(claimed)


async def store(conn: asyncpg.Connection, user_id: int, key: str, status: int, body: Any) -> None:
    await conn.execute(
        """UPDATE idempotency_keys SET response_status = $3, response_body = $4
           WHERE user_id = $1 AND key = $2""",
        user_id,
        key,
        status,
        body,
    )


async def find(conn: asyncpg.Connection, user_id: int, key: str, ttl_s: float) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT request_hash, response_status, response_body FROM idempotency_keys
           WHERE user_id = $1 AND key = $2 AND created_at >= now() - make_interval(secs => $3)""",
        user_id,
        key,
        ttl_s,
    )


async def prune(conn: asyncpg.Connection, ttl_s: float) -> int:
    status = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", ttl_s
    )
    return int(status.split()[-1])
