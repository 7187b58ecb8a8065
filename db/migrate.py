"""Numbered SQL migrations in db/migrations, applied once each, in order, recorded in schema_migrations."""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg

log = logging.getLogger("warga.db")

# Any constant works; it only has to be the same in every process so two starting servers don't race.
_MIGRATION_LOCK = 7_310_001


class MigrationError(RuntimeError):
    """The migrations folder is not a clean numbered sequence; nothing is applied."""


def available() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql"):
            prefix = name.split("_", 1)[0]
            if not prefix.isdecimal():
                raise MigrationError(f"{name}: a migration's name starts with its number")
            found.append((int(prefix), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def pending(found: list[tuple[int, str, str]], done: set[int]) -> list[tuple[int, str, str]]:
    """The migrations still to apply, in order. Two files with one number (two branches that each added
    one) or a new file numbered below one already applied would run in an order no database has seen:
    refused, before anything runs."""
    numbers = [number for number, _, _ in found]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        names = [name for number, name, _ in found if number in twice]
        raise MigrationError(f"two migrations share a number: {', '.join(names)}")
    todo = [m for m in found if m[0] not in done]
    if todo and done and todo[0][0] < max(done):
        raise MigrationError(
            f"{todo[0][1]} is numbered below {max(done)}, which is already applied: renumber it"
        )
    return todo


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
        for number, name, sql in pending(available(), done):
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
