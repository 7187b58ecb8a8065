"""GET /api/feed: the newest visible posts within a radius of a point, paged by an opaque cursor.

Finding them: H3 cells covering the disk narrow the scan to a btree range per cell (warga.geo.cover), the
exact great-circle distance decides. Newest-first over many cells would still read every post in them, so
the search starts with only the most recent WINDOW ids and widens the id window until the page is full
(see docs/bench-feed.md for the measurement that chose this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import posts as posts_db
from db import votes as votes_db
from feed.auth import current_user
from feed.categories import CATEGORIES
from feed.errors import invalid
from feed.parse import int_param, no_unknown, number_field
from feed.serialize import decode_cursor, encode_cursor, post_json
from warga import geo

DEFAULT_RADIUS_M, MAX_RADIUS_M = 2000, 10_000
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
PARAMS = {"lat", "lon", "radius_m", "category", "status", "limit", "before"}
_STATUS_RE = re.compile(r"^[a-z_]{1,32}$")
_NO_UPPER_BOUND = 2**63 - 1

# Adaptive id window: look at the newest WINDOW posts first, then GROWTH times wider until the page is full.
ADAPTIVE = True
WINDOW = 20_000
GROWTH = 8


@dataclass(frozen=True)
class FeedQuery:
    lat: float
    lon: float
    radius_m: float
    category: str | None = None
    status: str | None = None
    limit: int = DEFAULT_LIMIT
    before: int | None = None


def parse_query(request: Request) -> FeedQuery:
    params = dict(request.query_params)
    no_unknown(params, PARAMS)
    errors: dict[str, str] = {}
    lat = number_field(params, "lat", errors, low=-90, high=90)
    lon = number_field(params, "lon", errors, low=-180, high=180)
    radius = number_field(params, "radius_m", errors, low=1, high=MAX_RADIUS_M, required=False)
    category = params.get("category") or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = "unknown category (see GET /api/categories)"
    status = params.get("status") or None
    if status is not None and not _STATUS_RE.match(status):
        errors["status"] = "not a status"
    if errors:
        raise invalid(errors)
    assert lat is not None and lon is not None
    return FeedQuery(
        lat=lat,
        lon=lon,
        radius_m=radius if radius is not None else DEFAULT_RADIUS_M,
        category=category,
        status=status,
        limit=int_param(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT),
        before=decode_cursor(params.get("before")),
    )


async def find(
    conn: asyncpg.Connection, q: FeedQuery, *, staff: bool, adaptive: bool = ADAPTIVE
) -> list[asyncpg.Record]:
    """Up to q.limit + 1 matching posts, newest first (the extra one tells whether a next page exists)."""
    res = geo.resolution_for(q.radius_m)
    want = q.limit + 1
    below = q.before or _NO_UPPER_BOUND
    cells = geo.cover(q.lat, q.lon, q.radius_m, res)
    box = geo.bbox(q.lat, q.lon, q.radius_m)

    async def between(above: int, under: int, limit: int) -> list[asyncpg.Record]:
        return await posts_db.nearby(
            conn,
            res=res,
            cells=cells,
            lat=q.lat,
            lon=q.lon,
            radius_m=q.radius_m,
            box=box,
            below_id=under,
            above_id=above,
            category=q.category,
            status=q.status,
            limit=limit,
            staff=staff,
        )

    if not adaptive:
        return await between(0, below, want)
    top = min(below - 1, await posts_db.max_id(conn))
    rows: list[asyncpg.Record] = []
    window, under = WINDOW, below
    while True:
        # Consecutive ranges (lo, under) tile every id below the cursor: nothing repeats or is skipped.
        lo = max(0, top - window)
        rows += await between(lo, under, want - len(rows))
        if len(rows) >= want or lo == 0:
            return rows
        under, window = lo + 1, window * GROWTH


async def feed(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    q = parse_query(request)
    user = await current_user(request)
    staff = user is not None and user.is_staff
    async with runtime.pool.acquire() as conn:
        rows = await find(conn, q, staff=staff)
        page = rows[: q.limit]
        voted: set[int] = set()
        if user is not None and page:
            voted = await votes_db.voted_among(conn, user.id, [r["id"] for r in page])
    items = [
        {
            **post_json(r, runtime.storage),
            "distance_m": round(r["distance_m"], 1),
            "voted_by_me": r["id"] in voted,
        }
        for r in page
    ]
    next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > q.limit else None
    return JSONResponse({"items": items, "next": next_cursor})
