"""Areas (kota > kecamatan > kelurahan ...): import upserts, the H3 cell index, lookups and the tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

AREA_COLUMNS = """id, parent_id, level, name, code, population, depth,
    min_lat, max_lat, min_lon, max_lon, created_at, updated_at"""

# Two imports at once could each resolve a parent the other is replacing: imports run one at a time.
IMPORT_LOCK = 7_310_005


async def lock_for_import(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", IMPORT_LOCK)


async def by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {AREA_COLUMNS} FROM areas WHERE code = $1", code)


async def by_name(conn: asyncpg.Connection, name: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM areas WHERE lower(name) = lower($1) ORDER BY id", name
    )


async def same_place(
    conn: asyncpg.Connection, level: str, name: str, parent_id: int | None
) -> asyncpg.Record | None:
    """An existing area a code-less feature stands for: same level, name and parent."""
    return await conn.fetchrow(
        f"""SELECT {AREA_COLUMNS} FROM areas
            WHERE code IS NULL AND level = $1 AND lower(name) = lower($2)
              AND parent_id IS NOT DISTINCT FROM $3
            ORDER BY id LIMIT 1""",
        level,
        name,
        parent_id,
    )


async def insert(conn: asyncpg.Connection, fields: dict[str, Any]) -> int:
    area_id: int = await conn.fetchval(
        """INSERT INTO areas (parent_id, level, name, code, population, geometry, depth,
                              min_lat, max_lat, min_lon, max_lon)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
        *_values(fields),
    )
    return area_id


async def update(conn: asyncpg.Connection, area_id: int, fields: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE areas SET parent_id = $2, level = $3, name = $4, code = $5, population = $6,
                            geometry = $7, depth = $8, min_lat = $9, max_lat = $10, min_lon = $11,
                            max_lon = $12, updated_at = clock_timestamp()
           WHERE id = $1""",
        area_id,
        *_values(fields),
    )


def _values(f: dict[str, Any]) -> list[Any]:
    return [
        f["parent_id"],
        f["level"],
        f["name"],
        f["code"],
        f["population"],
        f["geometry"],
        f["depth"],
        f["min_lat"],
        f["max_lat"],
        f["min_lon"],
        f["max_lon"],
    ]


async def replace_cells(conn: asyncpg.Connection, area_id: int, cells: Sequence[tuple[int, bool]]) -> None:
    await conn.execute("DELETE FROM area_cells WHERE area_id = $1", area_id)
    await conn.execute(
        """INSERT INTO area_cells (cell, area_id, interior)
           SELECT c.cell, $1, c.interior FROM unnest($2::bigint[], $3::boolean[]) AS c (cell, interior)""",
        area_id,
        [c for c, _ in cells],
        [interior for _, interior in cells],
    )


async def recompute_depths(conn: asyncpg.Connection) -> None:
    """Depth follows the parent links: an import may have moved a subtree under a new parent."""
    await conn.execute(
        """WITH RECURSIVE tree AS (
               SELECT id, 0 AS depth FROM areas WHERE parent_id IS NULL
               UNION ALL
               SELECT a.id, t.depth + 1 FROM areas a JOIN tree t ON a.parent_id = t.id
           )
           UPDATE areas a SET depth = t.depth FROM tree t WHERE a.id = t.id AND a.depth <> t.depth"""
    )


async def cell_candidates(conn: asyncpg.Connection, cells: Sequence[int]) -> list[asyncpg.Record]:
    """Areas whose cover holds any of `cells`, deepest first."""
    return await conn.fetch(
        """SELECT a.id, a.depth, a.updated_at, bool_or(c.interior) AS interior
           FROM area_cells c JOIN areas a ON a.id = c.area_id
           WHERE c.cell = ANY ($1::bigint[])
           GROUP BY a.id
           ORDER BY a.depth DESC, a.id""",
        list(cells),
    )


async def geometry(conn: asyncpg.Connection, area_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, geometry, updated_at FROM areas WHERE id = $1", area_id)


async def get(conn: asyncpg.Connection, area_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {AREA_COLUMNS}, geometry FROM areas WHERE id = $1", area_id)


async def brief(conn: asyncpg.Connection, area_id: int) -> asyncpg.Record | None:
    """The area without its geometry."""
    return await conn.fetchrow(f"SELECT {AREA_COLUMNS} FROM areas WHERE id = $1", area_id)


async def children(conn: asyncpg.Connection, area_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM areas WHERE parent_id = $1 ORDER BY name, id", area_id
    )


async def chain(conn: asyncpg.Connection, area_id: int) -> list[asyncpg.Record]:
    """The area and its ancestors, deepest first (kelurahan, kecamatan, kota)."""
    return await conn.fetch(
        f"""WITH RECURSIVE up AS (
                SELECT {AREA_COLUMNS}, 0 AS hop FROM areas WHERE id = $1
                UNION ALL
                SELECT {", ".join("a." + c.strip() for c in AREA_COLUMNS.split(","))}, up.hop + 1
                FROM areas a JOIN up ON a.id = up.parent_id
                WHERE up.hop < 32
            )
            SELECT {AREA_COLUMNS} FROM up ORDER BY hop""",
        area_id,
    )


async def count(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM areas")
    return value
