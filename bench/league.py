"""Benchmark routing and the public league at city scale.

    python bench/league.py [--posts 1000000] [--queries 40] [--route-sample 20000]

Creates a throwaway database (on DATABASE_URL's server, else an embedded pgserver), imports a generated grid
of areas over Jakarta (3 kota > 15 kecamatan > 300 kelurahan, each with a population) through the real
GeoJSON import, then:
  1. routing: `feed.officials.boundaries.deepest_area_for` (H3 cell index + exact point-in-polygon,
     what every new post runs) for --route-sample random points on one connection, checked against the
     grid arithmetic;
  2. seeding: --posts posts spread over the last 365 days, bulk-loaded with COPY with their area and status,
     and their histories (post_assignments: one clock per hand-off; ~6 % forwarded once, ~3 % reopened;
     realistic acknowledge/resolve times, some late, some never; half the forwards go to one of 8 city
     agencies, whose clock the report then runs on), plus 2 officials per kelurahan and 3 per agency;
     VACUUM ANALYZE;
  3. the league: GET /api/league?level=kelurahan&period=30d through the app in-process, --queries times, and
     its SQL alone; also level=kecamatan and level=agency.
Last line: route_posts_per_s=… league_p50_ms=… agency_league_p50_ms=…
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import agencies as agencies_db
from db import league as league_db
from db import users as users_db
from db.migrate import migrate
from db.pool import connect
from feed.app import build_app
from feed.officials import boundaries, sla
from kernel import geo
from kernel.settings import Secret, Settings
from tests import services
from warga.runtime import Parts, Runtime

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # see bench/feed_query.py

CITY = (-6.37, -6.09, 106.69, 106.97)  # min lat, max lat, min lon, max lon
ROWS, COLS = 15, 20  # kelurahan grid: 300 cells
KOTA_ROWS, KEC_COLS = 5, 4  # a kota is 5 rows of the grid; a kecamatan 5 rows x 4 columns (20 kelurahan)
CATEGORIES = ["flood", "traffic", "garbage", "road_damage", "street_light", "illegal_parking", "other"]
BATCH = 50_000


def cell_box(r0: int, c0: int, r1: int, c1: int) -> list[list[float]]:
    min_lat, max_lat, min_lon, max_lon = CITY
    dy, dx = (max_lat - min_lat) / ROWS, (max_lon - min_lon) / COLS
    y0, y1, x0, x1 = min_lat + r0 * dy, min_lat + r1 * dy, min_lon + c0 * dx, min_lon + c1 * dx
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def grid_areas(rng: random.Random) -> dict[str, Any]:
    features = []

    def add(
        name: str, level: str, ring: list[list[float]], parent: str | None, population: int | None
    ) -> None:
        props: dict[str, Any] = {"name": name, "level": level, "code": name}
        if parent:
            props["parent"] = parent
        if population:
            props["population"] = population
        features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )

    for k in range(ROWS // KOTA_ROWS):
        add(f"KOTA-{k}", "kota", cell_box(k * KOTA_ROWS, 0, (k + 1) * KOTA_ROWS, COLS), None, None)
        for j in range(COLS // KEC_COLS):
            kec = f"KEC-{k}-{j}"
            add(
                kec,
                "kecamatan",
                cell_box(k * KOTA_ROWS, j * KEC_COLS, (k + 1) * KOTA_ROWS, (j + 1) * KEC_COLS),
                f"KOTA-{k}",
                None,
            )
            for r in range(k * KOTA_ROWS, (k + 1) * KOTA_ROWS):
                for c in range(j * KEC_COLS, (j + 1) * KEC_COLS):
                    add(
                        f"KEL-{r}-{c}",
                        "kelurahan",
                        cell_box(r, c, r + 1, c + 1),
                        kec,
                        rng.randint(8_000, 60_000),
                    )
    return {"type": "FeatureCollection", "features": features}


def grid_cell(lat: float, lon: float) -> tuple[int, int]:
    min_lat, max_lat, min_lon, max_lon = CITY
    return int((lat - min_lat) / (max_lat - min_lat) * ROWS), int(
        (lon - min_lon) / (max_lon - min_lon) * COLS
    )


def inner_point(rng: random.Random) -> tuple[float, float]:
    """A random point in the city, kept off the grid lines (so the arithmetic answer is unambiguous)."""
    while True:
        lat, lon = rng.uniform(CITY[0], CITY[1]), rng.uniform(CITY[2], CITY[3])
        fy = (lat - CITY[0]) / (CITY[1] - CITY[0]) * ROWS
        fx = (lon - CITY[2]) / (CITY[3] - CITY[2]) * COLS
        if min(fy % 1, 1 - fy % 1, fx % 1, 1 - fx % 1) > 1e-6:
            return lat, lon


def lognormal_s(rng: random.Random, median_h: float, sigma: float = 1.0) -> float:
    return median_h * 3600 * math.exp(rng.gauss(0, sigma))


def histories(
    n: int,
    authors: list[int],
    kelurahan: dict[tuple[int, int], int],
    rng: random.Random,
    now: datetime,
    agencies: list[int],
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(post row, its clocks) in id order; created_at climbs over the year up to now. A forwarded report
    (6 %) goes to another kelurahan or, half the time, to a city agency, whose clock it then runs on."""
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(n, 1)
    keys = list(kelurahan)
    policy = sla.parse(Settings().sla)
    for i in range(n):
        lat, lon = inner_point(rng)
        at = start + step * i
        category = rng.choice(CATEGORIES)
        area = kelurahan[grid_cell(lat, lon)]
        rule = policy.get(category, policy["default"])
        clocks: list[tuple[Any, ...]] = []
        owner, t = area, at
        agency: int | None = None  # the clock's owner is `owner` (an area) unless this is set
        status = "open"
        fate = rng.random()
        hops = 2 if fate < 0.06 else 1
        for hop in range(hops):
            ack = t + timedelta(seconds=lognormal_s(rng, 3 if hop == 0 else 2))
            done = t + timedelta(seconds=lognormal_s(rng, 30, 1.2))
            ended = min(done, ack + timedelta(hours=1)) if hop < hops - 1 else done
            forwarded = hop < hops - 1
            if not forwarded and rng.random() < 0.15:  # still open
                acked = ack if ack < now and rng.random() < 0.6 else None
                clocks.append(
                    (
                        0,
                        area_of(owner, agency),
                        category,
                        t,
                        t + rule.ack,
                        t + rule.resolve,
                        acked,
                        None,
                        None,
                        None,
                        None,
                        agency,
                    )
                )
                status = "acknowledged" if acked else "open"
                break
            if ended > now:
                clocks.append(
                    (
                        0,
                        area_of(owner, agency),
                        category,
                        t,
                        t + rule.ack,
                        t + rule.resolve,
                        None,
                        None,
                        None,
                        None,
                        None,
                        agency,
                    )
                )
                break
            outcome = "forwarded" if forwarded else ("rejected" if rng.random() < 0.1 else "resolved")
            reopened = ended + timedelta(days=2) if outcome == "resolved" and rng.random() < 0.03 else None
            if reopened is not None and reopened > now:
                reopened = None
            acked = min(ack, ended)
            resolved = ended if outcome == "resolved" else None
            clocks.append(
                (
                    0,
                    area_of(owner, agency),
                    category,
                    t,
                    t + rule.ack,
                    t + rule.resolve,
                    acked,
                    resolved,
                    ended,
                    outcome,
                    reopened,
                    agency,
                )
            )
            status = outcome
            if forwarded:
                t = ended
                if agencies and rng.random() < 0.5:
                    agency = rng.choice(agencies)  # the report keeps its area; the agency owns the clock
                else:
                    owner = kelurahan[rng.choice(keys)]
            elif reopened is not None:
                clocks.append(
                    (
                        0,
                        area_of(owner, agency),
                        category,
                        reopened,
                        reopened + rule.ack,
                        reopened + rule.resolve,
                        None,
                        None,
                        None,
                        None,
                        None,
                        agency,
                    )
                )
                status = "reopened"
        post = (
            rng.choice(authors),
            f"Laporan #{i}",
            category,
            lat,
            lon,
            lat,
            lon,
            geo.cell(lat, lon, 9),
            geo.cell(lat, lon, 7),
            at,
            at,
            owner,
            status,
        )
        yield post, clocks


