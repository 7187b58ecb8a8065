"""Posts: insert, read (with author and photos), lock, counters, delete, hide, the nearby feed, bulk load."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from kernel.geo import EARTH_RADIUS_M

# ISO 8601 UTC text, formatted by PostgreSQL: for a feed page that is measurably cheaper than decoding
# timestamps and formatting them again in Python (see docs/bench-feed.md).
ISO_UTC = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

# Everything post_json needs, in one row: the author's handle and the photos as a JSON array in order
# (NULL when there are none: nothing to decode); created_at and updated_at come as ISO text.
POST_COLUMNS = f"""p.id, p.author_id, u.handle AS author_handle, p.text, p.category, p.lat, p.lon,
    p.pub_lat, p.pub_lon, p.status, p.area_id, p.agency_id, p.vote_count, p.comment_count, p.attributes,
    p.merged_into,
    {ISO_UTC.format("p.created_at")} AS created_at, {ISO_UTC.format("p.updated_at")} AS updated_at,
    p.deleted_at, p.hidden_at, p.hidden_reason, p.held_at,
    (SELECT jsonb_agg(jsonb_build_object('width', ph.width, 'height', ph.height,
                                         'blurhash', ph.blurhash, 'variants', ph.variants)
                      ORDER BY ph.position)
     FROM photos ph WHERE ph.post_id = p.id) AS photos"""


async def insert(
    conn: asyncpg.Connection,
    *,
    author_id: int,
    text: str,
    category: str,
    lat: float,
    lon: float,
    pub_lat: float,
    pub_lon: float,
    cell9: int,
    cell7: int,
) -> int:
    post_id: int = await conn.fetchval(
        """INSERT INTO posts (author_id, text, category, lat, lon, pub_lat, pub_lon, cell9, cell7)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        author_id,
        text,
        category,
        lat,
        lon,
        pub_lat,
        pub_lon,
        cell9,
        cell7,
    )
    return post_id


