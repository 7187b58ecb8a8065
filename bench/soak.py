"""Soak: a long run at half the peak rate; does the warga process's memory or open-file count creep up?

Not for CI (30 minutes by default). Starts one `warga serve` (PostgreSQL on DATABASE_URL or embedded; a
private Redis), holds `--sockets` subscribers near random points around Monas (radius 1 km), and for
`--minutes` creates posts over HTTP at half of `--peak-rate` and reads the feed at the same rate. Churn, so
that leaks in connect/subscribe/close show: every 10 s a tenth of the sockets close and reconnect, resuming
with `since`. Every 10 s it samples the server's RSS (/proc/PID/status) and open file descriptors
(/proc/PID/fd), printing one JSON line each. The first `--warmup-s` are not counted (pools fill, caches
warm); growth is from the first sample after warm-up to the last sample.

The last line is `rss_growth_pct=… open_files_start=… open_files_end=…` (goal: RSS growth < 5 %, open files
flat).

Usage: python bench/soak.py [--minutes 30 --peak-rate 100 --sockets 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from fanout import PY, database, process, raise_nofile, stop_on_sigterm, wait_http  # noqa: E402
from slow_consumers import near, rss_kib  # noqa: E402

from tests import services  # noqa: E402

SAMPLE_S = 10.0


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def subscriber(ws_url: str, rng: random.Random, stop: asyncio.Event, churn: asyncio.Queue[int]) -> None:
    """Reads forever; when told (churn), closes and reconnects with `since` like a phone changing network."""
    from websockets.asyncio.client import connect

    lat, lon = near(rng)
    last = None
    while not stop.is_set():
        async with connect(ws_url, open_timeout=120, compression=None, max_size=None) as ws:
            sub: dict[str, Any] = {
                "type": "subscribe",
                "id": "s",
                "near": {"lat": lat, "lon": lon, "radius_m": 1000},
            }
            if last is not None:
                sub["since"] = last
            await ws.send(json.dumps(sub))
            reader = asyncio.ensure_future(ws.recv())
            told = asyncio.ensure_future(churn.get())
            try:
                while not told.done():
                    done, _ = await asyncio.wait({reader, told}, return_when=asyncio.FIRST_COMPLETED)
                    if reader in done:
                        m = json.loads(reader.result())
                        if m["type"] == "subscribed" and last is None:
                            last = m["seq"]
                        elif m["type"] == "event":
                            last = max(last or 0, m["seq"])
                        reader = asyncio.ensure_future(ws.recv())
            finally:  # at churn and at the end of the run alike: nothing left dangling
                reader.cancel()
                told.cancel()


async def soak(a: argparse.Namespace, http_port: int, pid: int) -> dict[str, Any]:
    import httpx

    rng = random.Random(11)
    rate = a.peak_rate / 2
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=30) as http:
        ws_url = (await http.get("/api/config")).json()["ws_url"]
        r = await http.post("/api/auth/register", json={"handle": "soaker", "password": "bench-password-123"})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        queues: list[asyncio.Queue[int]] = [asyncio.Queue() for _ in range(a.sockets)]
        subs = [asyncio.create_task(subscriber(ws_url, rng, stop, q)) for q in queues]

        async def work(k: int) -> None:
            lat, lon = near(rng)
            body = {"text": f"soak {k}", "category": "flood", "lat": lat, "lon": lon}
            (await http.post("/api/posts", json=body)).raise_for_status()
            (await http.get("/api/feed", params={"lat": lat, "lon": lon})).raise_for_status()

        samples: list[dict[str, Any]] = []
        t0 = time.monotonic()
        next_sample, k = t0, 0
        pending: set[asyncio.Task[None]] = set()
        while time.monotonic() - t0 < a.minutes * 60:
            now = time.monotonic()
            if now >= next_sample:
                sample = {
                    "t_s": round(now - t0),
                    "rss_mib": round(rss_kib(pid) / 1024, 2),
                    "open_files": open_files(pid),
                    "posts": k,
                    "loadavg": round(os.getloadavg()[0], 2),
                }
                samples.append(sample)
                print(json.dumps(sample), flush=True)
                for q in rng.sample(queues, max(1, a.sockets // 10)):
                    q.put_nowait(1)
                next_sample += SAMPLE_S
            task = asyncio.create_task(work(k))
            pending.add(task)
            task.add_done_callback(pending.discard)
            k += 1
            await asyncio.sleep(max(0.0, t0 + k / rate - time.monotonic()))
        await asyncio.gather(*pending)
        stop.set()
        for task in subs:
            task.cancel()
        await asyncio.gather(*subs, return_exceptions=True)
    counted = [s for s in samples if s["t_s"] >= a.warmup_s] or samples
    first, last = counted[0], counted[-1]
    return {
        "minutes": a.minutes,
        "rate": rate,
        "sockets": a.sockets,
        "posts": k,
        "rss_start_mib": first["rss_mib"],
        "rss_end_mib": last["rss_mib"],
        "rss_max_mib": max(s["rss_mib"] for s in counted),
        "rss_growth_pct": round(100 * (last["rss_mib"] - first["rss_mib"]) / first["rss_mib"], 2),
        "open_files_start": first["open_files"],
        "open_files_end": last["open_files"],
        "open_files_max": max(s["open_files"] for s in counted),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument(
        "--peak-rate", type=float, default=100, help="posts per second at peak; the soak runs at half"
    )
    ap.add_argument("--sockets", type=int, default=500)
    ap.add_argument("--warmup-s", type=float, default=60)
    a = ap.parse_args()
    stop_on_sigterm()
    raise_nofile()
    data = Path(tempfile.mkdtemp(prefix="warga-soak-"))
    try:
        with database() as db, services.redis_server() as redis_url:
            port, ws_port = services.free_port(), services.free_port()
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
            env.update(WARGA_DATA_DIR=str(data), WARGA_RATE_LIMITS="off", WARGA_WS_MAX_PER_IP="100000")
            env.update(WARGA_LOG_LEVEL="warning", WARGA_PHOTO_WORKERS="1", REDIS_URL=redis_url)
            if db:
                env["DATABASE_URL"] = db
            serve = [PY, "-c", "from warga.cli import main; main()", "serve", "--port", str(port)]
            with process([*serve, "--ws-port", str(ws_port)], env) as proc:
                wait_http(f"http://127.0.0.1:{port}/healthz", proc, 180)
                result = asyncio.run(soak(a, port, proc.pid))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(result), flush=True)
    print(
        f"rss_growth_pct={result['rss_growth_pct']} open_files_start={result['open_files_start']} "
        f"open_files_end={result['open_files_end']}"
    )


if __name__ == "__main__":
    main()
