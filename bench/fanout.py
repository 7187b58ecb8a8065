"""Fan-out benchmark: warga against two peer baselines under the same load, in one run; then a geo run.

Starts, each as its own process:
  - warga (`warga serve`: HTTP API + gateway + relay, PostgreSQL, Redis unless --broker memory),
  - baselines/baseline_broadcaster.py (encode/broadcaster on Starlette/uvicorn: the ecosystem's usual way),
  - baselines/baseline_websockets.py (bare websockets broadcast(): about what Python can do at all),
and drives each with the same two load generators, interleaved: N subscribers near one point, M messages at
R per second; warga's are real posts created over HTTP (POST /api/posts), routed by geo cell, filtered
exactly and sent per subscription. bench/light_load.py receives cheaply and posts open-loop, so the servers
set the pace (the figure of record); baselines/fanout_load.py, the shared yardstick, is kept as the
cross-check (on 2 cores its receiver takes a full core: it measures itself as much as the servers).

The geo run then opens 2,000 subscribers at random Jakarta points (radius 1 km), creates random posts over
HTTP and checks every delivery against a brute-force expectation.

Services: DATABASE_URL (a bench database is created on that server and dropped after) or an embedded
PostgreSQL; REDIS_URL or a private redis-server. The last line is the light driver's
`fanout_ratio_vs_websockets=… fanout_ratio_vs_broadcaster=… p99_ratio_vs_websockets=…`; the yardstick's
same line comes before it, prefixed `yardstick:`.

Each load line also carries the server's CPU (user + system, the process and its children) spent on the
load: `cpu_us_per_delivery` and `cpu_ms_per_message`, a figure that holds up on a busy machine where
wall-clock rates do not; their medians are printed before the last line.

Usage: python bench/fanout.py [--clients 1000 --messages 300 --rate 120] [--broker redis|memory] [--repeat 3]
       [--drivers light yardstick] [--only warga] [--geo-subscribers 0]   (a quick look: warga alone, no geo)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ROOT / "bench" / "baselines"
sys.path.insert(0, str(ROOT))

from kernel.geo import distance_m  # noqa: E402
from tests import services  # noqa: E402 - after the path fix above

JAKARTA = (-6.30, -6.10, 106.72, 106.95)
MODES = ("websockets", "broadcaster", "warga")
FAR = (-6.9, 107.6)  # Bandung: the geo run's end marker
PY = sys.executable


def stop_on_sigterm() -> None:
    """SIGTERM (kill, a timeout, a process manager) unwinds like Ctrl-C, so every server, private Redis and
    bench database a script started is stopped and dropped; by default it would end the script on the
    spot and leave them running."""

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 200_000), hard))


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: {proc.args!r} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer")


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: {proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"bench: port {port} did not open")


@contextlib.contextmanager
def process(
    command: list[str], env: dict[str, str] | None = None, quiet: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    # quiet: the broadcaster baseline prints a traceback for every client that leaves at the end of a run.
    stderr = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(command, env=env, cwd=BASELINES, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def database() -> Iterator[str | None]:
    """A fresh database on DATABASE_URL's server, or None (warga then runs its embedded PostgreSQL)."""
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        yield None
        return
    url = asyncio.run(services.create_database(admin))
    stop = threading.Event()
    analyzer = threading.Thread(target=_stand_in_for_autovacuum, args=(url, stop), daemon=True)
    analyzer.start()
    try:
        yield url
    finally:
        stop.set()
        analyzer.join()
        asyncio.run(services.drop_database(admin, url))


