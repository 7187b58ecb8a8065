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
from feed.app import build_app
from feed.posts import nearby
from kernel import geo
from kernel.settings import Secret, Settings
from tests import services
from warga.runtime import Parts, Runtime

# httpx's in-process transport tries `import sniffio` on every request (to detect trio); when it is not
# installed, each failed import scans sys.path on disk (~0.3 ms here). That is the test client's cost, not
# the app's: tell Python up front that there is no sniffio.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

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


Probe = Callable[[int], Awaitable[tuple[float, int]]]  # point index -> (milliseconds, items on the page)


async def run_interleaved(probes: dict[str, Probe], calls: int) -> dict[str, tuple[float, float]]:
    """Each point is queried by every probe in turn, so load on the (shared) machine hits all alike."""
    for i in range(1, 201):  # warm-up: plans, caches, connections
        for probe in probes.values():
            await probe(-i)
    samples: dict[str, list[float]] = {name: [] for name in probes}
    items: dict[str, list[int]] = {name: [] for name in probes}
    for i in tqdm(range(calls), desc="querying", unit="point", file=sys.stderr):
        for name, probe in probes.items():
            ms, n = await probe(i)
            samples[name].append(ms)
            items[name].append(n)
    out = {}
    for name, s in samples.items():
        p50, p99 = statistics.median(s), percentile(s, 99)
        print(
            f"{name:<36} p50={p50:6.2f} ms  p90={percentile(s, 90):6.2f}  p99={p99:6.2f}  "
            f"max={max(s):7.2f}  items/page={statistics.mean(items[name]):.1f}"
        )
        out[name] = (p50, p99)
    return out


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
    conn = await connect(url)
    try:
        transport = httpx.ASGITransport(app=build_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            disks = {}
            for i in [*range(queries), *range(-1, -201, -1)]:
                lat, lon = point(i)
                q = nearby.FeedQuery(lat=lat, lon=lon, radius_m=RADIUS_M, limit=LIMIT)
                disks[i] = (q, nearby.disk_of(q))

            def endpoint(adaptive: bool) -> Probe:
                async def probe(i: int) -> tuple[float, int]:
                    nearby.ADAPTIVE = adaptive
                    lat, lon = point(i)
                    params = {"lat": lat, "lon": lon, "radius_m": RADIUS_M, "limit": LIMIT}
                    # Every probe asks about the same point: without this the second one would find
                    # the H3 cover in the app's LRU, which random city points would not.
                    nearby._cover.cache_clear()
                    t0 = time.perf_counter()
                    r = await client.get("/api/feed", params=params)
                    ms = (time.perf_counter() - t0) * 1000
                    assert r.status_code == 200, r.text
                    return ms, len(r.json()["items"])

                return probe

            def bare(adaptive: bool) -> Probe:
                # The statements the endpoint runs, through asyncpg; the H3 cover is precomputed.
                async def probe(i: int) -> tuple[float, int]:
                    q, disk = disks[i]
                    t0 = time.perf_counter()
                    rows = await nearby.find(conn, q, staff=False, adaptive=adaptive, disk=disk, pool_key=-1)
                    return (time.perf_counter() - t0) * 1000, min(len(rows), LIMIT)

                return probe

            async def cover_only(i: int) -> tuple[float, int]:
                q, _ = disks[i]
                t0 = time.perf_counter()
                cells = geo.cover(q.lat, q.lon, q.radius_m, geo.resolution_for(q.radius_m))
                return (time.perf_counter() - t0) * 1000, len(cells)

            results = await run_interleaved(
                {
                    "GET /api/feed, plain cell scan": endpoint(False),
                    "GET /api/feed, adaptive id window": endpoint(True),
                    "bare SQL, plain cell scan": bare(False),
                    "bare SQL, adaptive id window": bare(True),
                    "H3 cover alone (items = cells)": cover_only,
                },
                queries,
            )
            await show_plan(conn, disks[0])
    finally:
        nearby.ADAPTIVE = ADAPTIVE_IN_APP
        await conn.close()
        await runtime.stop()
    name = "adaptive id window" if ADAPTIVE_IN_APP else "plain cell scan"
    feed_p50, feed_p99 = results[f"GET /api/feed, {name}"]
    bare_p50 = results[f"bare SQL, {name}"][0]
    print(f"strategy used by the app: {name}")
    return f"feed_p50_ms={feed_p50:.2f} feed_p99_ms={feed_p99:.2f} bare_sql_p50_ms={bare_p50:.2f} posts={n}"


async def show_plan(conn: Any, sample: tuple[nearby.FeedQuery, nearby.Disk]) -> None:
    """The first window query's plan at the first sample point."""
    q, disk = sample
    top = await posts_db.max_id(conn)
    args = [
        disk.cells,
        q.lat,
        q.lon,
        q.radius_m,
        2**63 - 1,
        top - nearby.WINDOW,
        *disk.box,
        None,
        None,
        LIMIT + 1,
    ]
    print(f"\nplan of the first id window at ({q.lat:.4f}, {q.lon:.4f}):", file=sys.stderr)
    print(await posts_db.explain_feed(conn, res=disk.res, staff=False, args=args), file=sys.stderr)


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
