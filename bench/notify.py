"""Web Push throughput of one notify worker (#20), with the receiving push service in processes of its own.

Phase 1 (throughput): a report with N followers, each with a browser subscribed at a receiver
(bench/push_receiver.py, a lean RFC 8030 receiving side, in --receivers subprocesses; subscriptions are
spread over them); one comment, then the worker fans it out (one ledger row per follower) and sends every push
(RFC 8291 encryption, VAPID, HTTP over loopback). pushes_per_s = N / (time from the comment's commit to the
last receipt). CPU is read from /proc/<pid>/stat over that same window for the worker (this process), the
receivers and PostgreSQL (every process named postgres), and reported separately.

Phase 2 (latency at a steady load, open loop): a second report with --rate-followers followers; comments are
emitted on a fixed schedule so that --rate pushes/s are offered for --seconds, whatever the worker does; the
worker runs its own loop (Notifier.start, polling every notify_every_s). Each push's latency is measured from
when its comment was due (not when it was sent: no coordinated omission); the comment text names it.

Every record is taken at a receiver before any de-duplication; afterwards every body is decrypted with its
browser's keys (http_ece): a (subscription, comment) seen twice is a duplicate, a missing one a failure, a
body that does not decrypt to the expected comment a failure too.

    python bench/notify.py [--followers 2000] [--receivers 1] [--rate 200] [--seconds 10]

Uses DATABASE_URL when set, else an embedded PostgreSQL. The last line is
`pushes_per_s=… commit_to_push_p50_ms=… commit_to_push_p99_ms=… emails_per_s=n/a …` (email: not built).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import follows as follows_db
from db import push as push_db
from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from kernel.settings import Secret, Settings
from notify.worker import Notifier
from tests import services
from warga.runtime import Parts, Runtime

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Browser:
    """The browser's side of one subscription: its keys, and the endpoint at one of the receivers."""

    origin: str
    sub_id: str = field(default_factory=lambda: b64url(os.urandom(12)))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def endpoint(self) -> str:
        return f"{self.origin}/push/{self.sub_id}"

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def decrypt(self, body: bytes) -> Any:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