def _stand_in_for_autovacuum(url: str, stop: threading.Event, every_s: float = 15.0) -> None:
    """This machine's PostgreSQL runs with autovacuum off; a production server's does not. Without it no
    table is ever analyzed, the planner keeps an empty table's statistics, and a long bench measures a
    slowdown no deployment has (creating a post: 4.6 -> 16 ms p50 over 6,000 posts). When the server's
    autovacuum is off, do its job here: VACUUM (ANALYZE) the bench database every 15 s."""
    import asyncpg

    async def loop() -> None:
        conn = await asyncpg.connect(url)
        try:
            if await conn.fetchval("SELECT current_setting('autovacuum')::boolean"):
                return
            while not await asyncio.to_thread(stop.wait, every_s):
                await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()

    asyncio.run(loop())


@contextlib.contextmanager
def redis(kind: str) -> Iterator[str | None]:
    if kind == "memory":
        yield None
        return
    with services.redis_server() as url:
        yield url


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process and all its descendants (a `warga serve` may fork helpers),
    from /proc.

    CPU time, unlike wall-clock rates, holds up on a machine other people are loading: it is what the server
    itself spent, whoever else was running.
    """
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, cpu seconds)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = text[text.rindex(")") + 2 :].split()
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    family, total = {pid}, 0.0
    for _ in range(4):  # a few generations deep is plenty
        family |= {p for p, (parent, _cpu) in stats.items() if parent in family}
    for p in family:
        total += stats.get(p, (0, 0.0))[1]
    return total


DRIVERS = {"light": ROOT / "bench" / "light_load.py", "yardstick": BASELINES / "fanout_load.py"}


def load(
    mode: str, port: int, pid: int, a: argparse.Namespace, driver: str = "light", warm_up: bool = False
) -> dict[str, Any] | None:
    clients, messages = (100, 30) if warm_up else (a.clients, a.messages)
    command = [PY, str(DRIVERS[driver]), mode, "--port", str(port), "--clients", str(clients)]
    command += ["--messages", str(messages), "--rate", str(a.rate), "--sample-every", "5"]
    cpu_before = cpu_seconds(pid)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        # The yardstick waits, without a timeout, for every subscriber to be ready: one connection the server
        # drops in its handshake stalls it for good. Say so and go on with the other runs.
        print(json.dumps({"mode": mode, "failed": type(exc).__name__, "stderr": str(exc.stderr)[-500:]}))
        return None
    cpu = cpu_seconds(pid) - cpu_before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["driver"] = driver
    # The load generator's own CPU over the whole load: near `seconds` means it, not the server, set the pace.
    result["loadgen_cpu_s"] = round(after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime, 2)
    # The whole load: connecting the subscribers, every message, the fan-out; divided per delivery and per
    # message published (for warga: per POST /api/posts, with its transaction, relay hop and fan-out).
    result["server_cpu_s"] = round(cpu, 2)
    result["cpu_us_per_delivery"] = round(cpu * 1e6 / max(1, result["delivered"]), 2)
    result["cpu_ms_per_message"] = round(cpu * 1e3 / max(1, messages), 2)
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    if not warm_up:
        print(json.dumps(result), flush=True)
    return result


# --- geo run ----------------------------------------------------------------------------------------


async def geo_run(http_port: int, subscribers: int, posts: int, rate: float) -> tuple[float, dict[str, int]]:
    import httpx
    from websockets.asyncio.client import connect

    rng = random.Random(2026)
    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        ws_url = (await http.get("/api/config")).json()["ws_url"]
        handle = f"geo{time.time_ns() % 10**9}"
        r = await http.post("/api/auth/register", json={"handle": handle, "password": "bench-password-123"})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        points = [(rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])) for _ in range(subscribers)]
        got: list[list[int]] = [[] for _ in points]
        ready = asyncio.Semaphore(0)
        done = asyncio.Semaphore(0)
        gate = asyncio.Semaphore(100)  # handshakes in flight

        async def subscriber(i: int) -> None:
            async with gate:
                ws = await connect(ws_url, open_timeout=120, max_size=None, compression=None)
                lat, lon = points[i]
                await ws.send(
                    json.dumps(
                        {"type": "subscribe", "id": "s", "near": {"lat": lat, "lon": lon, "radius_m": 1000}}
                    )
                )
                await ws.send(
                    json.dumps(
                        {
                            "type": "subscribe",
                            "id": "done",
                            "near": {"lat": FAR[0], "lon": FAR[1], "radius_m": 100},
                        }
                    )
                )
                for _ in range(2):
                    assert json.loads(await ws.recv())["type"] == "subscribed"
            ready.release()
            async for raw in ws:
                message = json.loads(raw)
                if message["sub"] == "done":
                    break
                got[i].append(message["post"]["id"])
            done.release()
            await ws.close()

        tasks = [asyncio.create_task(subscriber(i)) for i in range(subscribers)]
        for _ in tasks:
            await asyncio.wait_for(ready.acquire(), 300)
        made: list[tuple[int, float, float]] = []
        t0 = time.perf_counter()
        for k in range(posts):
            if rng.random() < 0.6:  # most land near someone, some nowhere near anyone
                lat, lon = rng.choice(points)
                lat += rng.uniform(-0.012, 0.012)
                lon += rng.uniform(-0.012, 0.012)
            else:
                lat, lon = rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])
            body = {
                "text": f"geo {k}",
                "category": rng.choice(["flood", "traffic", "garbage"]),
                "lat": lat,
                "lon": lon,
            }
            r = await http.post("/api/posts", json=body)
            r.raise_for_status()
            post = r.json()
            made.append((post["id"], post["lat"], post["lon"]))
            await asyncio.sleep(max(0.0, t0 + (k + 1) / rate - time.perf_counter()))
        (
            await http.post(
                "/api/posts", json={"text": "end", "category": "other", "lat": FAR[0], "lon": FAR[1]}
            )
        ).raise_for_status()
        for _ in tasks:
            await asyncio.wait_for(done.acquire(), 300)
    stats = {
        "subscribers": subscribers,
        "posts": posts,
        "expected": 0,
        "missing": 0,
        "extra": 0,
        "duplicates": 0,
    }
    exact = 0
    for i, (lat, lon) in enumerate(points):
        want = [pid for pid, plat, plon in made if distance_m(lat, lon, plat, plon) <= 1000]
        stats["expected"] += len(want)
        stats["missing"] += len(set(want) - set(got[i]))
        stats["extra"] += len(set(got[i]) - set(want))
        stats["duplicates"] += len(got[i]) - len(set(got[i]))
        exact += got[i] == want
    return 100.0 * exact / subscribers, stats


def median(runs: list[dict[str, Any]], key: str) -> float:
    values = sorted(r[key] for r in runs)
    return (
        float(values[len(values) // 2])
        if len(values) % 2
        else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--rate", type=float, default=120)
    ap.add_argument("--repeat", type=int, default=3, help="load runs per server, interleaved; medians count")
    ap.add_argument("--broker", choices=["redis", "memory"], default="redis")
    ap.add_argument("--uvloop", action="store_true", help="run warga under uvloop's event loop policy")
    ap.add_argument("--geo-subscribers", type=int, default=2000)
    ap.add_argument("--geo-posts", type=int, default=300)
    ap.add_argument(
        "--only",
        nargs="+",
        choices=["websockets", "broadcaster", "warga"],
        default=["websockets", "broadcaster", "warga"],
        help="measure only these servers (a quick look; the ratio line needs all three)",
    )
    ap.add_argument(
        "--drivers",
        nargs="+",
        choices=list(DRIVERS),
        default=list(DRIVERS),
        help="load generators: light (the figure of record) and the shared yardstick's (cross-check)",
    )
    a = ap.parse_args()
    stop_on_sigterm()
    raise_nofile()
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {d: {m: [] for m in MODES} for d in a.drivers}
    data = Path(tempfile.mkdtemp(prefix="warga-bench-"))
    ws_port, b_port, w_port, w_ws_port = (services.free_port() for _ in range(4))
    uvicorn = [PY, "-m", "uvicorn", "baseline_broadcaster:app", "--port", str(b_port), "--loop", "uvloop"]
    uvicorn += ["--http", "httptools", "--ws", "websockets", "--log-level", "warning"]
    boot = "import uvloop; uvloop.install(); " if a.uvloop else ""
    serve = [PY, "-c", boot + "from warga.cli import main; main()", "serve", "--port", str(w_port)]
    serve += ["--ws-port", str(w_ws_port)]
    try:
        with (
            database() as db,
            redis(a.broker) as redis_url,
            process([PY, str(BASELINES / "baseline_websockets.py"), str(ws_port)]) as bare,
            process(uvicorn, quiet=True) as broadcaster,
        ):
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
            env.update(WARGA_DATA_DIR=str(data), WARGA_RATE_LIMITS="off", WARGA_WS_MAX_PER_IP="100000")
            env.update(WARGA_LOG_LEVEL="warning", WARGA_PHOTO_WORKERS="1", WARGA_POOL_MAX="20")
            if db:
                env["DATABASE_URL"] = db
            if redis_url:
                env["REDIS_URL"] = redis_url
            with process(serve, env) as warga:
                wait_port(ws_port, bare)
                wait_port(b_port, broadcaster)
                wait_http(f"http://127.0.0.1:{w_port}/healthz", warga, 180)
                servers = {
                    "websockets": (ws_port, bare.pid),
                    "broadcaster": (b_port, broadcaster.pid),
                    "warga": (w_port, warga.pid),
                }
                for mode, (port, pid) in servers.items():
                    # First connections, imports, caches: not counted.
                    load(mode, port, pid, a, a.drivers[0], warm_up=True)
                for _ in range(a.repeat):
                    for driver in a.drivers:
                        for mode, (port, pid) in servers.items():
                            if mode in a.only and (result := load(mode, port, pid, a, driver)) is not None:
                                runs[driver][mode].append(result)
                if a.geo_subscribers:
                    exact_pct, stats = asyncio.run(geo_run(w_port, a.geo_subscribers, a.geo_posts, 60))
                    line = {"mode": "warga-geo", **stats, "exact_pct": round(exact_pct, 2)}
                    print(json.dumps(line), flush=True)
                    print(f"geo_exact_pct={exact_pct:.2f}", flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    # The light driver's line comes last: it is the figure of record (bench/light_load.py says why).
    for driver in sorted(a.drivers, key=lambda d: d == "light"):
        report(driver, runs[driver], a.repeat)


def report(driver: str, runs: dict[str, list[dict[str, Any]]], repeat: int) -> None:
    keys = ("deliveries_per_s", "p50_ms", "p99_ms", "cpu_us_per_delivery", "cpu_ms_per_message")
    summary = {mode: {k: median(r, k) for k in keys} for mode, r in runs.items() if r}
    print(json.dumps({"driver": driver, "medians": summary, "runs": repeat}), flush=True)
    print(
        f"{driver}: cpu_us_per_delivery "
        + " ".join(f"{mode}={m['cpu_us_per_delivery']:.2f}" for mode, m in summary.items())
        + " cpu_ms_per_message "
        + " ".join(f"{mode}={m['cpu_ms_per_message']:.2f}" for mode, m in summary.items()),
        flush=True,
    )
    if len(summary) < 3:
        return
    w, ws, b = summary["warga"], summary["websockets"], summary["broadcaster"]
    print(
        ("" if driver == "light" else f"{driver}: ")
        + f"fanout_ratio_vs_websockets={w['deliveries_per_s'] / ws['deliveries_per_s']:.2f} "
        f"fanout_ratio_vs_broadcaster={w['deliveries_per_s'] / b['deliveries_per_s']:.2f} "
        f"p99_ratio_vs_websockets={w['p99_ms'] / ws['p99_ms']:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
