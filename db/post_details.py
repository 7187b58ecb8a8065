"""A new post's details beyond its text and position: category attributes, the typed address, and whether
the position was placed from that address (014_post_attributes.sql)."""

from __future__ import annotations

from typing import Any

import asyncpg


async def set_details(
    conn: asyncpg.Connection,
    post_id: int,
    attributes: dict[str, Any],
    address: str | None,
    position_approximate: bool,
) -> None:
    await conn.execute(
        "UPDATE posts SET attributes = $2, address = $3, position_approximate = $4 WHERE id = $1",
        post_id,
        attributes,
        address,
        position_approximate,
    )
