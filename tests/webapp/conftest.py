"""Fixtures for the web app tests: a real `warga serve` process on its own database, Debian's Chromium driven
by Playwright, and browser pages signed in as a given user at a given place.

The server runs as a subprocess (the command people run), with its own database so its relay is the only one
there, and the Redis broker. Map tiles are blocked: the app must work without them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.core import auth
from tests import services

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
PASSWORD = "correct horse battery"
_PASSWORD_HASH = auth.hash_password(PASSWORD)
# A ceiling for waiting on something that must happen, not a latency assertion (the machine is shared).
LIVE_TIMEOUT_MS = 15_000


def warga_command() -> list[str]:
    script = Path(sys.executable).parent / "warga"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from warga.cli import main; main()"]


@dataclass
class WebServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class WebUser:
    id: int
    handle: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail(f"warga serve exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if (await client.get(url + "/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"warga serve did not become ready:\n{_tail(log)}")


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _chromium_present() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
async def web_server(
    pg_admin_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WebServer]:
    database_url = await services.create_database(pg_admin_url)
    data = Path(tmp_path_factory.mktemp("webapp"))
    port, ws_port = services.free_port(), services.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WARGA_DATA_DIR": str(data),
        "WARGA_HOST": "127.0.0.1",
        "WARGA_PORT": str(port),
        "WARGA_WS_PORT": str(ws_port),
        "WARGA_RATE_LIMITS": "off",
        "WARGA_PHOTO_WORKERS": "1",
        "WARGA_LOG_LEVEL": "warning",
        # A small replay window, so a test can miss more than it and see the resync path.
        "WARGA_REPLAY_MAX_EVENTS": "5",
        # Drainage reports are overdue after a second, so the inbox's overdue marks can be seen.
        "WARGA_SLA": "drainage=1s/1s",
        # Spam holds on, with only the links and same-text signals in reach (the new-account and burst
        # counts are out of reach of any test), so tests/webapp/test_trust_screens.py can see a held report.
        "WARGA_SPAM_HOLDS": "on",
        "WARGA_NEW_ACCOUNT_POSTS": "1000",
        "WARGA_SPAM_BURST_POSTS": "1000",
    }
    log = data / "serve.log"
    proc = _start([*warga_command(), "serve"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, proc, log)
        yield WebServer(url, database_url, proc, log)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        await services.drop_database(pg_admin_url, database_url)


@pytest.fixture(scope="session")
async def web_areas(web_server: WebServer) -> None:
    """The shipped demo set of Jakarta areas, imported into the server's database with the real command."""
    geojson = Path(__file__).parents[2] / "warga" / "data" / "jakarta_areas.geojson"
    env = {**os.environ, "DATABASE_URL": web_server.database_url, "WARGA_LOG_LEVEL": "warning"}
    done = await asyncio.to_thread(
        subprocess.run,
        [*warga_command(), "areas", "import", str(geojson)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
async def web_db(web_server: WebServer) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(web_server.database_url, min_size=1, max_size=2)
    assert pool is not None
    yield pool
    await pool.close()


MakeWebUser = Callable[..., Awaitable[WebUser]]


@pytest.fixture
def web_user(web_db: asyncpg.Pool) -> MakeWebUser:
    """Accounts straight in the server's database (staff roles cannot sign up through the app)."""

    async def make(role: str = "citizen") -> WebUser:
        async with web_db.acquire() as conn:
            count = await conn.fetchval("SELECT count(*) FROM users")
            handle = f"{role}{count + 1}"
            row = await users_db.create(conn, handle, _PASSWORD_HASH, role)
            assert row is not None
            token = await issue_token(conn, row["id"], 1)
        return WebUser(row["id"], handle, role, token)

    return make


@pytest.fixture
async def api(web_server: WebServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    # A missing browser is a failure with the fix in the message, never a skip.
    if not _chromium_present():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the web app tests drive Debian's chromium. "
            "Install it with `apt-get install -y --no-install-recommends chromium` "
            "(or point WARGA_CHROMIUM at a chromium binary)."
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@dataclass
class Tab:
    """A browser page plus what the test wants to check afterwards."""

    page: Any
    errors: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # websocket frames the page sent
    received: list[str] = field(default_factory=list)  # and those it received
    ws_urls: list[str] = field(default_factory=list)


OpenPage = Callable[..., Awaitable[Tab]]


@pytest.fixture
async def open_page(browser: Any, web_server: WebServer) -> AsyncIterator[OpenPage]:
    """open_page(user=…, at=(lat, lon), locale="en-US", viewport=…) → a Tab on `/`, booted and live."""
    from playwright.async_api import expect

    expect.set_options(timeout=LIVE_TIMEOUT_MS)
    contexts: list[Any] = []
    tabs: list[Tab] = []

    async def open_(
        user: WebUser | None = None,
        at: tuple[float, float] | None = None,
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        wait_live: bool = True,
    ) -> Tab:
        options: dict[str, Any] = {"locale": locale, "viewport": viewport or {"width": 1280, "height": 800}}
        if at is not None:
            options["geolocation"] = {"latitude": at[0], "longitude": at[1]}
            options["permissions"] = ["geolocation"]
        context = await browser.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(LIVE_TIMEOUT_MS)
        await context.route(TILES, lambda route: route.abort())
        if user is not None:
            await context.add_init_script(f"localStorage.setItem('warga.token', {user.token!r});")
        page = await context.new_page()
        tab = Tab(page)
        tabs.append(tab)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))

        def on_socket(ws: Any) -> None:
            tab.ws_urls.append(ws.url)
            ws.on("framesent", lambda payload: tab.sent.append(str(payload)))
            ws.on("framereceived", lambda payload: tab.received.append(str(payload)))

        page.on("websocket", on_socket)
        await page.goto(web_server.url + "/")
        if wait_live:
            await page.wait_for_selector('#live-state[data-state="live"]', timeout=LIVE_TIMEOUT_MS)
        if at is not None:
            # The page moved to the granted position (and re-subscribed there) once the list says so.
            await page.wait_for_function(
                "() => window.warga && window.warga.state.loaded?.source === 'me'",
                timeout=LIVE_TIMEOUT_MS,
            )
        return tab

    yield open_
    for context in contexts:
        await context.close()
    # An uncaught script error on any page is a bug, whatever the test checked.
    errors = [e for tab in tabs for e in tab.errors]
    assert errors == [], errors
