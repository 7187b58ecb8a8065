"""Reconnect storm: thousands of sockets lose their realtime process at once and resume with `since`.

Runs the Procfile layout as separate processes — `warga web` (HTTP API), `warga relay`, `warga realtime`
(the sockets) — on one PostgreSQL database and one Redis. N clients (default 5,000) subscribe `near` random
Jakarta points (1 km) and keep the last seq they saw; posts flow over HTTP the whole time. Then the realtime
process is killed (SIGKILL: a crash, not a polite 1001) and started again. Every client reconnects with the
web client's backoff (`reconnectDelay` in the web app's js/live.js: exponential from 0.5 s, capped at 30 s,
"equal jitter", plus a uniform share of the `reconnect_spread_ms` the server last named in `subscribed` or
`pong`, which clients hear at least every 25 s from their keepalive ping) and subscribes again with `since`.
Measured in this one run:

- resumed_within_s: from the kill until the last client has caught up;
- catchup_p99_ms: per client, from the start of the connection attempt that worked until `subscribed` and
  every replayed event (seq <= subscribed.seq) have arrived;
- replay_p99_ms: the same end, from the moment that connection was open (the subscribe sent): the catch-up
  without the wait for the handshake;
- PostgreSQL load: transactions committed and scans of the events table in the bench database
  (pg_stat_database, pg_stat_user_tables), during the storm minus the same window's share at the steady
  rate measured before it, divided by the number of sockets;
- lost / duplicated: at the end every client must hold exactly the posts created within its radius.

The peers it names: the run's own steady state (the same processes, before the storm) for PostgreSQL's load,
and for the catch-up a bare websockets server (bench/baselines/storm_peer.py: no database, no replay, it
answers `subscribed` and `pong`) stormed afterwards with the same clients, backoff and crash — what the
handshakes alone cost on this machine. The last line is `storm_sockets=… resumed_within_s=…
catchup_p99_ms=… pg_queries_per_socket=… peer_catchup_p99_ms=… catchup_p99_ratio_vs_websockets=…
replay_p99_ms=… peer_replay_p99_ms=…`.

Usage: python bench/storm.py [--sockets 5000 --rate 20 --steady-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from fanout import JAKARTA, PY, database, raise_nofile, stop_on_sigterm, wait_http, wait_port  # noqa: E402

from kernel.geo import distance_m  # noqa: E402
from tests import services  # noqa: E402

WARGA = [PY, "-c", "from warga.cli import main; main()"]
RADIUS_M = 1000.0
# The web client's backoff and keepalive (feed/webapp/static/js/live.js): same numbers, so the storm is real.
BASE_BACKOFF_S, MAX_BACKOFF_S, PING_EVERY_S = 0.5, 30.0, 25.0
# pg_stat_* counters reach the shared statistics at most once a second from a busy backend and within
# 10 s from an idle one: read them only after this long, at both ends of every window.
STATS_SETTLE_S = 11.0
Made = list[tuple[int, float, float]]  # (post id, lat, lon) of every post the run created


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Client:
    lat: float
    lon: float
    last_seq: int = 0
    seen: list[int] = field(default_factory=list)  # post ids of post.created events, in arrival order
    resumed_at: float = 0.0  # when its latest catch-up completed
    catchup_ms: float = 0.0
    replay_ms: float = 0.0  # the same catch-up from the moment the socket was open (subscribe sent)
    reconnects: int = 0
    spread_s: float = 0.0  # the reconnect spread the server named last
    heard_at: float = 0.0  # when it named it (monotonic)


def backoff(attempt: int, spread_s: float) -> float:
    """live.js's reconnectDelay."""
    cap = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2**attempt)
    return cap / 2 + random.random() * cap / 2 + random.random() * spread_s


def hear_spread(c: Client, message: dict[str, Any]) -> None:
    if "reconnect_spread_ms" in message:
        c.spread_s = min(MAX_BACKOFF_S, max(0.0, message["reconnect_spread_ms"] / 1000))
        c.heard_at = time.monotonic()


async def keepalive(ws: Any) -> None:
    while True:
        await asyncio.sleep(PING_EVERY_S)
        await ws.send('{"type":"ping"}')


