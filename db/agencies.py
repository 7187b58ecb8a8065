"""City agencies: the list, upserts, and which officials answer for which agency."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

AGENCY_COLUMNS = "id, code, name, categories"


async def upsert(
    conn: asyncpg.Connection, code: str, name: str, categories: Sequence[str]
) -> tuple[int, bool]:
    """(id, created): a known code gets the new name and categories."""
    row = await conn.fetchrow(
        """INSERT INTO agencies (code, name, categories) VALUES ($1, $2, $3)
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, categories = EXCLUDED.categories,
                                            updated_at = now()
           RETURNING id, (xmax = 0) AS created""",
        code,
        name,
        list(categories),
    )
    assert row is not None
    return row["id"], row["created"]


async def by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    # Codes are matched ignoring case: "dsda" on a command line means DSDA.
    return await conn.fetchrow(f"SELECT {AGENCY_COLUMNS} FROM agencies WHERE lower(code) = lower($1)", code)


async def by_id(conn: asyncpg.Connection, agency_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {AGENCY_COLUMNS} FROM agencies WHERE id = $1", agency_id)


async def all_agencies(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {AGENCY_COLUMNS},
                   (SELECT count(*) FROM official_agencies o WHERE o.agency_id = agencies.id) AS officials
            FROM agencies ORDER BY code"""
    )


async def assign(conn: asyncpg.Connection, user_id: int, agency_id: int) -> bool:
    """True if the assignment is new."""
    row = await conn.fetchval(
        """INSERT INTO official_agencies (user_id, agency_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING agency_id""",
        user_id,
        agency_id,
    )
    return row is not None


async def unassign(conn: asyncpg.Connection, user_id: int, agency_id: int) -> bool:
    done = await conn.fetchval(
        "DELETE FROM official_agencies WHERE user_id = $1 AND agency_id = $2 RETURNING agency_id",
        user_id,
        agency_id,
    )
    return done is not None


async def agencies_of(conn: asyncpg.Connection, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.id, a.code, a.name, a.categories
            FROM official_agencies o JOIN agencies a ON a.id = o.agency_id
            WHERE o.user_id = $1 ORDER BY a.code""",
        user_id,
    )


async def serves(conn: asyncpg.Connection, user_id: int, agency_id: int) -> bool:
    """Whether the user is an official of the agency."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM official_agencies WHERE user_id = $1 AND agency_id = $2)",
        user_id,
        agency_id,
    )
    return found


async def officials_of(conn: asyncpg.Connection, agency_ids: list[int]) -> list[int]:
    """User ids of the officials of any of these agencies."""
    rows = await conn.fetch(
        "SELECT DISTINCT user_id FROM official_agencies WHERE agency_id = ANY($1::bigint[])", agency_ids
    )
    return [r["user_id"] for r in rows]
