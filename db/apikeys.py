"""Open311 API keys: create (hash only), list, revoke, and the account behind a key."""

from __future__ import annotations

import asyncpg

from db.users import USER_COLUMNS


async def create(conn: asyncpg.Connection, key_hash: bytes, name: str, user_id: int) -> int:
    key_id: int = await conn.fetchval(
        "INSERT INTO api_keys (key_hash, name, user_id) VALUES ($1, $2, $3) RETURNING id",
        key_hash,
        name,
        user_id,
    )
    return key_id


async def list_all(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT k.id, k.name, k.user_id, u.handle, k.created_at, k.revoked_at
           FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.id"""
    )


async def revoke(conn: asyncpg.Connection, key_id: int) -> bool:
    """True when a live key was revoked now (False: unknown or already revoked)."""
    done = await conn.fetchval(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id", key_id
    )
    return done is not None


async def user_for_key(conn: asyncpg.Connection, key_hash: bytes) -> asyncpg.Record | None:
    """The account of a live (unrevoked) key."""
    return await conn.fetchrow(
        f"""SELECT {USER_COLUMNS} FROM users
            WHERE id = (SELECT user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL)""",
        key_hash,
    )
