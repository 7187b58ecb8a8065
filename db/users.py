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


async def revoke_other_tokens(conn: asyncpg.Connection, user_id: int, keep_hash: bytes) -> int:
    """Revoke every live token of the user but one (the caller's own, after a password change)."""
    status = await conn.execute(
        """UPDATE tokens SET revoked_at = now()
           WHERE user_id = $1 AND revoked_at IS NULL AND token_hash <> $2""",
        user_id,
        keep_hash,
    )
    return int(status.split()[-1])


async def password_hash_of(conn: asyncpg.Connection, user_id: int) -> str | None:
    value: str | None = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    return value


# One sign-in attempt on a handle, atomically: refused (no row returned) while the handle is blocked, else
# counted (the count starts again after $3 s idle) and the handle blocked for $2[count] seconds (the last
# entry of $2 for any higher count). The row lock of ON CONFLICT serialises concurrent attempts, so a burst
# gets exactly as many tries as the backoff allows, in every process.
_CLAIM = """
INSERT INTO sign_in_failures AS s (handle_key, failures, last_at, blocked_until)
VALUES ($1, 1, now(), now() + make_interval(secs => ($2::float8[])[1]))
ON CONFLICT (handle_key) DO UPDATE SET
    failures = {count},
    last_at = now(),
    blocked_until = now() + make_interval(secs => ($2::float8[])[least({count}, cardinality($2::float8[]))])
WHERE s.blocked_until <= now()
RETURNING failures
""".format(count="CASE WHEN s.last_at < now() - make_interval(secs => $3) THEN 1 ELSE s.failures + 1 END")


async def claim_sign_in(
    conn: asyncpg.Connection, handle_key: bytes, backoffs: list[float], forget_s: float
) -> float:
    """Count one sign-in attempt on this handle: 0.0 if it may go ahead, else the seconds it is still
    refused for (nothing counted)."""
    failures = await conn.fetchval(_CLAIM, handle_key, backoffs, forget_s)
    if failures is not None:
        return 0.0
    wait = await conn.fetchval(
        """SELECT greatest(extract(epoch FROM blocked_until - clock_timestamp()), 0)::float8
           FROM sign_in_failures WHERE handle_key = $1""",
        handle_key,
    )
    # None: a concurrent first attempt's row, not yet visible; 0: the block ended between the statements.
    return max(float(wait), 0.001) if wait is not None else 1.0


async def sign_in_succeeded(conn: asyncpg.Connection, handle_key: bytes) -> None:
    await conn.execute("DELETE FROM sign_in_failures WHERE handle_key = $1", handle_key)


async def prune_sign_in_failures(conn: asyncpg.Connection, idle_s: float) -> int:
    status = await conn.execute(
        "DELETE FROM sign_in_failures WHERE last_at < now() - make_interval(secs => $1)", idle_s
    )
    return int(status.split()[-1])
