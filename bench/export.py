"""Benchmark the open data export's memory: the app's streamed export (server-side cursor, a chunk per 200
rows) against its peer, the obvious load-all export (fetch every row, then build the whole body), in one run.

    python bench/export.py [--posts 1000000] [--peer-posts 100000]

Creates a throwaway database (on DATABASE_URL's server, else an embedded pgserver) and bulk-loads posts
shaped like bench/feed_query.py's. Memory is Python's peak allocation while one export is produced
(tracemalloc): it does not depend on how loaded the shared machine is. Wall and CPU seconds are printed for
information only (tracemalloc slows Python down). First both ways over --peer-posts rows (the ratio), then,
after loading the rest, the streamed export alone over --posts rows (load-all would need gigabytes there).
Last lines, per format:
    csv: stream_peak_mb=… (N rows) stream_peak_mb_small=… peer_peak_mb=… (M rows) peer_over_stream=…x
         growth=…x (the stream's peak at N rows over its peak at M rows: 1.0 = constant memory)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import io
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_query import BATCH, bench_database, post_rows  # the same city-shaped posts

from db import export as export_db
from db import posts as posts_db
from db import users as users_db
from db.migrate import migrate
from db.pool import connect, create_pool
from feed.open311 import export

MB = 1024 * 1024
FORMATS = ("csv", "geojson")
EVERYTHING = {"start": None, "end": None, "area_id": None, "category": None}


class _Runtime:
    """What the export generators use of the app's runtime: the pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool


async def add_posts(url: str, n: int, rng: random.Random) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
        author = await users_db.by_handle_with_hash(conn, "bench_export")
        if author is None:
            author = await users_db.create(conn, "bench_export", "not-a-real-hash")
        assert author is not None
        rows = post_rows(n, [author["id"]], rng)
        for done in range(0, n, BATCH):
            await posts_db.copy_posts(conn, [next(rows) for _ in range(min(BATCH, n - done))])
    finally:
        await conn.close()


async def streamed(runtime: _Runtime, fmt: str) -> int:
    """The app's export, driven as the StreamingResponse drives it; returns the bytes produced."""
    produce = export._csv if fmt == "csv" else export._geojson
    size = 0
    async for chunk in produce(runtime, EVERYTHING):
        size += len(chunk)
    return size


async def load_all(runtime: _Runtime, fmt: str) -> int:
    """The peer: every row in memory at once, then the whole body as one string."""
    async with runtime.pool.acquire() as conn:
        rows = await export_db.all_public_reports(conn)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(export.CSV_COLUMNS)
        for r in rows:
            writer.writerow([export._csv_value(r, k) for k in export._CSV_KEYS])
        return len(out.getvalue().encode())
    body = {"type": "FeatureCollection", "features": [export.feature(r) for r in rows]}
    return len(json.dumps(body, ensure_ascii=False).encode())


async def measure(work: Callable[[], Awaitable[int]]) -> dict[str, float]:
    """Peak MB allocated, wall and CPU seconds, and MB produced by one export."""
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        size = await work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {
        "peak": peak / MB,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "body": size / MB,
    }


async def measure_all(url: str, names: dict[str, Callable[[_Runtime], Awaitable[int]]]) -> dict[str, Any]:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        runtime = _Runtime(pool)
        results = {}
        for name, work in names.items():
            results[name] = await measure(functools.partial(work, runtime))
            v = results[name]
            print(
                f"{name:<16} peak={v['peak']:8.2f} MB  body={v['body']:8.1f} MB  "
                f"wall={v['wall']:6.1f} s  cpu={v['cpu']:6.1f} s",
                file=sys.stderr,
            )
        return results
    finally:
        await pool.close()


def _stream(fmt: str) -> Callable[[_Runtime], Awaitable[int]]:
    return lambda runtime: streamed(runtime, fmt)


def _peer(fmt: str) -> Callable[[_Runtime], Awaitable[int]]:
    return lambda runtime: load_all(runtime, fmt)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--peer-posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 0 < args.peer_posts <= args.posts:
        parser.error("--peer-posts must be from 1 to --posts")
    rng = random.Random(args.seed)
    async with bench_database() as url:
        await add_posts(url, args.peer_posts, rng)
        small = await measure_all(
            url, {f"{f}_stream_small": _stream(f) for f in FORMATS} | {f"{f}_peer": _peer(f) for f in FORMATS}
        )
        t0 = time.perf_counter()
        await add_posts(url, args.posts - args.peer_posts, rng)
        print(f"loaded {args.posts} posts in all ({time.perf_counter() - t0:.0f} s more)", file=sys.stderr)
        big = await measure_all(url, {f"{f}_stream": _stream(f) for f in FORMATS})
    for f in FORMATS:
        stream, stream_small, peer = big[f"{f}_stream"], small[f"{f}_stream_small"], small[f"{f}_peer"]
        print(
            f"{f}: stream_peak_mb={stream['peak']:.2f} ({args.posts} rows, {stream['body']:.0f} MB body) "
            f"stream_peak_mb_small={stream_small['peak']:.2f} peer_peak_mb={peer['peak']:.1f} "
            f"({args.peer_posts} rows) peer_over_stream={peer['peak'] / stream_small['peak']:.0f}x "
            f"growth={stream['peak'] / stream_small['peak']:.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
