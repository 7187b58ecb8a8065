"""First load of the web app on the seeded demo, measured in Chromium: bytes transferred before photos and the
time until the first report is on screen.

    python bench/page_load.py [--url http://127.0.0.1:8000] [--runs 7]

Without --url it starts `warga serve --demo` itself (rate limits off unless WARGA_RATE_LIMITS says otherwise):
on a throwaway database on DATABASE_URL's server if set (REDIS_URL too), else on an embedded PostgreSQL in a
temporary folder. Each run is a fresh browser context
(empty cache) at 360x740 with no location permission (the feed opens around Monas, where the demo has
reports). Map tiles are blocked (this machine has no internet) and not counted; photos (/media/) are
counted apart. Transferred = encoded bytes on the wire, headers included (Chromium's encodedDataLength).
Last line: page_kib=… first_post_ms=…   (medians over the runs)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

CHROMIUM = os.environ.get("WARGA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TILES = "https://*.openstreetmap.org/**"

# Stamps the moment the first report card enters the list (performance.now() counts from navigation start).
FIRST_POST_PROBE = """
new MutationObserver((_, obs) => {
  const list = document.getElementById('list');
  if (list && list.firstElementChild && window.__firstPostMs === undefined) {
    window.__firstPostMs = performance.now();
    obs.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def warga_command() -> list[str]:
    script = Path(sys.executable).parent / "warga"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from warga.cli import main; main()"]


async def _throwaway_database(admin_url: str) -> str:
    name = "warga_bench_web_" + uuid.uuid4().hex[:10]
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


async def _drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=out)


def chromium_present() -> bool:
    return Path(CHROMIUM).exists()


@contextlib.asynccontextmanager
async def demo_server() -> AsyncIterator[str]:
    """`warga serve --demo` on fresh storage; yields its URL once the demo is seeded and it is ready."""
    folder = Path(tempfile.mkdtemp(prefix="warga-web-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "WARGA_DATA_DIR": str(folder),
        "WARGA_HOST": "127.0.0.1",
        "WARGA_PORT": str(port),
        "WARGA_WS_PORT": str(free_port()),
        "WARGA_LOG_LEVEL": "warning",
        # Benchmarks run with rate limits (and the spam rules that go with them) off, as issue 6 says.
        "WARGA_RATE_LIMITS": os.environ.get("WARGA_RATE_LIMITS", "off"),
    }
    admin = os.environ.get("DATABASE_URL")
    database = await _throwaway_database(admin) if admin else None
    if database:
        env["DATABASE_URL"] = database
    log = folder / "serve.log"
    proc = _spawn([*warga_command(), "serve", "--demo"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        where = "a throwaway database on DATABASE_URL's server" if database else "an embedded PostgreSQL"
        print(f"starting warga serve --demo on {where}…")
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 600
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"warga serve exited:\n{log.read_text(errors='replace')[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url + "/readyz", timeout=2)).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("warga serve did not become ready in 10 minutes")
                await asyncio.sleep(0.25)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if admin and database:
            await _drop_database(admin, database)


async def launch(p: Any) -> Any:
    if not chromium_present():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    return await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def measure_once(browser: Any, url: str, breakdown: bool = False) -> tuple[float, float, float, int]:
    """(page KiB before photos, photo KiB, first post ms, request count) for one cold load."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    await context.route(TILES, lambda route: route.abort())
    await context.add_init_script(FIRST_POST_PROBE)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    await page.goto(url + "/")
    await page.wait_for_function("() => window.__firstPostMs !== undefined", timeout=30_000)
    first_ms = float(await page.evaluate("window.__firstPostMs"))
    # Let lazy thumbnails in view finish, so photos are counted apart and not mixed into the page.
    await page.wait_for_load_state("networkidle")
    page_bytes = photo_bytes = 0.0
    for rid, size in sizes.items():
        target = urls.get(rid, "")
        if "/media/" in target:
            photo_bytes += size
        elif "openstreetmap.org" not in target:
            page_bytes += size
    if breakdown:
        for rid, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
            target = urls.get(rid, "")
            if "/media/" not in target and "openstreetmap.org" not in target:
                print(f"  {size / 1024:6.1f} KiB  {urlsplit(target).path}")
    await context.close()
    return page_bytes / 1024, photo_bytes / 1024, first_ms, len(sizes)


async def run(url: str | None, runs: int) -> None:
    from playwright.async_api import async_playwright

    async with contextlib.AsyncExitStack() as stack:
        if url is None:
            url = await stack.enter_async_context(demo_server())
        p = await stack.enter_async_context(async_playwright())
        browser = await launch(p)
        await measure_once(browser, url)  # warm the server (imports, pools, caches); not counted
        results = []
        for i in range(runs):
            kib, photos, ms, requests = await measure_once(browser, url, breakdown=i == runs - 1)
            results.append((kib, ms))
            print(
                f"run {i + 1}: page {kib:.1f} KiB, photos {photos:.1f} KiB, {requests} requests, "
                f"first post {ms:.0f} ms"
            )
        await browser.close()
    kib = statistics.median(r[0] for r in results)
    ms = statistics.median(r[1] for r in results)
    print(f"page_kib={kib:.1f} first_post_ms={ms:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=None, help="a running, seeded warga (default: start one)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.runs))


if __name__ == "__main__":
    main()
