"""Benchmark the nearby feed at city scale: GET /api/feed through the app in-process, and its SQL alone.

    python bench/feed_query.py [--posts 1000000] [--queries 2000]

Creates a throwaway database (on DATABASE_URL's server, else an embedded pgserver), migrates it, bulk-loads
posts clustered like Jakarta (gaussian clusters around busy places + a uniform background), VACUUM ANALYZE,
then times random 1 km / 50-item feed queries at points drawn from the same distribution. Both feed
strategies are timed (plain cell scan, adaptive id window); the last line is for the one the app uses:
    feed_p50_ms=… feed_p99_ms=… bare_sql_p50_ms=… posts=N
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import posts as posts_db
from db import users as users_db
from db.migrate import migrate
from db.pool import connect
from feed import nearby
from feed.app import build_app
from tests import services
from warga import geo
from warga.runtime import Parts, Runtime
from warga.settings import Secret, Settings

# (lat, lon, sigma in metres, share of posts): busy places where reports pile up.
CLUSTERS = [
    (-6.1754, 106.8272, 1500, 0.14),  # Monas / Gambir
    (-6.1865, 106.8111, 1200, 0.10),  # Tanah Abang
    (-6.2607, 106.8137, 1500, 0.09),  # Kemang
    (-6.1588, 106.9056, 1800, 0.09),  # Kelapa Gading
    (-6.1483, 106.7350, 2000, 0.08),  # Cengkareng
    (-6.2844, 106.8448, 1800, 0.07),  # Pasar Minggu
    (-6.1096, 106.8810, 1500, 0.06),  # Tanjung Priok
    (-6.2444, 106.7983, 1000, 0.05),  # Blok M
    (-6.2250, 106.8000, 900, 0.05),  # Sudirman / Senayan
    (-6.2297, 106.8667, 1300, 0.04),  # Cawang
]
BACKGROUND = 1 - sum(c[3] for c in CLUSTERS)  # the rest: uniform over the city
CITY = (-6.37, -6.09, 106.69, 106.97)  # min lat, max lat, min lon, max lon
CATEGORIES = ["flood", "traffic", "garbage", "road_damage", "street_light", "illegal_parking", "other"]
RADIUS_M, LIMIT = 1000, 50
BATCH = 50_000


def city_point(rng: random.Random) -> tuple[float, float]:
    pick = rng.random()
    for lat, lon, sigma, share in CLUSTERS:
        if pick < share:
            dy, dx = rng.gauss(0, sigma), rng.gauss(0, sigma)
            return lat + dy / 111_195, lon + dx / (111_195 * math.cos(math.radians(lat)))
        pick -= share
    return rng.uniform(CITY[0], CITY[1]), rng.uniform(CITY[2], CITY[3])


def post_rows(n: int, authors: list[int], rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Posts in id order with created_at climbing over a year, like a real table grows."""
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(n, 1)
    for i in range(n):
        lat, lon = city_point(rng)
        at = start + step * i
        yield (
            rng.choice(authors),
            f"Laporan warga #{i}",
            rng.choice(CATEGORIES),
            lat,
            lon,
            lat,
            lon,
            geo.cell(lat, lon, 9),
            geo.cell(lat, lon, 7),
            at,
            at,
        )


@contextlib.asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    with services.postgres_server() as admin:
        url = await services.create_database(admin)
        try:
            yield url
        finally:
            await services.drop_database(admin, url)


async def load(url: str, n: int, rng: random.Random) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
        authors = []
        for i in range(200):
            row = await users_db.create(conn, f"bench{i}", "not-a-real-hash")
            assert row is not None
            authors.append(row["id"])
        rows = post_rows(n, authors, rng)
        with tqdm(total=n, unit="post", desc="loading posts", file=sys.stderr) as bar:
            while done := bar.n < n:
                batch = [next(rows) for _ in range(min(BATCH, n - bar.n))]
                await posts_db.copy_posts(conn, batch)
                bar.update(len(batch))
        assert not done
        print("VACUUM ANALYZE ...", file=sys.stderr)
        await posts_db.vacuum_analyze(conn)
    finally:
        await conn.close()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(label: str, calls: int, call: Callable[[int], Awaitable[int]]) -> tuple[float, float, float]:
    """Run call(i) `calls` times after a warm-up; returns (p50, p99, mean items) in ms / items."""
    for i in range(min(200, calls)):
        await call(-1 - i)
    samples, items = [], []
    for i in tqdm(range(calls), desc=label, unit="q", file=sys.stderr, leave=False):
        t0 = time.perf_counter()
        items.append(await call(i))
        samples.append((time.perf_counter() - t0) * 1000)
    p50, p99 = statistics.median(samples), percentile(samples, 99)
    print(
        f"{label:<34} p50={p50:6.2f} ms  p90={percentile(samples, 90):6.2f}  p99={p99:6.2f}  "
        f"max={max(samples):7.2f}  items/page={statistics.mean(items):.1f}"
    )
    return p50, p99, statistics.mean(items)