async def run_client(url: str, c: Client, stop: asyncio.Event, first: asyncio.Semaphore) -> None:
    """One phone: connect, subscribe (with since after the first time), read; on any drop, back off, retry."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    attempt, initial = 0, True
    pinger: asyncio.Task[None] | None = None
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with connect(url, open_timeout=60, compression=None, max_size=None) as ws:
                opened = time.perf_counter()
                message: dict[str, Any] = {
                    "type": "subscribe",
                    "id": "s",
                    "near": {"lat": c.lat, "lon": c.lon, "radius_m": RADIUS_M},
                }
                if not initial:
                    message["since"] = c.last_seq
                await ws.send(json.dumps(message))
                # The gateway handles a socket's messages in order and writes `subscribed` and the whole
                # replay before it reads the next one: the pong marks the end of the catch-up.
                await ws.send('{"type":"ping"}')
                head, caught_up = 0, False
                pinger = asyncio.create_task(keepalive(ws))
                async for raw in ws:
                    m = json.loads(raw)
                    hear_spread(c, m)
                    if m["type"] == "event":
                        if m["seq"] > c.last_seq:
                            c.last_seq = m["seq"]
                            if m["event"] == "post.created":
                                c.seen.append(m["post"]["id"])
                    elif m["type"] == "subscribed":
                        head = m["seq"]
                    elif m["type"] == "resync":
                        raise SystemExit("bench: a resync during the storm: the replay window is too small")
                    elif m["type"] == "pong" and not caught_up:
                        caught_up = True
                        # Replayed through head: nothing between last_seq and head was for us.
                        c.last_seq = max(c.last_seq, head)
                        c.catchup_ms = (time.perf_counter() - started) * 1000
                        c.replay_ms = (time.perf_counter() - opened) * 1000
                        c.resumed_at = time.monotonic()
                        attempt = 0
                        if initial:
                            initial = False
                            first.release()
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
            pass
        finally:
            if pinger is not None:
                pinger.cancel()
                pinger = None
        if stop.is_set():
            return
        c.reconnects += 1
        await asyncio.sleep(backoff(attempt, c.spread_s))
        attempt += 1


async def pg_counters(url: str) -> tuple[int, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        xacts = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        scans = await conn.fetchval(
            "SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'events'"
        )
    finally:
        await conn.close()
    return int(xacts), int(scans)


async def poster(http_url: str, rate: float, stop: asyncio.Event, made: Made) -> None:
    import httpx

    rng = random.Random(9)
    async with httpx.AsyncClient(base_url=http_url, timeout=30) as http:
        r = await http.post(
            "/api/auth/register", json={"handle": "stormer", "password": "bench-password-123"}
        )
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        t0, k = time.perf_counter(), 0
        while not stop.is_set():
            lat, lon = rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])
            body = {"text": f"storm {k}", "category": "flood", "lat": lat, "lon": lon}
            for attempt in range(5):
                try:
                    # An Idempotency-Key makes the retry safe: an idle keep-alive connection the server
                    # closed while this busy client process was not looking gives a ReadError, not a post.
                    r = await http.post("/api/posts", json=body, headers={"Idempotency-Key": f"storm-{k}"})
                    break
                except httpx.TransportError:
                    if attempt == 4:
                        raise
            r.raise_for_status()
            post = r.json()
            made.append((post["id"], post["lat"], post["lon"]))
            k += 1
            await asyncio.sleep(max(0.0, t0 + k / rate - time.perf_counter()))


class Realtime:
    """The socket server (`warga realtime`, or the peer), killable and restartable on the same port."""

    def __init__(self, ws_port: int, env: dict[str, str], command: list[str] | None = None) -> None:
        self.ws_port, self.env = ws_port, env
        self.command = command or [*WARGA, "realtime", "--ws-port", str(ws_port)]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL)
        return self.proc

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


async def connect_all(
    ws_url: str, clients: list[Client], stop: asyncio.Event, first: asyncio.Semaphore
) -> list[asyncio.Task[None]]:
    tasks = []
    for c in clients:  # connect in waves, as phones opening the app would, not 5,000 in one instant
        tasks.append(asyncio.create_task(run_client(ws_url, c, stop, first)))
        if len(tasks) % 200 == 0:
            await asyncio.sleep(0.2)
    for _ in clients:
        await asyncio.wait_for(first.acquire(), 600)
    return tasks


async def keepalive_heard(clients: list[Client], since: float) -> None:
    """Wait until every client has heard the server's spread after `since` (all connected): their keepalive
    pings come every 25 s, as the web client's do, so this is at most one keepalive period."""
    deadline = time.monotonic() + PING_EVERY_S + 30
    while not all(c.heard_at > since for c in clients):
        if time.monotonic() > deadline:
            raise SystemExit("bench: clients did not hear a keepalive pong")
        await asyncio.sleep(0.2)


