"""Fixtures of the notify tests: the real push service (tests/push_service.py), browsers subscribed through
the API, and a Notifier driven step by step on the officials' test clock (tests/officials_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from db import push as push_db
from notify.worker import Notifier
from tests.conftest import Account
from tests.officials_helpers import Clock
from tests.push_service import BrowserClient, PushService
from warga.runtime import Runtime

Subscribe = Callable[[Account], Awaitable[BrowserClient]]


@pytest.fixture
async def push_service() -> AsyncIterator[PushService]:
    async with PushService() as service:
        yield service


@pytest.fixture
def allow_private(runtime: Runtime) -> Any:
    """WARGA_PUSH_ALLOW_PRIVATE for this test only: the test push service listens on loopback, over http."""
    saved = runtime.settings
    runtime.settings = saved.with_(push_allow_private=True)
    yield runtime.settings
    runtime.settings = saved


@pytest.fixture
async def notifier(runtime: Runtime, clock: Clock, allow_private: Any) -> AsyncIterator[Notifier]:
    """A notify worker on the test's clock, stepped by the test (fan_out, deliver, drain), no loop running."""
    worker = await open_notifier(runtime, clock)
    yield worker
    await worker.close()


async def open_notifier(runtime: Runtime, clock: Clock, **settings: Any) -> Notifier:
    worker = Notifier(runtime.pool, runtime.settings.with_(**settings), clock=clock)
    await worker.open()
    return worker


@pytest.fixture
def subscribe(client: httpx.AsyncClient, push_service: PushService, allow_private: Any) -> Subscribe:
    """A new browser for `who`, its PushSubscription registered through the API."""

    async def make(who: Account) -> BrowserClient:
        browser = BrowserClient(push_service)
        r = await client.post("/api/push/subscriptions", json=browser.subscription, headers=who.headers)
        assert r.status_code == 201, r.text
        return browser

    return make


async def vapid_public_key(client: httpx.AsyncClient) -> str:
    r = await client.get("/api/config")
    assert r.status_code == 200, r.text
    key: str = r.json()["push"]["vapid_public_key"]
    return key


async def ledger(runtime: Runtime, user_id: int | None = None) -> list[dict[str, Any]]:
    async with runtime.pool.acquire() as conn:
        return [dict(r) for r in await push_db.deliveries(conn, user_id)]
