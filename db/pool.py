"""The asyncpg pool: JSON codecs set once per connection so queries take and return plain dicts."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_reset(conn: asyncpg.Connection) -> None:
    """warga never changes session state on pooled connections (no SET, LISTEN or session advisory locks:
    those live on dedicated connections), so the default reset round trip is pure cost on every request.
    asyncpg still rolls back a transaction left open before returning a connection to the pool."""


async def create_pool(dsn: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool: Any = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_no_reset,
        # A dead server must fail a request quickly (503), not hang it.
        timeout=5,
        command_timeout=30,
    )
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection outside the pool (the relay's LISTEN connection, migrations)."""
    conn = await asyncpg.connect(dsn, timeout=5)
    await _init_connection(conn)
    return conn
