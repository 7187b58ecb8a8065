"""Idle-socket memory: 10,000 websocket clients held open against one warga process; RSS growth per socket.

Starts `warga serve` (embedded PostgreSQL unless DATABASE_URL; memory broker unless REDIS_URL), opens N
sockets from this process, each signed out and holding one `near` subscription at a random Jakarta point
(what an idle phone looks like), waits, and reads the server's resident memory from /proc. With
--baseline it also measures the bare websockets server (baselines/baseline_websockets.py) for comparison.
The last line is `kib_per_socket=…` (warga).

Usage: python bench/idle_sockets.py [--sockets 10000] [--baseline]
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

from fanout import (  # noqa: E402
    BASELINES,
    JAKARTA,
    PY,
    database,
    process,
    raise_nofile,
    stop_on_sigterm,
    wait_http,
    wait_port,
)

from tests import services  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def hold(url: str, n: int, subscribe: bool) -> list[Any]:
    from websockets.asyncio.client import connect

    rng = random.Random(5)
    gate = asyncio.Semaphore(200)

    async def one() -> Any:
        async with gate:
            ws = await connect(url, open_timeout=120, compression=None, ping_interval=None)
            if subscribe:
                lat, lon = rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])
                await ws.send(
                    json.dumps(
                        {"type": "subscribe", "id": "s", "near": {"lat": lat, "lon": lon, "radius_m": 1000}}
                    )
                )
                assert json.loads(await ws.recv())["type"] == "subscribed"
            return ws

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def measure(pid: int, url: str, n: int, subscribe: bool) -> float:
    warm = await hold(url, 200, subscribe)  # first use of every code path, allocator arenas
    for ws in warm:
        await ws.close()
    await asyncio.sleep(2)
    before = rss_kib(pid)
    sockets = await hold(url, n, subscribe)
    await asyncio.sleep(3)
    after = rss_kib(pid)
    for ws in sockets:
        await ws.close()
    return (after - before) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockets", type=int, default=10_000)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--no-subscribe", action="store_true", help="connect only, like the bare baseline")
    # `warga serve` runs on uvloop whenever it is installed (warga/cli.py); this flag only forces the policy.
    ap.add_argument("--uvloop", action="store_true", help="also install uvloop's event loop policy")
    a = ap.parse_args()
    stop_on_sigterm()
    raise_nofile()
    if a.baseline:
        port = services.free_port()
        with process([PY, str(BASELINES / "baseline_websockets.py"), str(port)]) as proc:
            wait_port(port, proc)
            per = asyncio.run(measure(proc.pid, f"ws://127.0.0.1:{port}/ws", a.sockets, False))
            print(f"baseline_websockets_kib_per_socket={per:.1f}", flush=True)
    data = Path(tempfile.mkdtemp(prefix="warga-idle-"))
    try:
        with database() as db:
            port, ws_port = services.free_port(), services.free_port()
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env.update(WARGA_DATA_DIR=str(data), WARGA_WS_MAX_PER_IP="1000000", WARGA_LOG_LEVEL="warning")
            env.update(WARGA_PHOTO_WORKERS="1")
            if db:
                env["DATABASE_URL"] = db
            boot = "import uvloop; uvloop.install(); " if a.uvloop else ""
            serve = [PY, "-c", boot + "from warga.cli import main; main()", "serve", "--port", str(port)]
            with process([*serve, "--ws-port", str(ws_port)], env) as proc:
                wait_http(f"http://127.0.0.1:{port}/healthz", proc, 180)
                url = f"ws://127.0.0.1:{ws_port}/ws"
                t0 = time.perf_counter()
                per = asyncio.run(measure(proc.pid, url, a.sockets, not a.no_subscribe))
                print(
                    f"sockets={a.sockets} subscribed={int(not a.no_subscribe)} "
                    f"seconds={time.perf_counter() - t0:.1f}",
                    flush=True,
                )
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"kib_per_socket={per:.1f}")


if __name__ == "__main__":
    main()
