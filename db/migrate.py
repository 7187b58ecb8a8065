"""Numbered SQL migrations in db/migrations, applied once each, in order, recorded in schema_migrations."""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg

log = logging.getLogger("warga.db")

# Any constant works; it only has to be the same in every process so two starting servers don't race.
_MIGRATION_LOCK = 7_310_001


def available() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql"):
            number = int(name.split("_", 1)[0])
            found.append((number, name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   number integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["number"] for r in await conn.fetch("SELECT number FROM schema_migrations")}
        for number, name, sql in available():
            if number in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)", number, name
                )
            log.info("applied migration %s", name)
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied
