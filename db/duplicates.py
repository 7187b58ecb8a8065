"""Near-identical posts: open posts of one category near a place (duplicate suggestions), an author's recent
posts (spam signals), and merging a duplicate into its original."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def candidates(
    conn: asyncpg.Connection, cells: Sequence[int], category: str, days: int, exclude_id: int, limit: int
) -> list[asyncpg.Record]:
    """Unsettled (not resolved, rejected or merged: an acknowledged or forwarded flood is still the one to
    join), public posts of the category in these fine cells within the last days (the caller measures the
    exact distance). The public position only: a fuzzed post is never located by its suggestion."""
    return await conn.fetch(
        """SELECT p.id, p.text, p.pub_lat, p.pub_lon, p.vote_count, p.created_at,
                  (SELECT ph.variants FROM photos ph WHERE ph.post_id = p.id ORDER BY ph.position LIMIT 1)
                      AS first_photo
           FROM posts p
           WHERE p.cell9 = ANY($1::bigint[]) AND p.category = $2
             AND p.status NOT IN ('resolved', 'rejected', 'merged')
             AND p.created_at > now() - make_interval(days => $3) AND p.id <> $4
             AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL
           ORDER BY p.id DESC LIMIT $5""",
        list(cells),
        category,
        days,
        exclude_id,
        limit,
    )


async def recent_by_author(conn: asyncpg.Connection, author_id: int, seconds: float) -> list[asyncpg.Record]:
    """The author's posts (any state but deleted) in the last seconds, newest first."""
    return await conn.fetch(
        """SELECT id, text, created_at FROM posts
           WHERE author_id = $1 AND created_at > now() - make_interval(secs => $2) AND deleted_at IS NULL
           ORDER BY id DESC LIMIT 200""",
        author_id,
        seconds,
    )


async def mark_merged(conn: asyncpg.Connection, post_id: int, into_id: int) -> None:
    await conn.execute(
        "UPDATE posts SET status = 'merged', merged_into = $2, updated_at = now() WHERE id = $1",
        post_id,
        into_id,
    )


async def move_votes(conn: asyncpg.Connection, from_id: int, into_id: int) -> int:
    """Copy the duplicate's voters to the original (a voter of both counts once); the original's count
    becomes its true number of voters. Returns the new count."""
    await conn.execute(
        """INSERT INTO votes (post_id, user_id, created_at)
           SELECT $2, user_id, created_at FROM votes WHERE post_id = $1
           ON CONFLICT (post_id, user_id) DO NOTHING""",
        from_id,
        into_id,
    )
    count: int = await conn.fetchval(
        """UPDATE posts SET vote_count = (SELECT count(*) FROM votes WHERE post_id = $1), updated_at = now()
           WHERE id = $1 RETURNING vote_count""",
        into_id,
    )
    return count


async def merged_into(conn: asyncpg.Connection, post_id: int) -> int | None:
    return await conn.fetchval("SELECT merged_into FROM posts WHERE id = $1", post_id)