def area_of(owner: int, agency: int | None) -> int | None:
    return None if agency is not None else owner


AGENCIES = ["DSDA", "BINAMARGA", "LH", "DISHUB", "SATPOLPP", "PERTAMANAN", "DPRKP", "BPBD"]


@contextlib.asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    with services.postgres_server() as admin:
        url = await services.create_database(admin)
        try:
            yield url
        finally:
            await services.drop_database(admin, url)


async def setup_areas(conn: Any, rng: random.Random) -> dict[tuple[int, int], int]:
    t0 = time.perf_counter()
    result = await boundaries.import_areas(conn, grid_areas(rng))
    print(
        f"imported {result.created} areas, {result.cells} index cells in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    rows = await conn.fetch("SELECT id, code FROM areas WHERE level = 'kelurahan'")
    out = {}
    for r in rows:
        _, row, col = r["code"].split("-")
        out[(int(row), int(col))] = r["id"]
    return out


async def measure_routing(
    conn: Any, kelurahan: dict[tuple[int, int], int], samples: int, rng: random.Random
) -> float:
    points = [inner_point(rng) for _ in range(samples)]
    for lat, lon in points[:200]:  # warm the geometry cache as a running server's would be
        await boundaries.deepest_area_for(conn, lat, lon)
    t0 = time.perf_counter()
    got = [await boundaries.deepest_area_for(conn, lat, lon) for lat, lon in points]
    elapsed = time.perf_counter() - t0
    wrong = sum(1 for (lat, lon), a in zip(points, got, strict=True) if a != kelurahan[grid_cell(lat, lon)])
    assert wrong == 0, f"{wrong} points routed to the wrong kelurahan"
    return samples / elapsed


async def seed(
    conn: Any, n: int, kelurahan: dict[tuple[int, int], int], rng: random.Random, now: datetime
) -> None:
    authors = []
    for i in range(200):
        row = await users_db.create(conn, f"bench{i}", "not-a-real-hash")
        assert row is not None
        authors.append(row["id"])
    officials = []
    for i, area in enumerate(kelurahan.values()):
        for k in range(2):
            row = await users_db.create(conn, f"lurah{i}_{k}", "not-a-real-hash", "official")
            assert row is not None
            officials.append((row["id"], area))
    await league_db.copy_officials(conn, officials)
    agencies = []
    for code in AGENCIES:  # eight city agencies, three officials each
        agency_id, _ = await agencies_db.upsert(conn, code, f"Dinas {code}", [])
        agencies.append(agency_id)
        for k in range(3):
            row = await users_db.create(conn, f"petugas.{code.lower()}{k}", "not-a-real-hash", "official")
            assert row is not None
            await agencies_db.assign(conn, row["id"], agency_id)
    t0 = time.perf_counter()
    rows = histories(n, authors, kelurahan, rng, now, agencies)
    first_id = 1
    done = clocks_total = 0
    while done < n:
        posts, clocks = [], []
        for _ in range(min(BATCH, n - done)):
            post, its = next(rows)
            posts.append(post)
            for c in its:
                clocks.append((first_id + len(posts) - 1, *c[1:]))
        await league_db.copy_routed_posts(conn, posts)
        await league_db.copy_assignments(conn, clocks)
        first_id += len(posts)
        done += len(posts)
        clocks_total += len(clocks)
        print(
            f"  {done:,} posts, {clocks_total:,} clocks ({time.perf_counter() - t0:.0f} s)", file=sys.stderr
        )
    print("VACUUM ANALYZE ...", file=sys.stderr)
    await league_db.vacuum_analyze(conn)
    print(f"seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure_league(url: str, queries: int, now: datetime) -> dict[str, float]:
    settings = Settings(database_url=Secret(url), rate_limits="off", data_dir=Path("var/bench-league"))
    runtime = Runtime(settings, Parts(web=True, gateway=False, relay=False))
    await runtime.start(run_migrations=False)
    runtime.clock = lambda: now  # the data set's "now", so every run reads the same 30 days
    try:
        app = build_app(runtime)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            timings: dict[str, list[float]] = {"http": [], "sql": [], "kecamatan": [], "agency": []}
            async with runtime.pool.acquire() as conn:
                print(
                    (await league_db.explain(conn, "kelurahan", now - timedelta(days=30), now)),
                    file=sys.stderr,
                )
            for _ in range(3):  # warm-up
                await client.get("/api/league", params={"level": "kelurahan", "period": "30d"})
            for _ in range(queries):
                t0 = time.perf_counter()
                r = await client.get("/api/league", params={"level": "kelurahan", "period": "30d"})
                timings["http"].append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200 and len(r.json()["items"]) == ROWS * COLS, r.text[:200]
                async with runtime.pool.acquire() as conn:
                    t0 = time.perf_counter()
                    await league_db.league(conn, "kelurahan", now - timedelta(days=30), now)
                    timings["sql"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await client.get("/api/league", params={"level": "kecamatan", "period": "30d"})
                timings["kecamatan"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                a = await client.get("/api/league", params={"level": "agency", "period": "30d"})
                timings["agency"].append((time.perf_counter() - t0) * 1000)
                assert a.status_code == 200 and len(a.json()["items"]) == len(AGENCIES), a.text[:200]
            top = r.json()["items"][0]
            print(
                f"top of the league: {top['name']} score {top['score']:.1f} reports {top['reports']}",
                file=sys.stderr,
            )
    finally:
        await runtime.stop()
    return {
        "http_p50": statistics.median(timings["http"]),
        "http_p99": pct(timings["http"], 99),
        "sql_p50": statistics.median(timings["sql"]),
        "kec_p50": statistics.median(timings["kecamatan"]),
        "agency_p50": statistics.median(timings["agency"]),
    }


async def run(url: str, args: argparse.Namespace, rng: random.Random) -> tuple[float, dict[str, float]]:
    conn = await connect(url)
    try:
        await migrate(conn)
        seeded = await conn.fetchval("SELECT count(*) FROM areas") > 0
        if seeded:  # --database reuse: the data set is there; "now" is its newest post
            now = await conn.fetchval("SELECT max(created_at) FROM posts")
            rows = await conn.fetch("SELECT id, code FROM areas WHERE level = 'kelurahan'")
            kelurahan = {(int(r["code"].split("-")[1]), int(r["code"].split("-")[2])): r["id"] for r in rows}
        else:
            now = datetime.now(UTC).replace(microsecond=0)
            kelurahan = await setup_areas(conn, rng)
        route_per_s = await measure_routing(conn, kelurahan, args.route_sample, rng)
        print(f"routing: {route_per_s:,.0f} points/s on one connection, all correct", file=sys.stderr)
        if not seeded:
            await seed(conn, args.posts, kelurahan, rng, now)
        count = await conn.fetchval(
            "SELECT count(*) FROM post_assignments WHERE started_at >= $1", now - timedelta(days=30)
        )
        print(f"clocks in the 30-day window: {count:,}", file=sys.stderr)
    finally:
        await conn.close()
    return route_per_s, await measure_league(url, args.queries, now)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--route-sample", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--database", default="", help="an existing database: seeded on first use, kept, reused after"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.database:
        route_per_s, figures = await run(args.database, args, rng)
    else:
        async with bench_database() as url:
            route_per_s, figures = await run(url, args, rng)
    print(
        f"league kelurahan: HTTP p50 {figures['http_p50']:.1f} ms p99 {figures['http_p99']:.1f} ms, "
        f"SQL p50 {figures['sql_p50']:.1f} ms; kecamatan HTTP p50 {figures['kec_p50']:.1f} ms; "
        f"agency HTTP p50 {figures['agency_p50']:.1f} ms; "
        f"posts={args.posts}"
    )
    print(
        f"route_posts_per_s={route_per_s:.0f} league_p50_ms={figures['http_p50']:.1f} "
        f"agency_league_p50_ms={figures['agency_p50']:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