async def crash_and_resume(rt: Realtime, clients: list[Client], down_s: float) -> tuple[float, float]:
    """SIGKILL the socket server, start it again after down_s (events pile up meanwhile), and wait until
    every client has caught up. Returns (killed, resumed) on the monotonic clock."""
    killed = time.monotonic()
    await asyncio.to_thread(rt.kill)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(rt.start)
    while not all(c.resumed_at > killed for c in clients):
        if time.monotonic() - killed > 300:
            raise SystemExit("bench: clients did not resume within 300 s")
        await asyncio.sleep(0.1)
    return killed, time.monotonic()


async def peer_storm(a: argparse.Namespace, rt: Realtime) -> dict[str, Any]:
    """The same clients, backoff and crash against the bare websockets peer (bench/baselines/storm_peer.py):
    no database, no replay, no events; what is left is the handshakes and the machine."""
    rng = random.Random(2026)
    clients = [Client(rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])) for _ in range(a.sockets)]
    stop, first = asyncio.Event(), asyncio.Semaphore(0)
    tasks = await connect_all(f"ws://127.0.0.1:{rt.ws_port}/ws", clients, stop, first)
    await keepalive_heard(clients, time.monotonic())
    killed, resumed = await crash_and_resume(rt, clients, a.down_s)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    catchup = [c.catchup_ms for c in clients]
    return {
        "resumed_within_s": round(resumed - killed, 2),
        "catchup_p50_ms": round(percentile(catchup, 0.50), 1),
        "catchup_p99_ms": round(percentile(catchup, 0.99), 1),
        "replay_p50_ms": round(percentile([c.replay_ms for c in clients], 0.50), 1),
        "replay_p99_ms": round(percentile([c.replay_ms for c in clients], 0.99), 1),
        "reconnect_attempts": sum(c.reconnects for c in clients),
        "reconnect_spread_ms": round(percentile([c.spread_s for c in clients], 0.5) * 1000),
    }