async def measure(url: str, n: int, queries: int, rng: random.Random) -> str:
    points = [city_point(rng) for _ in range(queries)]
    warm = [city_point(rng) for _ in range(200)]

    def point(i: int) -> tuple[float, float]:
        return points[i] if i >= 0 else warm[-1 - i]

    settings = Settings(
        database_url=Secret(url),
        data_dir=Path(tempfile.mkdtemp(prefix="warga-bench-")),
        rate_limits="off",
        log_level="warning",
    )
    runtime = Runtime(settings, Parts(web=True, gateway=False, relay=False))
    await runtime.start()
    results: dict[tuple[str, bool], tuple[float, float, float]] = {}
    try:
        transport = httpx.ASGITransport(app=build_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def endpoint(i: int) -> int:
                lat, lon = point(i)
                params = {"lat": lat, "lon": lon, "radius_m": RADIUS_M, "limit": LIMIT}
                r = await client.get("/api/feed", params=params)
                assert r.status_code == 200, r.text
                return len(r.json()["items"])

            conn = await connect(url)
            try:
                disks = {}
                for i in [*range(queries), *range(-1, -201, -1)]:
                    lat, lon = point(i)
                    q = nearby.FeedQuery(lat=lat, lon=lon, radius_m=RADIUS_M, limit=LIMIT)
                    disks[i] = (q, nearby.disk_of(q))
                for adaptive in (False, True):
                    nearby.ADAPTIVE = adaptive
                    name = "adaptive window" if adaptive else "plain cell scan"

                    async def bare(i: int, adaptive: bool = adaptive) -> int:
                        q, disk = disks[i]
                        rows = await nearby.find(conn, q, staff=False, adaptive=adaptive, disk=disk)
                        return min(len(rows), LIMIT)

                    results[("endpoint", adaptive)] = await timed(f"GET /api/feed, {name}", queries, endpoint)
                    results[("bare", adaptive)] = await timed(f"bare SQL (asyncpg), {name}", queries, bare)
                await show_plans(conn, disks)
            finally:
                await conn.close()
    finally:
        nearby.ADAPTIVE = ADAPTIVE_IN_APP
        await runtime.stop()
    feed_p50, feed_p99, _ = results[("endpoint", ADAPTIVE_IN_APP)]
    bare_p50 = results[("bare", ADAPTIVE_IN_APP)][0]
    print(f"strategy used by the app: {'adaptive window' if ADAPTIVE_IN_APP else 'plain cell scan'}")
    return f"feed_p50_ms={feed_p50:.2f} feed_p99_ms={feed_p99:.2f} bare_sql_p50_ms={bare_p50:.2f} posts={n}"


async def show_plans(conn: Any, disks: dict[int, Any]) -> None:
    """The plain query's plan at the densest and the sparsest of the sampled points."""
    q0, d0 = disks[0]
    print(f"\nplan at a sample point ({q0.lat:.4f}, {q0.lon:.4f}), plain cell scan:")
    args = [d0.cells, q0.lat, q0.lon, q0.radius_m, 2**63 - 1, 0, *d0.box, None, None, LIMIT + 1]
    print(await posts_db.explain_feed(conn, res=d0.res, staff=False, args=args))


ADAPTIVE_IN_APP = nearby.ADAPTIVE


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    async with bench_database() as url:
        t0 = time.perf_counter()
        await load(url, args.posts, rng)
        print(f"loaded {args.posts} posts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        line = await measure(url, args.posts, args.queries, rng)
    print(line)


if __name__ == "__main__":
    asyncio.run(main())
