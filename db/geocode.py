"""Reads for the address geocoder and for describing a post's place by its area hierarchy."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

# Levels people write in addresses; rw/rt are numbers, not names.
NAMED_LEVELS = ("provinsi", "kota", "kabupaten", "kecamatan", "kelurahan", "desa")


async def named_areas(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every area a typed address can name (Jakarta: about 300 rows)."""
    return await conn.fetch(
        "SELECT id, parent_id, level, name, depth FROM areas WHERE level = ANY ($1::text[]) ORDER BY id",
        list(NAMED_LEVELS),
    )


async def chains(conn: asyncpg.Connection, area_ids: Sequence[int]) -> list[asyncpg.Record]:
    """(start, level, name) for each area in `area_ids` and its ancestors, each start's deepest first."""
    return await conn.fetch(
        """WITH RECURSIVE up AS (
               SELECT id AS start, id, parent_id, level, name, 0 AS hop
               FROM areas WHERE id = ANY ($1::bigint[])
               UNION ALL
               SELECT up.start, a.id, a.parent_id, a.level, a.name, up.hop + 1
               FROM areas a JOIN up ON a.id = up.parent_id
               WHERE up.hop < 32
           )
           SELECT start, level, name FROM up ORDER BY start, hop""",
        list(set(area_ids)),
    )
