"""Photos of a post: one row per uploaded photo, pointing at its stored variants."""

from __future__ import annotations

from typing import Any

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    *,
    post_id: int,
    position: int,
    sha256: str,
    width: int,
    height: int,
    blurhash: str | None,
    variants: dict[str, Any],
) -> None:
    await conn.execute(
        """INSERT INTO photos (post_id, position, sha256, width, height, blurhash, variants)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        post_id,
        position,
        sha256,
        width,
        height,
        blurhash,
        variants,
    )


async def count_for_post(conn: asyncpg.Connection, post_id: int) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM photos WHERE post_id = $1", post_id)
    return value


# Which posts use a stored variant key, as a post's photo or as a timeline step's proof photo (migration 016's
# GIN indexes answer both halves).
POSTS_OF_KEY = """SELECT p.id, p.author_id, p.deleted_at, p.hidden_at, p.held_at
    FROM posts p
    WHERE p.id IN (
        SELECT ph.post_id FROM photos ph WHERE photo_variant_keys(ph.variants) @> ARRAY[$1::text]
        UNION ALL
        SELECT s.post_id FROM post_steps s
        WHERE s.photo IS NOT NULL AND photo_variant_keys(s.photo -> 'variants') @> ARRAY[$1::text])
    ORDER BY p.id"""


async def posts_of_key(conn: asyncpg.Connection, key: str) -> list[asyncpg.Record]:
    """The posts a stored variant key belongs to, with what the visibility rule reads; [] for a key no post
    uses (an orphan: a photo whose post was refused after its variants were stored)."""
    rows: list[asyncpg.Record] = await conn.fetch(POSTS_OF_KEY, key)
    return rows


async def explain_posts_of_key(conn: asyncpg.Connection, key: str) -> str:
    """The plan of POSTS_OF_KEY with sequential scans discouraged (tests check the indexes are usable)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        rows = await conn.fetch("EXPLAIN " + POSTS_OF_KEY, key)
    return "\n".join(r[0] for r in rows)
