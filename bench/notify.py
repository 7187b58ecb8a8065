"""Web Push throughput of one notify worker (#20): a report with N followers, each with a browser subscribed
at the local push service (tests/push_service.py, a real RFC 8030 server over loopback); one comment, then
the worker fans it out (one ledger row per follower) and sends every push (RFC 8291 encryption, VAPID,
HTTP). The push service runs in this process on a thread and event loop of its own: it shares the GIL with
the worker, so the figure is a floor for a worker whose push services are elsewhere.

    python bench/notify.py [--followers 2000]

Uses DATABASE_URL when set, else an embedded PostgreSQL. The last line is
`pushes_per_s=… fanout_ms=… commit_to_push_p50_ms=… commit_to_push_p99_ms=…` (email, area alerts: not built).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import follows as follows_db
from db import push as push_db
from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from kernel.settings import Secret, Settings
from notify.worker import Notifier
from tests import services
from tests.push_service import BrowserClient, PushService
from warga.runtime import Parts, Runtime


@contextlib.contextmanager
def push_service_thread() -> Iterator[PushService]:
    """The push service on a thread and event loop of its own: it parses pushes beside the worker."""
    ready: queue.Queue[PushService] = queue.Queue()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        async with PushService() as service:
            ready.put(service)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield ready.get(timeout=30)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(followers: int) -> None:
    with services.postgres_server() as admin:
        url = await services.create_database(admin)
        settings = Settings(
            database_url=Secret(url),
            data_dir=Path(tempfile.mkdtemp(prefix="warga-bench-")),
            rate_limits="off",
            log_level="warning",
            push_allow_private=True,  # the local push service listens on loopback
        )
        runtime = Runtime(settings, Parts(web=True, gateway=False, relay=False))
        await runtime.start()
        try:
            with push_service_thread() as service:
                await measure(runtime, service, followers)
        finally:
            await runtime.stop()
            await services.drop_database(admin, url)


async def measure(runtime: Runtime, service: PushService, followers: int) -> None:
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
        browsers = []
        async with runtime.pool.acquire() as conn:
            for i in range(followers):
                row = await users_db.create(conn, f"fan{i}", "not-a-real-hash", "citizen")
                assert row is not None
                browser = BrowserClient(service)
                keys = browser.subscription["keys"]
                await push_db.subscribe(conn, row["id"], browser.endpoint, keys["p256dh"], keys["auth"])
                await follows_db.add(conn, row["id"], post["id"])
                browsers.append(browser)
        await worker.drain()  # the new report: nobody to tell (no officials), moves the cursor
        url = f"/api/posts/{post['id']}/comments"
        r = await client.post(url, json={"text": "makin tinggi"}, headers=headers)
        assert r.status_code == 201, r.text
    committed = time.time()
    started = time.perf_counter()
    await worker.fan_out()
    fanout_s = time.perf_counter() - started
    await worker.drain()
    elapsed = time.perf_counter() - started
    await worker.close()
    arrived = [m.received_at for m in service.messages()]
    assert len(arrived) == followers, (len(arrived), followers)
    assert browsers[-1].decrypt(service.messages(browsers[-1].sub_id)[0])["body"] == "makin tinggi"
    lags = [(t - committed) * 1000 for t in arrived]
    print(f"followers={followers} pushes={len(arrived)} elapsed_s={elapsed:.2f}")
    print(
        f"pushes_per_s={followers / elapsed:.0f} fanout_ms={fanout_s * 1000:.0f} "
        f"commit_to_push_p50_ms={percentile(lags, 50):.0f} commit_to_push_p99_ms={percentile(lags, 99):.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.followers))


if __name__ == "__main__":
    main()
