"""Slow consumers: do clients that never read slow down everyone else? Two runs in one script.

Starts one `warga serve` (HTTP API, gateway, relay; PostgreSQL on DATABASE_URL or embedded; a private Redis).
Each run opens the readers: 0.9 x `--clients` sockets subscribed `near` random points within 2 km of Monas
(radius 1 km), reading everything. Posts (1 KB of text) are created over HTTP at `--rate` per second
(concurrent requests, so the rate holds) at random points in the same area for `--seconds`; a reader's
latency runs from the moment the POST was sent to the moment the event arrived. Run 1: the readers alone.
Run 2: the same readers plus 0.1 x `--clients` sockets that never read (a 4 KiB receive buffer, a
one-message client queue), each with `--slow-subs` (5) subscriptions to everything within 10 km. The
gateway must close those with 4008 once their unsent bytes pass WARGA_WS_QUEUE_BYTES (256 KiB), and the
readers must not notice. Run 3: the readers alone again; the baseline is the mean of runs 1 and 3, so what the
server's growth over the runs costs is not counted against the slow sockets.

slow_closed_4008 is the server's own count (warga_ws_slow_client_closes_total from /metrics, scraped with the
WARGA_METRICS_TOKEN this script gives the server), rss_growth_mib the server's resident memory at its highest
during run 2 minus at its start. The last line is
`p99_ratio_with_slow=… slow_closed_4008=… rss_growth_mib=…` (goal: p99 ratio ≤ 1.2).

Usage: python bench/slow_consumers.py [--clients 1000 --rate 100 --seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from fanout import PY, database, process, raise_nofile, stop_on_sigterm, wait_http  # noqa: E402
from storm import percentile  # noqa: E402

from tests import services  # noqa: E402

MONAS = (-6.1754, 106.8272)
AREA_DEG = 0.018  # about 2 km
METRICS_TOKEN = secrets.token_urlsafe(24)  # WARGA_METRICS_TOKEN of the server this script starts


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def near(rng: random.Random) -> tuple[float, float]:
    return MONAS[0] + rng.uniform(-AREA_DEG, AREA_DEG), MONAS[1] + rng.uniform(-AREA_DEG, AREA_DEG)


async def slow_closes(http: Any) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    # /metrics answers only the metrics token (a 404 without WARGA_METRICS_TOKEN, a 401 with another token).
    r = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    r.raise_for_status()
    text = r.text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "warga_ws_slow_client_closes_total":
                return float(sample.value)
    return 0.0


async def one_run(a: argparse.Namespace, http_port: int, pid: int, slow: int) -> dict[str, Any]:
    import httpx
    from websockets.asyncio.client import connect

    rng = random.Random(7)
    readers = a.clients - a.clients // 10
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=30) as http:
        ws_url = (await http.get("/api/config")).json()["ws_url"]
        ws_port = int(ws_url.rsplit(":", 1)[1].split("/")[0])
        account = {"handle": f"slow{slow}x{time.time_ns() % 10**6}", "password": "bench-password-123"}
        r = await http.post("/api/auth/register", json=account)
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        closes_before = await slow_closes(http)
        arrivals: list[dict[int, float]] = [{} for _ in range(readers)]
        gate = asyncio.Semaphore(100)

        async def subscribe(ws: Any, lat: float, lon: float, radius: float, sub_id: str = "s") -> None:
            sub = {"type": "subscribe", "id": sub_id, "near": {"lat": lat, "lon": lon, "radius_m": radius}}
            await ws.send(json.dumps(sub))
            assert json.loads(await ws.recv())["type"] == "subscribed"

        async def reader(i: int) -> None:
            async with gate:
                ws = await connect(ws_url, open_timeout=120, compression=None, max_size=None)
                await subscribe(ws, *near(rng), 1000)
            ready.release()
            try:
                async for raw in ws:
                    # Cheaper than parsing the whole frame (this one process reads for every client): the
                    # post id is the first "id" after "post".
                    at = time.perf_counter()
                    cut = raw.find('"post":{"id":')
                    if cut >= 0:
                        start = cut + 13
                        arrivals[i][int(raw[start : raw.index(",", start)])] = at
            finally:
                await ws.close()

        async def never_reads() -> Any:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", ws_port))
            async with gate:
                ws = await connect(ws_url, sock=sock, open_timeout=120, compression=None, max_queue=1)
                # Several subscriptions (a socket may hold 20): every event reaches it `--slow-subs` times, so
                # its backlog outgrows the kernel's send buffer (which takes the first MiBs unseen by the
                # gateway) within a short run.
                for n in range(a.slow_subs):
                    await subscribe(ws, *MONAS, 10_000, f"s{n}")
            return ws

        ready = asyncio.Semaphore(0)
        tasks = [asyncio.create_task(reader(i)) for i in range(readers)]
        for _ in tasks:
            await asyncio.wait_for(ready.acquire(), 300)
        stalled = [await never_reads() for _ in range(slow)]
        rss_start = rss_peak = rss_kib(pid)
        sent: dict[int, float] = {}
        answered: list[float] = []  # POST /api/posts response times: the HTTP side's share of the latency
        t0, k = time.perf_counter(), 0

        async def post(body: dict[str, Any]) -> None:
            at = time.perf_counter()
            r = await http.post("/api/posts", json=body)
            r.raise_for_status()
            sent[r.json()["id"]] = at
            answered.append((time.perf_counter() - at) * 1000)

        posting = []
        while time.perf_counter() - t0 < a.seconds:
            lat, lon = near(rng)
            body = {"text": f"p{k} " + "x" * 1000, "category": "flood", "lat": lat, "lon": lon}
            posting.append(asyncio.create_task(post(body)))
            k += 1
            if k % 50 == 0:
                rss_peak = max(rss_peak, rss_kib(pid))
            await asyncio.sleep(max(0.0, t0 + k / a.rate - time.perf_counter()))
        await asyncio.gather(*posting)
        await asyncio.sleep(3)  # the last events reach the readers
        rss_peak = max(rss_peak, rss_kib(pid))
        closed = await slow_closes(http) - closes_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ws in stalled:
            ws.transport.abort()
    latencies = [(t - sent[pid_]) * 1000 for got in arrivals for pid_, t in got.items() if pid_ in sent]
    # Split at 5 s: the never-reading sockets are being filled and closed early in the run; after that the
    # readers are alone again, so a difference that persists is not the slow sockets' doing.
    early = [
        (t - sent[p]) * 1000 for got in arrivals for p, t in got.items() if p in sent and sent[p] - t0 < 5
    ]
    late = [
        (t - sent[p]) * 1000 for got in arrivals for p, t in got.items() if p in sent and sent[p] - t0 >= 5
    ]
    return {
        "readers": readers,
        "slow": slow,
        "posts": k,
        "achieved_rate": round(k / a.seconds, 1),  # posts sent per second; all were acknowledged
        "deliveries": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "post_p50_ms": round(percentile(answered, 0.50), 1),
        "p99_first_5s_ms": round(percentile(early, 0.99), 1),
        "p99_after_5s_ms": round(percentile(late, 0.99), 1),
        "slow_closed_4008": int(closed),
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_growth_mib": round((rss_peak - rss_start) / 1024, 1),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    with contextlib.suppress(ImportError):  # the load generator is one process: give it the faster loop
        import uvloop

        uvloop.install()
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--slow-subs", type=int, default=5, help="subscriptions per never-reading socket")
    ap.add_argument("--queue-bytes", type=int, default=0, help="WARGA_WS_QUEUE_BYTES (default: the server's)")
    a = ap.parse_args()
    stop_on_sigterm()
    raise_nofile()
    data = Path(tempfile.mkdtemp(prefix="warga-slow-"))
    try:
        with database() as db, services.redis_server() as redis_url:
            port, ws_port = services.free_port(), services.free_port()
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
            env.update(WARGA_DATA_DIR=str(data), WARGA_RATE_LIMITS="off", WARGA_WS_MAX_PER_IP="100000")
            env.update(WARGA_LOG_LEVEL="warning", WARGA_PHOTO_WORKERS="1", REDIS_URL=redis_url)
            env.update(WARGA_METRICS_TOKEN=METRICS_TOKEN)  # /metrics is a 404 without it
            if db:
                env["DATABASE_URL"] = db
            if a.queue_bytes:
                env["WARGA_WS_QUEUE_BYTES"] = str(a.queue_bytes)
            serve = [PY, "-c", "from warga.cli import main; main()", "serve", "--port", str(port)]
            with process([*serve, "--ws-port", str(ws_port)], env) as proc:
                wait_http(f"http://127.0.0.1:{port}/healthz", proc, 180)
                without = asyncio.run(one_run(a, port, proc.pid, 0))
                print(json.dumps({"run": "readers only", **without}), flush=True)
                with_slow = asyncio.run(one_run(a, port, proc.pid, a.clients // 10))
                print(json.dumps({"run": "with slow", **with_slow}), flush=True)
                # Readers alone once more: the server now holds more rows and a grown heap, so the baseline
                # is the mean of a run before and a run after (drift over the run is not the slow ones).
                again = asyncio.run(one_run(a, port, proc.pid, 0))
                print(json.dumps({"run": "readers only, again", **again}), flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"p99_ratio_with_slow={with_slow['p99_ms'] / ((without['p99_ms'] + again['p99_ms']) / 2):.2f} "
        f"slow_closed_4008={with_slow['slow_closed_4008']} rss_growth_mib={with_slow['rss_growth_mib']}"
    )


if __name__ == "__main__":
    main()
