"""Queries only the demo seeder uses: "is there anything yet?" and spreading seeded posts over past days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg


async def has_posts(conn: asyncpg.Connection) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM posts)")
    return found


async def backdate_posts(
    conn: asyncpg.Connection, post_ids: Sequence[int], times: Sequence[datetime], comment_gap_s: int
) -> None:
    """Move seeded posts (and their photos, votes and comments) back to `times` (ascending, in id order).

    The feed pages by id, so a larger id must never be older: each post's time is raised to at least the
    newest created_at of any other post with a smaller id (someone posting while the demo seeds). Comments
    follow their post `comment_gap_s` apart, never later than now. Only timestamps change: no event is
    written, the outbox already told subscribers about each post when it was made.
    """
    async with conn.transaction():
        await conn.execute(
            """WITH target AS (
                   SELECT t.id, t.at FROM unnest($1::bigint[], $2::timestamptz[]) AS t (id, at)
               ), floor AS (
                   SELECT t.id, GREATEST(t.at, (SELECT max(p.created_at) FROM posts p
                                                WHERE p.id < t.id AND p.id <> ALL ($1::bigint[]))) AS at
                   FROM target t
               ), running AS (
                   -- A running maximum keeps the sequence non-decreasing even after the floors above.
                   SELECT id, max(at) OVER (ORDER BY id) AS at FROM floor
               )
               UPDATE posts p SET created_at = r.at, updated_at = r.at
               FROM running r WHERE p.id = r.id""",
            list(post_ids),
            list(times),
        )
        await conn.execute(
            "UPDATE photos ph SET created_at = p.created_at FROM posts p "
            "WHERE ph.post_id = p.id AND p.id = ANY ($1::bigint[])",
            list(post_ids),
        )
        await conn.execute(
            """UPDATE votes v SET created_at = LEAST(now(), p.created_at + interval '2 minutes')
               FROM posts p WHERE v.post_id = p.id AND p.id = ANY ($1::bigint[])""",
            list(post_ids),
        )
        await conn.execute(
            """WITH ordered AS (
                   SELECT c.id, p.created_at AS post_at,
                          row_number() OVER (PARTITION BY c.post_id ORDER BY c.id) AS n
                   FROM comments c JOIN posts p ON p.id = c.post_id
                   WHERE p.id = ANY ($1::bigint[])
               )
               UPDATE comments c
               SET created_at = LEAST(now(), o.post_at + make_interval(secs => o.n * $2::integer))
               FROM ordered o WHERE c.id = o.id""",
            list(post_ids),
            comment_gap_s,
        )
