"""Server secrets generated once and kept in the database, so every process and every restart agree."""

from __future__ import annotations

import asyncpg


async def get_or_create(conn: asyncpg.Connection, name: str, fresh: bytes) -> bytes:
    """The stored secret; `fresh` becomes it if none exists yet (the first writer wins a race)."""
    await conn.execute(
        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, fresh
    )
    value: bytes = await conn.fetchval("SELECT value FROM server_secrets WHERE name = $1", name)
    return value