async def get(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    """The post with author and photos, whatever its state (deleted, hidden, held): callers decide."""
    return await conn.fetchrow(
        f"SELECT {POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1", post_id
    )


async def state(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    """The post's visibility columns, unlocked (for readers)."""
    return await conn.fetchrow(
        "SELECT id, author_id, deleted_at, hidden_at, held_at FROM posts WHERE id = $1", post_id
    )


async def lock(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    """Lock the post row for the rest of the transaction and return its state columns."""
    return await conn.fetchrow(
        """SELECT id, author_id, deleted_at, hidden_at, held_at, vote_count, comment_count
           FROM posts WHERE id = $1 FOR UPDATE""",
        post_id,
    )


async def mark_deleted(conn: asyncpg.Connection, post_id: int) -> None:
    await conn.execute(
        "UPDATE posts SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        post_id,
    )


async def add_votes(conn: asyncpg.Connection, post_id: int, delta: int) -> int:
    count: int = await conn.fetchval(
        "UPDATE posts SET vote_count = vote_count + $2 WHERE id = $1 RETURNING vote_count", post_id, delta
    )
    return count


async def add_comments(conn: asyncpg.Connection, post_id: int, delta: int) -> None:
    await conn.execute("UPDATE posts SET comment_count = comment_count + $2 WHERE id = $1", post_id, delta)


async def set_hidden(conn: asyncpg.Connection, post_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE posts SET hidden_at = now(), hidden_reason = $2, updated_at = now() WHERE id = $1",
        post_id,
        reason,
    )


async def clear_hidden(conn: asyncpg.Connection, post_id: int) -> None:
    await conn.execute(
        "UPDATE posts SET hidden_at = NULL, hidden_reason = NULL, updated_at = now() WHERE id = $1", post_id
    )


async def max_id(conn: asyncpg.Connection) -> int:
    value: int | None = await conn.fetchval("SELECT max(id) FROM posts")
    return value or 0


# --- The nearby feed -------------------------------------------------------------------------------
# Exact great-circle (haversine) distance from ($2, $3) to the public position, with kernel.geo's Earth
# radius so SQL and Python agree on what "within the radius" means (a constant of ours, not user data).
_DISTANCE = f"""(2 * {EARTH_RADIUS_M!r} * asin(least(1.0, sqrt(
        power(sin(radians(p.pub_lat - $2) / 2), 2)
        + cos(radians($2)) * cos(radians(p.pub_lat)) * power(sin(radians(p.pub_lon - $3) / 2), 2)))))"""

# $1 cells, $2 lat, $3 lon, $4 radius, $5 ids below, $6 ids above, $7..$10 bounding box, $11 category,
# $12 status, $13 limit. The public query's visibility test is exactly the predicate of the partial
# covering indexes of migration 002, so the candidate scan is an index-only scan; staff (who also see
# hidden posts) use the plain (cell, id) indexes of 001.
_FEED_SQL = """WITH hits AS (
    SELECT p.id, {distance} AS distance_m
    FROM posts p
    WHERE p.{cell} = ANY($1::bigint[])
      AND p.id < $5 AND p.id > $6
      AND p.pub_lat BETWEEN $7 AND $8 AND p.pub_lon BETWEEN $9 AND $10
      AND p.deleted_at IS NULL AND p.held_at IS NULL {visibility}
      AND ($11::text IS NULL OR p.category = $11)
      AND ($12::text IS NULL OR p.status = $12)
      AND {distance} <= $4
    ORDER BY p.id DESC
    LIMIT $13
)
SELECT {columns}, h.distance_m
FROM hits h JOIN posts p ON p.id = h.id JOIN users u ON u.id = p.author_id
ORDER BY p.id DESC"""

FEED_QUERIES = {
    (cell, staff): _FEED_SQL.format(
        distance=_DISTANCE,
        cell=cell,
        visibility="" if staff else "AND p.hidden_at IS NULL",
        columns=POST_COLUMNS,
    )
    for cell in ("cell9", "cell7")
    for staff in (False, True)
}


async def nearby(
    conn: asyncpg.Connection,
    *,
    res: int,
    cells: Sequence[int],
    lat: float,
    lon: float,
    radius_m: float,
    box: tuple[float, float, float, float],
    below_id: int,
    above_id: int,
    category: str | None,
    status: str | None,
    limit: int,
    staff: bool,
) -> list[asyncpg.Record]:
    """Posts within radius_m of (lat, lon) with above_id < id < below_id, newest first, at most `limit`.

    `cells` must cover the disk at resolution `res` (kernel.geo.cover); `box` is kernel.geo.bbox. Each row
    is a post (POST_COLUMNS) plus distance_m.
    """
    sql = FEED_QUERIES[("cell9" if res == 9 else "cell7", staff)]
    return await conn.fetch(
        sql,
        list(cells),
        lat,
        lon,
        radius_m,
        below_id,
        above_id,
        *box,
        category,
        status,
        limit,
    )


# --- Bulk load (benchmarks, demo data) -----------------------------------------------------------
BULK_COLUMNS = (
    "author_id",
    "text",
    "category",
    "lat",
    "lon",
    "pub_lat",
    "pub_lon",
    "cell9",
    "cell7",
    "created_at",
    "updated_at",
)


async def copy_posts(conn: asyncpg.Connection, records: Iterable[Sequence[Any]]) -> None:
    """COPY rows shaped like BULK_COLUMNS into posts: orders of magnitude faster than INSERTs."""
    await conn.copy_records_to_table("posts", records=records, columns=list(BULK_COLUMNS))


async def vacuum_analyze(conn: asyncpg.Connection) -> None:
    """After a bulk load: fresh statistics, and a visibility map so feed scans can run index-only."""
    await conn.execute("VACUUM (ANALYZE) posts")
    await conn.execute("ANALYZE users")


async def explain_feed(conn: asyncpg.Connection, *, res: int, staff: bool, args: Sequence[Any]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the feed query with these arguments (the benchmark shows plans)."""
    sql = FEED_QUERIES[("cell9" if res == 9 else "cell7", staff)]
    rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
    return "\n".join(r[0] for r in rows)


# --- Trust and safety (docs/trust.md) -------------------------------------------------------------
async def set_public_position(
    conn: asyncpg.Connection, post_id: int, pub_lat: float, pub_lon: float, cell9: int, cell7: int
) -> None:
    await conn.execute(
        "UPDATE posts SET pub_lat = $2, pub_lon = $3, cell9 = $4, cell7 = $5 WHERE id = $1",
        post_id,
        pub_lat,
        pub_lon,
        cell9,
        cell7,
    )


async def set_held(conn: asyncpg.Connection, post_id: int, reason: str) -> None:
    await conn.execute("UPDATE posts SET held_at = now(), held_reason = $2 WHERE id = $1", post_id, reason)


async def release(conn: asyncpg.Connection, post_id: int) -> None:
    await conn.execute(
        "UPDATE posts SET held_at = NULL, held_reason = NULL, updated_at = now() WHERE id = $1", post_id
    )