@contextlib.contextmanager
def receivers(count: int) -> Iterator[list[tuple[int, str]]]:
    """`count` receiver processes: (pid, origin) each."""
    procs = [
        subprocess.Popen([sys.executable, str(HERE / "push_receiver.py")], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    try:
        out = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("port="), line
            out.append((proc.pid, f"http://127.0.0.1:{line[5:]}"))
        yield out
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_cpu_s() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if "(postgres)" in (entry / "stat").read_text()[:64]:
                    total += cpu_s(int(entry.name))
    return total


class Meter:
    """CPU of the worker, the receivers and PostgreSQL over one window."""

    def __init__(self, receiver_pids: list[int]) -> None:
        self.pids = receiver_pids
        self.start = self._read()

    def _read(self) -> tuple[float, float, float]:
        return cpu_s(os.getpid()), sum(cpu_s(p) for p in self.pids), postgres_cpu_s()

    def stop(self) -> tuple[float, float, float]:
        end = self._read()
        return tuple(b - a for a, b in zip(self.start, end, strict=True))  # type: ignore[return-value]


async def results(origins: list[str]) -> list[tuple[str, float, bytes]]:
    out = []
    async with httpx.AsyncClient(timeout=60) as client:
        for origin in origins:
            for sub_id, at, body in (await client.get(f"{origin}/results")).json():
                out.append((sub_id, at, base64.b64decode(body)))
    return out


async def arrived(origins: list[str], count: int, deadline: float) -> None:
    """Until the receivers hold `count` records, or the deadline (a guard against a stuck worker)."""
    while len(await results(origins)) < count and time.time() < deadline:  # noqa: ASYNC110 - another process
        await asyncio.sleep(0.2)


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def tally(
    records: list[tuple[str, float, bytes]],
    browsers: dict[str, Browser],
    expected: dict[tuple[str, str], float],
) -> tuple[list[float], int, int]:
    """Latencies (ms from when due), failures (expected but missing, or not decrypting to what was expected)
    and duplicates (a (subscription, comment) seen more than once), from the raw records."""
    seen: Counter[tuple[str, str]] = Counter()
    lags = []
    bad = 0
    for sub_id, at, body in records:
        browser = browsers.get(sub_id)
        try:
            text = browser.decrypt(body)["body"] if browser else None
        except Exception:
            text = None
        key = (sub_id, str(text))
        if key not in expected:
            bad += 1
            continue
        seen[key] += 1
        if seen[key] == 1:
            lags.append((at - expected[key]) * 1000)
    duplicates = sum(n - 1 for n in seen.values())
    missing = sum(1 for key in expected if key not in seen)
    return lags, missing + bad, duplicates


async def add_followers(
    runtime: Runtime, post_id: int, count: int, origins: list[str], prefix: str
) -> list[Browser]:
    browsers = []
    async with runtime.pool.acquire() as conn:
        for i in range(count):
            row = await users_db.create(conn, f"{prefix}{i}", "not-a-real-hash", "citizen")
            assert row is not None
            browser = Browser(origins[i % len(origins)])
            await push_db.subscribe(
                conn, row["id"], browser.endpoint, browser.p256dh, b64url(browser.auth_secret)
            )
            await follows_db.add(conn, row["id"], post_id)
            browsers.append(browser)
    return browsers


async def run(args: argparse.Namespace) -> None:
    with services.postgres_server() as admin:
        url = await services.create_database(admin)
        settings = Settings(
            database_url=Secret(url),
            data_dir=Path(tempfile.mkdtemp(prefix="warga-bench-")),
            rate_limits="off",
            log_level="warning",
            push_allow_private=True,  # the receivers listen on loopback
        )
        runtime = Runtime(settings, Parts(web=True, gateway=False, relay=False))
        await runtime.start()
        try:
            with receivers(args.receivers) as procs:
                await measure(runtime, procs, args)
        finally:
            await runtime.stop()
            await services.drop_database(admin, url)


async def measure(runtime: Runtime, procs: list[tuple[int, str]], args: argparse.Namespace) -> None:
    pids, origins = [p for p, _ in procs], [o for _, o in procs]
    worker = Notifier(runtime.pool, runtime.settings)
    await worker.open()
    async with runtime.pool.acquire() as conn:
        reporter = await users_db.create(conn, "reporter", "not-a-real-hash", "citizen")
        assert reporter is not None
        token = await issue_token(conn, reporter["id"], 1)
    transport = httpx.ASGITransport(app=build_app(runtime))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        body = {"text": "banjir setinggi lutut", "category": "flood", "lat": -6.2, "lon": 106.8}
        post = (await client.post("/api/posts", json=body, headers=headers)).json()
        post2 = (await client.post("/api/posts", json=body, headers=headers)).json()
        fans = await add_followers(runtime, post["id"], args.followers, origins, "fan")
        steady = await add_followers(runtime, post2["id"], args.rate_followers, origins, "steady")
        await worker.drain()  # the new reports: nobody to tell (no officials), moves the cursor

        # Phase 1: one comment, N pushes, as fast as one worker can.
        r = await client.post(
            f"/api/posts/{post['id']}/comments", json={"text": "makin tinggi"}, headers=headers
        )
        assert r.status_code == 201, r.text
        committed = time.time()
        meter = Meter(pids)
        await worker.drain()
        worker_cpu, receiver_cpu, pg_cpu = meter.stop()
        records = await results(origins)
        browsers = {b.sub_id: b for b in fans + steady}
        expected = {(b.sub_id, "makin tinggi"): committed for b in fans}
        lags, failures, duplicates = tally(records, browsers, expected)
        elapsed = max(at for _, at, _ in records) - committed
        n = args.followers
        print(
            f"phase 1: followers={n} received={len(records)} elapsed_s={elapsed:.2f} receivers={len(origins)}"
        )
        print(
            f"  cpu_s over the window: worker={worker_cpu:.2f} receivers={receiver_cpu:.2f} "
            f"postgres={pg_cpu:.2f} (wall {elapsed:.2f} s, 2 cores)"
        )
        throughput = (n / elapsed, percentile(lags, 50), percentile(lags, 99), failures, duplicates)
        worker_us = worker_cpu / n * 1e6

        # Phase 2: open loop, args.rate pushes/s offered for args.seconds.
        worker.start()
        comments_per_s = args.rate / args.rate_followers
        total = round(comments_per_s * args.seconds)
        start = time.time() + 0.5
        due: dict[str, float] = {}
        meter = Meter(pids)
        for i in range(total):
            at = start + i / comments_per_s
            await asyncio.sleep(max(0.0, at - time.time()))
            text = f"steady {i}"
            due[text] = at
            r = await client.post(f"/api/posts/{post2['id']}/comments", json={"text": text}, headers=headers)
            assert r.status_code == 201, r.text
        await arrived(origins, len(records) + total * args.rate_followers, time.time() + 30)
        await asyncio.sleep(1.0)  # late duplicates, if any
        await worker.stop()
        steady_cpu = meter.stop()
        ids = {b.sub_id for b in steady}
        records2 = [r for r in await results(origins) if r[0] in ids]  # phase 1's records are there too
        expected2 = {(b.sub_id, text): at for b in steady for text, at in due.items()}
        lags2, failures2, duplicates2 = tally(records2, browsers, expected2)
        print(
            f"phase 2: offered {args.rate}/s "
            f"({comments_per_s:g} comments/s x {args.rate_followers} followers) "
            f"for {args.seconds} s: expected={len(expected2)} received={len(records2)} "
            f"p50_ms={percentile(lags2, 50):.0f} p99_ms={percentile(lags2, 99):.0f} max_ms={max(lags2):.0f}"
        )
        print(
            f"  cpu_s: worker+emitter={steady_cpu[0]:.2f} receivers={steady_cpu[1]:.2f} "
            f"postgres={steady_cpu[2]:.2f}"
        )
    await worker.close()
    pps, p50, p99, fail, dup = throughput
    print(f"load_average={os.getloadavg()[0]:.2f}")
    print(
        f"pushes_per_s={pps:.0f} commit_to_push_p50_ms={p50:.0f} commit_to_push_p99_ms={p99:.0f} "
        f"emails_per_s=n/a failures={fail + failures2} duplicates={dup + duplicates2} "
        f"worker_cpu_us_per_push={worker_us:.0f} steady_{args.rate}_p99_ms={percentile(lags2, 99):.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--receivers", type=int, default=1)
    parser.add_argument("--rate", type=int, default=200, help="pushes/s offered in phase 2")
    parser.add_argument("--rate-followers", type=int, default=10, help="followers per comment in phase 2")
    parser.add_argument("--seconds", type=float, default=10.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
