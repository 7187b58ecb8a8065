"""What warga reads about the PostgreSQL server itself (not its own tables)."""

from __future__ import annotations

import asyncpg


async def autovacuum_on(conn: asyncpg.Connection) -> bool:
    """Whether the server's autovacuum launcher runs. Without it no table is ever analyzed: the planner keeps
    the statistics of an empty table and picks scans whose cost grows with every post (measured: creating a
    post went from 4.6 ms to 16 ms p50 over 6,000 posts)."""
    return bool(await conn.fetchval("SELECT current_setting('autovacuum')::boolean"))
