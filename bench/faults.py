"""Fault injection against a real cluster (bench/cluster.py: 2 x web, 2 x realtime, relay; private
PostgreSQL and Redis): does anything acknowledged get lost, doubled, or appear without being acknowledged?

Each scenario opens fresh subscribers (spread over both realtime processes, each at a random point with a
random radius, plus one "end" subscription far away), runs posts at --rate over both web processes for
--seconds, injects its fault a third of the way in, then posts one end marker far away: a socket that has
the marker has everything before it (events reach a socket in seq order). Then it counts, in Jepsen's sense:

  lost        an acknowledged post (201) missing from the final database read, or missing at a subscriber
              whose circle holds it, after resume; a `resync` counts as recovered only when the refetch of
              /api/feed that follows it contains the post
  duplicated  the same event (seq) delivered twice on one subscription
  unexpected  a post delivered (or stored) that was never acknowledged

Posts carry an Idempotency-Key and are retried with it after a 503 or a dropped connection (what a client
should do), so "refused" is final: a refused post that still turns up is unexpected. Any 500 fails the run.

Scenarios (issue #9):
  redis     Redis SIGKILLed for --redis-down seconds (5), then started empty
  postgres  PostgreSQL stopped (fast: every connection dropped) for --pg-down seconds, then started;
            warga's processes keep running and must recover on their own
  relay     the relay SIGKILLed mid-stream, restarted 2 s later: republishes from where it stopped
  realtime  realtime.1 SIGKILLed: its clients reconnect to realtime.2 with `since` and resume

Last line: lost=… duplicated=… unexpected=… scenarios=… (plus failed= and http_500=).
Usage: python bench/faults.py [--subscribers 500 --rate 100 --seconds 20] [--only redis,relay]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster  # noqa: E402 - after the path fix above
from kernel.geo import distance_m  # noqa: E402

MONAS = (-6.1754, 106.8272)
BOX_DEG = 0.045  # posts and subscribers within ±5 km of Monas
FAR = (-6.9147, 107.6098)  # Bandung: the end marker's place, outside every subscriber's circle
EDGE_M = 1.0  # a post this close to a circle's edge may fall either way (float rounding): not counted
SETTLE_S = 60.0  # a guard for the end marker to arrive everywhere; whatever has not arrived by then is lost
PASSWORD = "uji-gangguan-123"


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 100_000), hard))


def random_point(rng: random.Random) -> tuple[float, float]:
    return MONAS[0] + rng.uniform(-BOX_DEG, BOX_DEG), MONAS[1] + rng.uniform(-BOX_DEG, BOX_DEG)


# -- subscribers -------------------------------------------------------------------------------------


@dataclass
class Subscriber:
    """One socket as a well-behaved client runs it: on a drop, reconnect (to the next realtime process,
    with jitter) and subscribe again with `since` = the last seq it has; on `resync`, refetch the feed."""

    urls: list[str]
    web: str
    at: int  # index into urls
    lat: float
    lon: float
    radius_m: float
    last: dict[str, int | None] = field(default_factory=lambda: {"s": None, "end": None})
    seqs: Counter[int] = field(default_factory=Counter)
    posts: dict[int, int] = field(default_factory=dict)  # post id -> seq, sub "s"
    markers: set[int] = field(default_factory=set)
    out_of_order: int = 0
    resyncs: int = 0
    refetched: set[int] = field(default_factory=set)
    reconnects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    got_marker: asyncio.Event = field(default_factory=asyncio.Event)
    marker: int | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def wants(self, lat: float, lon: float) -> bool | None:
        """True/False for a post at (lat, lon); None right at the edge (either answer is correct)."""
        d = distance_m(self.lat, self.lon, lat, lon)
        return None if abs(d - self.radius_m) < EDGE_M else d <= self.radius_m

    async def run(self) -> None:
        while True:
            try:
                async with ws_connect(self.urls[self.at], open_timeout=10, max_size=None) as ws:
                    await self._subscribe(ws, "s")
                    await self._subscribe(ws, "end")
                    async for raw in ws:
                        await self._on(ws, json.loads(raw))
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            self.reconnects += 1
            self.at = (self.at + 1) % len(self.urls)
            await asyncio.sleep(random.uniform(0.05, 0.5))  # jittered: a storm of reconnects spreads out

    async def _subscribe(self, ws: Any, sub: str) -> None:
        if sub == "s":
            near = {"lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}
        else:
            near = {"lat": FAR[0], "lon": FAR[1], "radius_m": 1000}
        message: dict[str, Any] = {"type": "subscribe", "id": sub, "near": near}
        if self.last[sub] is not None:
            message["since"] = self.last[sub]
        await ws.send(json.dumps(message))

    async def _on(self, ws: Any, m: dict[str, Any]) -> None:
        kind = m["type"]
        if kind == "event":
            sub, seq = m["sub"], m["seq"]
            last = self.last[sub]
            if last is not None and seq <= last:
                self.out_of_order += 1
            self.last[sub] = max(seq, last or 0)
            self.seqs[seq] += 1
            if sub == "s" and m["event"] == "post.created":
                self.posts[m["post"]["id"]] = seq
            elif sub == "end":
                self.markers.add(m["post"]["id"])
                if self.marker in self.markers:
                    self.got_marker.set()
        elif kind == "subscribed":
            if self.last[m["id"]] is None:
                self.last[m["id"]] = m["seq"]
            if self.last["s"] is not None and self.last["end"] is not None:
                self.ready.set()
        elif kind == "resync":
            self.resyncs += 1
            self._spawn(self._refetch())
        elif kind == "error":
            self.errors[m.get("code", "?")] += 1
            if m.get("code") == "unavailable" and m.get("id") in self.last:
                await asyncio.sleep(0.5)  # the database is restarting: ask again
                await self._subscribe(ws, m["id"])

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _refetch(self) -> None:
        """What a client does on resync: read the feed for its circle again, every page."""
        params: dict[str, Any] = {"lat": self.lat, "lon": self.lon, "radius_m": self.radius_m, "limit": 100}
        async with httpx.AsyncClient(base_url=self.web, timeout=30) as http:
            for _ in range(100):
                r = await http.get("/api/feed", params=params)
                if r.status_code == 503:
                    await asyncio.sleep(1)
                    continue
                r.raise_for_status()
                page = r.json()
                self.refetched.update(p["id"] for p in page["items"])
                if not page["next"]:
                    return
                params["before"] = page["next"]

    def delivered_twice(self) -> int:
        return sum(n - 1 for n in self.seqs.values() if n > 1)


# -- load --------------------------------------------------------------------------------------------


@dataclass
class Load:
    """Posts at a steady rate over every web process; each retried with its Idempotency-Key until a 201 or
    a final refusal."""

    webs: list[str]
    tokens: list[str]
    tag: str
    rng: random.Random
    acked: dict[int, tuple[float, float]] = field(default_factory=dict)
    refused: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    retry_limit_s: float = 60.0
    # Requests in flight at once. httpx's connection pool slows to a crawl with thousands of queued
    # requests (each state change scans the queue), so the generator, not the pool, holds the backlog.
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(64))

    async def run(self, http: httpx.AsyncClient, rate: float, seconds: float) -> None:
        start = time.monotonic()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.post(http, i, *random_point(self.rng))))
        await asyncio.gather(*tasks)

    async def post(
        self, http: httpx.AsyncClient, i: int, lat: float, lon: float, text: str = ""
    ) -> int | None:
        text = text or f"uji gangguan {self.tag} {i}"
        body = {"text": text, "category": "flood", "lat": lat, "lon": lon}
        headers = {
            "Authorization": f"Bearer {self.tokens[i % len(self.tokens)]}",
            "Idempotency-Key": f"{self.tag}-{i}",
        }
        deadline = time.monotonic() + self.retry_limit_s
        attempt = 0
        while time.monotonic() < deadline:
            web = self.webs[(i + attempt) % len(self.webs)]  # a retry goes to the next web process
            attempt += 1
            try:
                async with self.in_flight:
                    r = await http.post(web + "/api/posts", json=body, headers=headers, timeout=20)
            except httpx.TransportError as exc:
                self.statuses[type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            self.statuses[str(r.status_code)] += 1
            if r.status_code == 201:
                post_id = int(r.json()["id"])
                self.acked[post_id] = (lat, lon)
                return post_id
            if r.status_code == 503:
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            break
        self.refused += 1
        return None


# -- scenarios ---------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    posts: int = 0
    checked: int = 0  # (subscriber, post) pairs that had to be delivered
    lost_db: int = 0
    lost_delivery: int = 0
    duplicated: int = 0
    unexpected: int = 0
    out_of_order: int = 0
    misrouted: int = 0
    resyncs: int = 0
    recovered_by_refetch: int = 0
    reconnects: int = 0
    no_marker: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    relay_behind: int = 0  # events not yet published when counted (diagnostic)
    fault_s: float = 0.0
    posting_s: float = 0.0  # from the first post to the last answer: shows whether --rate was kept up
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.lost_db + self.lost_delivery

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.duplicated or self.unexpected or self.out_of_order or self.misrouted
        ) and not self.statuses.get("500")

    def line(self) -> str:
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.name:9} {'ok  ' if self.ok else 'FAIL'} posts={self.posts} deliveries={self.checked} "
            f"lost={self.lost} "
            f"(db={self.lost_db} delivery={self.lost_delivery}) duplicated={self.duplicated} "
            f"unexpected={self.unexpected} out_of_order={self.out_of_order} misrouted={self.misrouted} "
            f"resyncs={self.resyncs} (recovered by refetch: {self.recovered_by_refetch}) "
            f"reconnects={self.reconnects} no_marker={self.no_marker} relay_behind={self.relay_behind} "
            f"http=[{codes}] "
            f"fault={self.fault_s:.1f}s posting={self.posting_s:.1f}s total={self.seconds:.1f}s"
        )


Fault = Callable[[Cluster, argparse.Namespace], Awaitable[None]]


async def kill_redis(cluster: Cluster, args: argparse.Namespace) -> None:
    await cluster.kill_redis(args.redis_down)


async def restart_postgres(cluster: Cluster, args: argparse.Namespace) -> None:
    await cluster.restart_postgres(args.pg_down)


async def kill_relay(cluster: Cluster, args: argparse.Namespace) -> None:
    name = cluster.names("relay")[0]
    cluster.kill(name)
    await asyncio.sleep(2)
    cluster.start_process(name)


async def kill_realtime(cluster: Cluster, args: argparse.Namespace) -> None:
    cluster.kill(cluster.names("realtime")[0])


SCENARIOS: dict[str, Fault] = {
    "redis": kill_redis,
    "postgres": restart_postgres,
    "relay": kill_relay,
    "realtime": kill_realtime,
}


async def run_scenario(
    cluster: Cluster,
    name: str,
    index: int,
    args: argparse.Namespace,
    tokens: list[str],
    http: httpx.AsyncClient,
) -> Result:
    began = time.monotonic()
    rng = random.Random(f"{args.seed}-{name}-{index}")
    result = Result(name)
    # Every realtime process is up at the start of a scenario (the previous one may have killed one).
    for proc in cluster.names("realtime") + cluster.names("relay"):
        if not cluster.procs[proc].alive:
            await cluster.restart(proc)
    urls, webs = cluster.ws_urls, cluster.web_urls
    subs = []
    for i in range(args.subscribers):
        lat, lon = random_point(rng)
        radius = rng.uniform(args.radius_min, args.radius_max)
        subs.append(Subscriber(urls, webs[i % len(webs)], i % len(urls), lat, lon, radius))
    runners = [asyncio.create_task(s.run()) for s in subs]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 120)
        # Unique per run and scenario: a repeated Idempotency-Key replays an earlier post, creates none.
        load = Load(webs, tokens, f"{name}-{args.seed}-{os.getpid()}-{index}", rng)
        load_began = time.monotonic()
        posting = asyncio.create_task(load.run(http, args.rate, args.seconds))
        await asyncio.sleep(args.seconds / 3)
        fault_began = time.monotonic()
        await SCENARIOS[name](cluster, args)
        result.fault_s = time.monotonic() - fault_began
        await posting
        result.posting_s = time.monotonic() - load_began
        # The end marker: posted after every acknowledged post, so a socket that has it has the rest.
        marker = None
        while marker is None:
            marker = await load.post(http, -1, *FAR, text=f"penanda akhir {load.tag}")
        for s in subs:
            s.marker = marker
            if marker in s.markers:
                s.got_marker.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.got_marker.wait() for s in subs)), SETTLE_S)
        for s in subs:  # a refetch started by a resync finishes before we count
            if s.tasks:
                await asyncio.gather(*s.tasks, return_exceptions=True)
    finally:
        for task in runners:
            task.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
    acked = {pid: pos for pid, pos in load.acked.items() if pid != marker}
    await _count(cluster, result, subs, acked, load)
    result.seconds = time.monotonic() - began
    return result


async def _count(
    cluster: Cluster,
    result: Result,
    subs: list[Subscriber],
    acked: dict[int, tuple[float, float]],
    load: Load,
) -> None:
    result.posts = len(acked)
    result.statuses = load.statuses
    conn = await asyncpg.connect(cluster.database_url)
    try:
        stored = {r["id"] for r in await conn.fetch("SELECT id FROM posts WHERE id = ANY($1)", list(acked))}
        # A refused post that is stored anyway (the commit landed, the answer did not) is unexpected.
        extra = await conn.fetchval(
            "SELECT count(*) FROM posts WHERE text LIKE $1 AND NOT (id = ANY($2))",
            f"uji gangguan {load.tag} %",
            [*acked, -1],
        )
        result.relay_behind = await conn.fetchval(
            """SELECT (SELECT coalesce(max(id), 0) FROM events) - value
               FROM relay_state WHERE name = 'published'"""
        )
    finally:
        await conn.close()
    result.lost_db = len(set(acked) - stored)
    result.unexpected += int(extra)
    for s in subs:
        result.duplicated += s.delivered_twice()
        result.out_of_order += s.out_of_order
        result.resyncs += s.resyncs
        result.reconnects += s.reconnects
        result.no_marker += not s.got_marker.is_set()
        for post_id in s.posts:
            if post_id not in acked:
                result.unexpected += 1
            elif s.wants(*acked[post_id]) is False:
                result.misrouted += 1
        for post_id, pos in acked.items():
            wanted = s.wants(*pos)
            result.checked += bool(wanted)
            if wanted and post_id not in s.posts:
                if post_id in s.refetched:
                    result.recovered_by_refetch += 1
                else:
                    result.lost_delivery += 1


async def register(http: httpx.AsyncClient, web: str, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        body = {"handle": f"warga_uji_{i}", "password": PASSWORD}
        r = await http.post(web + "/api/auth/register", json=body)
        r.raise_for_status()
        tokens.append(r.json()["token"])
    return tokens


async def main(args: argparse.Namespace) -> int:
    raise_nofile()
    load_before = os.getloadavg()
    env = {
        "WARGA_RATE_LIMITS": args.rate_limits,
        # New accounts' first posts would be held for review (docs/trust.md) and never pushed: the bench
        # measures delivery, not the spam filter.
        "WARGA_SPAM_HOLDS": "off",
    }
    names = [n for n in args.only.split(",") if n] if args.only else list(SCENARIOS)
    results = []
    started = time.monotonic()
    folder = Path(args.folder) if args.folder else None
    async with Cluster(folder, env=env) as cluster:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:
            tokens = await register(http, cluster.web_urls[0], args.users)
            for index, name in enumerate(names):
                result = await run_scenario(cluster, name, index, args, tokens, http)
                print(result.line(), flush=True)
                results.append(result)
        if not all(r.ok for r in results):
            cluster.print_logs()
    load_after = os.getloadavg()
    print(
        f"subscribers={args.subscribers} rate={args.rate}/s seconds={args.seconds} "
        f"redis_down={args.redis_down}s pg_down={args.pg_down}s wall={time.monotonic() - started:.0f}s "
        f"loadavg_before={load_before[0]:.2f} loadavg_after={load_after[0]:.2f} cpus={os.cpu_count()}"
    )
    failed = sum(not r.ok for r in results)
    print(
        f"lost={sum(r.lost for r in results)} duplicated={sum(r.duplicated for r in results)} "
        f"unexpected={sum(r.unexpected for r in results)} scenarios={len(results)} failed={failed} "
        f"http_500={sum(r.statuses.get('500', 0) for r in results)}"
    )
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subscribers", type=int, default=500)
    p.add_argument("--rate", type=float, default=100.0, help="posts per second")
    p.add_argument("--seconds", type=float, default=20.0, help="posting time per scenario")
    p.add_argument("--redis-down", type=float, default=5.0)
    p.add_argument("--pg-down", type=float, default=2.0)
    p.add_argument("--radius-min", type=float, default=500.0)
    p.add_argument("--radius-max", type=float, default=2000.0)
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--only", default="", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    p.add_argument("--seed", default="9")
    p.add_argument("--folder", default="", help="keep the cluster's data and logs here")
    p.add_argument(
        "--rate-limits",
        default="post=1000000/60:1000000/60,register=1000/60:1000/60",
        help="WARGA_RATE_LIMITS for the cluster; the default keeps the limiter (and so Redis) on the write "
        "path, as in production, but out of the way; 'off' takes Redis off it",
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
