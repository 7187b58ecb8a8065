"""Users and their bearer tokens."""

from __future__ import annotations

from datetime import datetime

import asyncpg

USER_COLUMNS = "id, handle, role, display_name, created_at, suspended_until, suspension_reason"


async def create(
    conn: asyncpg.Connection, handle: str, password_hash: str, role: str = "citizen"
) -> asyncpg.Record | None:
    """Insert a user; None if the handle (case-insensitively) is taken."""
    return await conn.fetchrow(
        f"""INSERT INTO users (handle, password_hash, role) VALUES ($1, $2, $3)
            ON CONFLICT ((lower(handle))) DO NOTHING
            RETURNING {USER_COLUMNS}""",
        handle,
        password_hash,
        role,
    )


async def by_handle_with_hash(conn: asyncpg.Connection, handle: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(handle) = lower($1)", handle
    )


async def by_id(conn: asyncpg.Connection, user_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)


async def set_password_hash(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def set_role(conn: asyncpg.Connection, user_id: int, role: str) -> None:
    await conn.execute("UPDATE users SET role = $2 WHERE id = $1", user_id, role)


async def insert_token(
    conn: asyncpg.Connection, token_hash: bytes, user_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        token_hash,
        user_id,
        expires_at,
    )


async def user_for_token(conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    """The live user behind a token: not expired, not revoked."""
    return await conn.fetchrow(
        f"""SELECT {", ".join("u." + c for c in USER_COLUMNS.split(", "))}
            FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()""",
        token_hash,
    )


async def revoke_token(conn: asyncpg.Connection, token_hash: bytes) -> int | None:
    """Revoke one token; returns its user id, or None if it was not live."""
    return await conn.fetchval(
        """UPDATE tokens SET revoked_at = now()
           WHERE token_hash = $1 AND revoked_at IS NULL RETURNING user_id""",
        token_hash,
    )


async def revoke_all_tokens(conn: asyncpg.Connection, user_id: int) -> int:
    status = await conn.execute(
        "UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )
    return int(status.split()[-1])
