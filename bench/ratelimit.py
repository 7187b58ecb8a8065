"""Rate-limit overhead on POST /api/posts: the same app, the same run, limits off vs on (memory store and
Redis store), with limits set so high they never trigger. Requests go through the app in-process (httpx's
ASGI transport) one at a time, the three configurations interleaved request by request so load on the
shared machine hits all alike.

    python bench/ratelimit.py [--posts 2000]

Uses DATABASE_URL / REDIS_URL when set, else an embedded PostgreSQL and a private redis-server. The posting
accounts are officials, whom spam holds never apply to (holds follow the limiter), so every configuration
runs the same publishing path; only the limiter differs. The last line is
`ratelimit_overhead_ratio=<p50 with Redis limits / p50 without>`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from feed.core.ratelimit import Limits, MemoryStore, RedisStore, parse_rules
from kernel.settings import Secret, Settings
from tests import services
from warga.runtime import Parts, Runtime

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # see bench/feed_query.py

NEVER = "post=100000000/600:100000000/600,upload=100000000/600:100000000/600"
USERS = 50


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(posts: int) -> None:
    with services.postgres_server() as admin, services.redis_server() as redis_url:
        url = await services.create_database(admin)
        settings = Settings(
            database_url=Secret(url),
            data_dir=Path(tempfile.mkdtemp(prefix="warga-bench-")),
            rate_limits="off",
            log_level="warning",
        )
        runtime = Runtime(settings, Parts(web=True, gateway=False, relay=False))
        await runtime.start()
        configs = {
            "off": Limits(None, MemoryStore()),
            "memory": Limits(parse_rules(NEVER), MemoryStore()),
            "redis": Limits(parse_rules(NEVER), RedisStore(redis_url)),
        }
        try:
            tokens = []
            async with runtime.pool.acquire() as conn:
                for i in range(USERS):
                    row = await users_db.create(conn, f"bench{i}", "not-a-real-hash", "official")
                    assert row is not None
                    tokens.append(await issue_token(conn, row["id"], 1))
            transport = httpx.ASGITransport(app=build_app(runtime))
            samples: dict[str, list[float]] = {name: [] for name in configs}
            # This process's CPU time per request: what the limiter costs the web process, far less
            # disturbed by the other work on a shared machine than wall time (waiting is not counted).
            cpu: dict[str, list[float]] = {name: [] for name in configs}
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def one(i: int, name: str) -> tuple[float, float]:
                    runtime._limits = configs[name]
                    body = {"text": f"bench {i}", "category": "flood", "lat": -6.2 + i * 1e-5, "lon": 106.8}
                    headers = {"Authorization": f"Bearer {tokens[i % USERS]}"}
                    c0, t0 = time.process_time(), time.perf_counter()
                    r = await client.post("/api/posts", json=body, headers=headers)
                    ms = (time.perf_counter() - t0) * 1000
                    cpu_ms = (time.process_time() - c0) * 1000
                    assert r.status_code == 201, r.text
                    return ms, cpu_ms

                for i in range(200):  # warm-up: plans, caches, connections, the Redis script
                    for name in configs:
                        await one(-i - 1, name)
                started = time.perf_counter()
                for i in range(posts):
                    # Rotate the order too: no configuration always runs right after another.
                    names = list(configs)
                    names = names[i % 3 :] + names[: i % 3]
                    for name in names:
                        ms, cpu_ms = await one(i, name)
                        samples[name].append(ms)
                        cpu[name].append(cpu_ms)
                elapsed = time.perf_counter() - started
        finally:
            runtime._limits = configs["off"]
            for limits in configs.values():
                await limits.close()
            await runtime.stop()
            await services.drop_database(admin, url)
    print(
        f"POST /api/posts, {posts} per configuration, interleaved; {3 * posts / elapsed:.0f} posts/s overall"
    )
    for name, s in samples.items():
        print(
            f"limits={name:<7} p50={statistics.median(s):6.2f} ms  p90={percentile(s, 90):6.2f}  "
            f"p99={percentile(s, 99):6.2f}  mean={statistics.mean(s):6.2f}  "
            f"({1000 / statistics.mean(s):.0f}/s)"
        )
    for name, s in cpu.items():
        print(f"limits={name:<7} cpu p50={statistics.median(s):6.3f} ms  mean={statistics.mean(s):6.3f} ms")
    cpu_off = statistics.median(cpu["off"])
    print(f"cpu_memory_ratio={statistics.median(cpu['memory']) / cpu_off:.3f}")
    print(f"cpu_redis_ratio={statistics.median(cpu['redis']) / cpu_off:.3f}")
    off = statistics.median(samples["off"])
    print(f"memory_overhead_ratio={statistics.median(samples['memory']) / off:.3f}")
    print(f"ratelimit_overhead_ratio={statistics.median(samples['redis']) / off:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.posts))


if __name__ == "__main__":
    main()
