"""Fixtures: real PostgreSQL and Redis (found or started), a running Runtime, an in-process HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from feed.core import auth
from kernel.settings import Secret, Settings
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


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = Path(tmp_path_factory.mktemp("warga-data"))
    return Settings(
        database_url=Secret(database_url),
        data_dir=data,
        ws_port=services.free_port(),
        rate_limits="off",
        photo_workers=2,
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with Runtime(settings) as rt:
        yield rt


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Any:
    return build_app(runtime)


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