async def storm(a: argparse.Namespace, db_url: str, http_port: int, rt: Realtime) -> dict[str, Any]:
    rng = random.Random(2026)
    ws_url = f"ws://127.0.0.1:{rt.ws_port}/ws"
    clients = [Client(rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])) for _ in range(a.sockets)]
    stop_clients, stop_posts = asyncio.Event(), asyncio.Event()
    first = asyncio.Semaphore(0)
    made: Made = []
    tasks = await connect_all(ws_url, clients, stop_clients, first)
    connected = time.monotonic()
    print(f"storm: {a.sockets} sockets subscribed", flush=True)
    posts = asyncio.create_task(poster(f"http://127.0.0.1:{http_port}", a.rate, stop_posts, made))

    await keepalive_heard(clients, connected)
    # Steady state: the same processes and post rate, no storm. Its PostgreSQL rate is the baseline.
    await asyncio.sleep(STATS_SETTLE_S)
    x0, s0, t0 = *await pg_counters(db_url), time.monotonic()
    await asyncio.sleep(a.steady_s)
    x1, s1, t1 = *await pg_counters(db_url), time.monotonic()
    steady_x, steady_s = (x1 - x0) / (t1 - t0), (s1 - s0) / (t1 - t0)

    killed, resumed = await crash_and_resume(rt, clients, a.down_s)
    await asyncio.sleep(STATS_SETTLE_S)
    x2, s2, t2 = *await pg_counters(db_url), time.monotonic()
    storm_x = (x2 - x1) - steady_x * (t2 - t1)
    storm_s = (s2 - s1) - steady_s * (t2 - t1)

    stop_posts.set()
    await posts
    expected = [
        {pid for pid, plat, plon in made if distance_m(c.lat, c.lon, plat, plon) <= RADIUS_M} for c in clients
    ]
    deadline = time.monotonic() + 60
    while any(not want <= set(c.seen) for c, want in zip(clients, expected, strict=True)):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    stop_clients.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lost = sum(len(want - set(c.seen)) for c, want in zip(clients, expected, strict=True))
    duplicated = sum(len(c.seen) - len(set(c.seen)) for c in clients)
    catchup = [c.catchup_ms for c in clients]
    return {
        "sockets": a.sockets,
        "posts": len(made),
        "post_rate": a.rate,
        "down_s": a.down_s,
        "resumed_within_s": round(resumed - killed, 2),
        "catchup_p50_ms": round(percentile(catchup, 0.50), 1),
        "catchup_p99_ms": round(percentile(catchup, 0.99), 1),
        "catchup_max_ms": round(max(catchup), 1),
        "replay_p50_ms": round(percentile([c.replay_ms for c in clients], 0.50), 1),
        "replay_p99_ms": round(percentile([c.replay_ms for c in clients], 0.99), 1),
        "reconnect_attempts": sum(c.reconnects for c in clients),
        "reconnect_spread_ms": round(percentile([c.spread_s for c in clients], 0.5) * 1000),
        "steady_pg_xacts_per_s": round(steady_x, 1),
        "storm_pg_xacts": round(storm_x),
        "storm_events_scans": round(storm_s),
        "pg_queries_per_socket": round(storm_x / a.sockets, 3),
        "events_scans_per_socket": round(storm_s / a.sockets, 3),
        "expected_deliveries": sum(len(w) for w in expected),
        "lost": lost,
        "duplicated": duplicated,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    with contextlib.suppress(ImportError):  # the clients are one process: give it the faster loop
        import uvloop

        uvloop.install()
    # 5,000 phones in one process: left on, this process's own full collections (up to 455 ms each at
    # 5,000 sockets, measured) stalled every client mid-handshake and were most of the catch-up p99 it
    # reported, for warga and the peer alike. Phones have a CPU each; the run is minutes long, so the
    # cyclic garbage can wait.
    gc.disable()
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockets", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=20, help="posts per second, all along")
    ap.add_argument("--steady-s", type=float, default=10)
    ap.add_argument("--down-s", type=float, default=2, help="how long the realtime process stays dead")
    a = ap.parse_args()
    stop_on_sigterm()
    raise_nofile()
    data = Path(tempfile.mkdtemp(prefix="warga-storm-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with database() as db, services.redis_server() as redis_url:
            if db is None:
                raise SystemExit("bench: set DATABASE_URL (the storm reads that server's statistics)")
            http_port, ws_port = services.free_port(), services.free_port()
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
            env.update(DATABASE_URL=db, REDIS_URL=redis_url, WARGA_DATA_DIR=str(data))
            env.update(WARGA_RATE_LIMITS="off", WARGA_WS_MAX_PER_IP="1000000", WARGA_LOG_LEVEL="warning")
            env.update(WARGA_PHOTO_WORKERS="1", WARGA_POOL_MAX="20")
            web = [*WARGA, "web", "--port", str(http_port), "--ws-port", str(ws_port)]
            procs.append(subprocess.Popen(web, env=env, stdout=subprocess.DEVNULL))
            wait_http(f"http://127.0.0.1:{http_port}/healthz", procs[0], 180)  # migrations ran
            procs.append(subprocess.Popen([*WARGA, "relay"], env=env, stdout=subprocess.DEVNULL))
            rt = Realtime(ws_port, env)
            wait_port(ws_port, rt.start())
            try:
                result = asyncio.run(storm(a, db, http_port, rt))
            finally:
                if rt.proc is not None and rt.proc.poll() is None:
                    rt.kill()
                for proc in procs:  # before the database goes
                    proc.terminate()
                    proc.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(result), flush=True)
    # The peer, after warga's processes are gone: the same storm on a bare websockets server.
    peer_port = services.free_port()
    peer_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    peer_rt = Realtime(
        peer_port, peer_env, [PY, str(ROOT / "bench" / "baselines" / "storm_peer.py"), str(peer_port)]
    )
    wait_port(peer_port, peer_rt.start())
    try:
        peer = asyncio.run(peer_storm(a, peer_rt))
    finally:
        if peer_rt.proc is not None and peer_rt.proc.poll() is None:
            peer_rt.kill()
    print(json.dumps({"peer": "bare websockets", **peer}), flush=True)
    print(
        f"storm_sockets={result['sockets']} resumed_within_s={result['resumed_within_s']} "
        f"catchup_p99_ms={result['catchup_p99_ms']} pg_queries_per_socket={result['pg_queries_per_socket']} "
        f"peer_catchup_p99_ms={peer['catchup_p99_ms']} "
        f"catchup_p99_ratio_vs_websockets={result['catchup_p99_ms'] / max(peer['catchup_p99_ms'], 0.1):.2f} "
        f"replay_p99_ms={result['replay_p99_ms']} peer_replay_p99_ms={peer['replay_p99_ms']}"
    )


if __name__ == "__main__":
    main()
