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
