"""Fixtures: real PostgreSQL and Redis (found or started), a running Runtime, an in-process HTTP client.

Which broker the HTTP API's runtime publishes on: Redis whenever the suite is pointed at one (REDIS_URL set,
as in CI's second pass), the memory broker otherwise. Tests marked `events` read what the relay and broker
deliver (sockets, live subscriptions): they run on both brokers in every pass, each on its own runtime and
database (one relay per database), because delivery is where the two brokers differ. Everything else only
reads PostgreSQL through HTTP and runs once, on the pass's broker: running it twice would double the suite's
time to test what no broker touches.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from feed.core import auth
from kernel.settings import Secret, Settings
from realtime.redis_broker import RedisBroker
from tests import services
from warga.runtime import Runtime

if TYPE_CHECKING:
    from tests.officials_helpers import Clock, World

# Tables emptied before each test; schema_migrations and relay_state keep their rows.
TABLES = (
    "api_keys, post_escalations, post_steps, post_assignments, official_areas, official_agencies, agencies, "
    "flags, idempotency_keys, appeals, suspensions, sign_in_failures, "
    "moderation_log, events, votes, comments, photos, posts, tokens, users, areas"
)
PASSWORD = "correct horse battery"
_PASSWORD_HASH = auth.hash_password(PASSWORD)  # hashed once: argon2 is slow by design


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with services.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(pg_admin_url: str) -> AsyncIterator[str]:
    url = await services.create_database(pg_admin_url)
    yield url
    await services.drop_database(pg_admin_url, url)


BROKERS = ("memory", "redis")
BROKER = "redis" if os.environ.get("REDIS_URL") else "memory"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "events: reads what the broker delivers; runs on both brokers")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("events") and "http_broker" in metafunc.fixturenames:
        metafunc.parametrize("http_broker", BROKERS, indirect=True)


@pytest.fixture
def http_broker(request: pytest.FixtureRequest) -> str:
    """The broker of this test's `runtime`: the pass's (BROKER), or each of BROKERS for `events` tests."""
    return str(getattr(request, "param", BROKER))


def _settings(database_url: str, redis_url: str | None, data: Path) -> Settings:
    return Settings(
        database_url=Secret(database_url),
        redis_url=Secret(redis_url) if redis_url else None,
        # Per database, like the relay: runtimes sharing one Redis (CI's, or the realtime tests') never hear
        # each other's events.
        redis_prefix="warga-" + urlsplit(database_url).path.strip("/"),
        data_dir=data,
        ws_port=services.free_port(),
        rate_limits="off",
        photo_workers=2,
    )


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of the pass's runtime (BROKER)."""
    redis = redis_url if BROKER == "redis" else None
    return _settings(database_url, redis, Path(tmp_path_factory.mktemp("warga-data")))


@pytest.fixture(scope="session")
async def pass_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with Runtime(settings) as rt:
        yield rt


@pytest.fixture(scope="session")
async def other_runtime(
    pg_admin_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    """The other broker's runtime, on its own database, for the `events` tests."""
    url = await services.create_database(pg_admin_url)
    data = Path(tmp_path_factory.mktemp("warga-data-other"))
    try:
        async with Runtime(_settings(url, redis_url if BROKER == "memory" else None, data)) as rt:
            yield rt
    finally:
        await services.drop_database(pg_admin_url, url)


@pytest.fixture
def runtime(http_broker: str, pass_runtime: Runtime, other_runtime: Runtime) -> Runtime:
    """The running Runtime this test talks to. Both are session-wide and started before any test's own
    fixtures (an async fixture cannot start one from inside another), so a session always has the two."""
    rt = pass_runtime if http_broker == BROKER else other_runtime
    assert isinstance(rt.realtime.broker, RedisBroker) == (http_broker == "redis"), http_broker
    return rt


@pytest.fixture(scope="session")
def apps() -> dict[int, Any]:
    """The app of each runtime, built once."""
    return {}


@pytest.fixture
def app(runtime: Runtime, apps: dict[int, Any]) -> Any:
    if id(runtime) not in apps:
        apps[id(runtime)] = build_app(runtime)
    return apps[id(runtime)]


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> None:
    if "runtime" not in request.fixturenames:
        return
    rt: Runtime = request.getfixturevalue("runtime")
    async with rt.pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {TABLES} CASCADE")


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Account:
    id: int
    handle: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeUser = Callable[..., Awaitable[Account]]


@pytest.fixture
def make_user(runtime: Runtime) -> MakeUser:
    counter = iter(range(1, 1_000_000))

    async def make(role: str = "citizen", handle: str | None = None) -> Account:
        handle = handle or f"{role}{next(counter)}"
        async with runtime.pool.acquire() as conn:
            row = await users_db.create(conn, handle, _PASSWORD_HASH, role)
            assert row is not None
            token = await issue_token(conn, row["id"], 1)
        return Account(row["id"], handle, role, token)

    return make


@pytest.fixture
async def clock(runtime: Runtime) -> AsyncIterator[Clock]:
    """runtime.clock under the test's control, and the background escalation sweep paused meanwhile."""
    from tests.officials_helpers import controlled_clock  # (it imports this module: not at the top)

    async with controlled_clock(runtime) as c:
        yield c


@pytest.fixture
async def world(runtime: Runtime, make_user: MakeUser, clock: Clock) -> World:
    """Areas K > C1 (L1 with a hole, L2) and C2 (L3): a lurah of L1, a camat of C1, an official of L3, a
    citizen and an admin (tests/officials_helpers.py), on a controlled clock."""
    from tests.officials_helpers import make_world

    return await make_world(runtime, make_user)


@pytest.fixture
async def api_key(runtime: Runtime, world: World) -> str:
    """An Open311 API key belonging to the world's citizen."""
    from feed.open311 import georeport

    async with runtime.pool.acquire() as conn:
        _, key, handle = await georeport.new_api_key(conn, "test client", world.citizen.handle)
    assert handle == world.citizen.handle
    return key
