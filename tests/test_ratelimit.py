"""Rate limits: exact at the edge under concurrency, in memory and in a real Redis; 429 shape over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from feed.ratelimit import Limits, MemoryStore, RedisStore, Rule, Store, client_key, parse_rules
from warga.runtime import Runtime


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        s: Store = MemoryStore()
    else:
        s = RedisStore(request.getfixturevalue("redis_url"))
    yield s
    await s.close()


async def test_exactly_the_limit_passes_under_concurrency(store: Store) -> None:
    rule = Rule(limit=37, window_s=60)
    key = f"edge-{id(store)}-{asyncio.get_running_loop().time()}"
    waits = await asyncio.gather(*(store.hit(key, rule) for _ in range(100)))
    assert sum(1 for w in waits if w == 0) == 37
    assert all(0 < w <= 60 for w in waits if w)


async def test_window_slides(store: Store) -> None:
    rule = Rule(limit=2, window_s=0.3)
    key = f"slide-{id(store)}-{asyncio.get_running_loop().time()}"
    assert await store.hit(key, rule) == 0
    assert await store.hit(key, rule) == 0
    assert await store.hit(key, rule) > 0
    await asyncio.sleep(0.35)
    assert await store.hit(key, rule) == 0


def test_ipv6_grouped_by_64_and_ipv4_mapped() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:10.1.2.3") == client_key("10.1.2.3")
    assert client_key("not-an-ip") == "ip:not-an-ip"


def test_parse_rules() -> None:
    assert parse_rules("off") is None
    rules = parse_rules("post=5/60:20/120")
    assert rules is not None
    assert rules["post"] == (Rule(5, 60), Rule(20, 120))
    assert rules["vote"][0].limit > 0
    with pytest.raises(SystemExit):
        parse_rules("post=five")


async def test_register_over_limit_is_429_with_retry_after(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = Limits(parse_rules("register=100/3600:2/3600"), MemoryStore())
    monkeypatch.setattr(runtime, "_limits", limits)
    statuses = []
    for i in range(3):
        r = await client.post("/api/auth/register", json={"handle": f"flood{i}", "password": "x" * 8})
        statuses.append(r.status_code)
    assert statuses == [201, 201, 429]
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users") == 2  # the refused one wrote nothing
