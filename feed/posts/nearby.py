"""GET /api/feed: the newest visible posts within a radius of a point, paged by an opaque cursor.

Finding them: H3 cells covering the disk narrow the scan to a btree range per cell (kernel.geo.cover), the
exact great-circle distance decides. Newest-first over many cells would still read every post in them, so
the search starts with only the most recent WINDOW ids and widens the id window until the page is full
(see docs/bench-feed.md for the measurement that chose this).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from db import posts as posts_db
from db import votes as votes_db
from feed.core.auth import current_user
from feed.core.context import runtime_of
from feed.core.endpoint import query_of, respond
from feed.core.serialize import NO_UPPER_BOUND, decode_cursor, id_page, post_json
from feed.posts.shapes import FEED_LIMIT, FeedParams
from kernel import geo

# Adaptive id window: look at the newest WINDOW posts first, then GROWTH times wider until the page is full.
ADAPTIVE = True
WINDOW = 20_000
GROWTH = 8


class NewestId:
    """An estimate of max(posts.id), refreshed at most every REFRESH_S seconds per database pool.

    Any estimate is correct: the id windows below still tile every id under the cursor, and the first
    one is open-ended upwards. A fresh estimate only makes the first window the one that fills the page,
    and saves a database round trip on nearly every request.
    """

    REFRESH_S = 1.0

    def __init__(self) -> None:
        self._seen: dict[int, tuple[float, int]] = {}

    async def get(self, conn: asyncpg.Connection, key: int) -> int:
        now = time.monotonic()
        at, value = self._seen.get(key, (-math.inf, 0))
        if now - at > self.REFRESH_S:
            value = await posts_db.max_id(conn)
            self._seen[key] = (now, value)
        return value


newest_id = NewestId()


@dataclass(frozen=True)
class FeedQuery:
    lat: float
    lon: float
    radius_m: float
    category: str | None = None
    status: str | None = None
    limit: int = FEED_LIMIT
    before: int | None = None


def parse_query(request: Request) -> FeedQuery:
    p = query_of(request, FeedParams)
    before = decode_cursor(p.before)
    return FeedQuery(p.lat, p.lon, p.radius_m, p.category, p.status, p.limit, before)


@dataclass(frozen=True)
class Disk:
    """Where to look for a query: the H3 resolution, the cells covering the disk, its bounding box."""

    res: int
    cells: list[int]
    box: tuple[float, float, float, float]


@functools.lru_cache(maxsize=4096)
def _cover(lat: float, lon: float, radius_m: float, res: int) -> tuple[int, ...]:
    # Paging and pull-to-refresh ask about the same point again and again; a cover costs ~0.5 ms of CPU.
    return tuple(geo.cover(lat, lon, radius_m, res))


def disk_of(q: FeedQuery) -> Disk:
    res = geo.resolution_for(q.radius_m)
    return Disk(res, list(_cover(q.lat, q.lon, q.radius_m, res)), geo.bbox(q.lat, q.lon, q.radius_m))


async def find(
    conn: asyncpg.Connection,
    q: FeedQuery,
    *,
    staff: bool,
    adaptive: bool | None = None,
    disk: Disk | None = None,
    pool_key: int = 0,
) -> list[asyncpg.Record]:
    """Up to q.limit + 1 matching posts, newest first (the extra one tells whether a next page exists).

    adaptive=None follows ADAPTIVE; `disk` may be precomputed (the benchmark times the SQL alone);
    pool_key names the database for the newest-id estimate (0: no estimate, ask the database).
    """
    adaptive = ADAPTIVE if adaptive is None else adaptive
    disk = disk or disk_of(q)
    want = q.limit + 1
    below = q.before or NO_UPPER_BOUND

    async def between(above: int, under: int, limit: int) -> list[asyncpg.Record]:
        return await posts_db.nearby(
            conn,
            res=disk.res,
            cells=disk.cells,
            lat=q.lat,
            lon=q.lon,
            radius_m=q.radius_m,
            box=disk.box,
            below_id=under,
            above_id=above,
            category=q.category,
            status=q.status,
            limit=limit,
            staff=staff,
        )

    if not adaptive:
        return await between(0, below, want)
    newest = await newest_id.get(conn, pool_key) if pool_key else await posts_db.max_id(conn)
    top = min(below - 1, newest)
    rows: list[asyncpg.Record] = []
    window, under = WINDOW, below
    while True:
        # Consecutive ranges (lo, under) tile every id below the cursor: nothing repeats or is skipped.
        lo = max(0, top - window)
        rows += await between(lo, under, want - len(rows))
        if len(rows) >= want or lo == 0:
            return rows
        under, window = lo + 1, window * GROWTH


async def feed(request: Request) -> Response:
    runtime = runtime_of(request)
    q = parse_query(request)
    user = await current_user(request)
    staff = user is not None and user.is_staff
    async with runtime.pool.acquire() as conn:
        rows = await find(conn, q, staff=staff, pool_key=id(runtime.pool))
        shown = [r["id"] for r in rows[: q.limit]]
        voted: set[int] = set()
        if user is not None and shown:
            voted = await votes_db.voted_among(conn, user.id, shown)

    def item(r: asyncpg.Record) -> dict[str, Any]:
        return {
            **post_json(r, runtime.storage),
            "distance_m": round(r["distance_m"], 1),
            "voted_by_me": r["id"] in voted,
        }

    return respond(id_page(rows, q.limit, item))  # a Page[FeedItem] (feed/posts/shapes.py)
