"""Rate limits through the HTTP API: 100 concurrent requests at the edge let exactly the limit through (memory
and Redis stores), refused ones get 429 with Retry-After and write nothing; every limited action is wired."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from feed.core.ratelimit import Limits, MemoryStore, RedisStore, Rule, Store, parse_rules
from tests.conftest import MakeUser
from tests.trust_helpers import new_post, post
from warga.runtime import Runtime


@pytest.fixture(params=["memory", "redis"])
async def swap(request: pytest.FixtureRequest, runtime: Runtime) -> AsyncIterator[object]:
    saved, saved_settings = runtime._limits, runtime.settings
    # Limits on would switch spam holds on too (auto mode): these tests are about the limiter alone.
    runtime.settings = saved_settings.with_(spam_holds="off")

    def use(spec: str) -> Limits:
        store: Store = (
            MemoryStore() if request.param == "memory" else RedisStore(request.getfixturevalue("redis_url"))
        )
        runtime._limits = Limits(parse_rules(spec), store)
        return runtime._limits

    try:
        yield use
    finally:
        if runtime._limits is not saved:
            await runtime._limits.close()
        runtime._limits = saved
        runtime.settings = saved_settings


async def _flush(redis_url: str) -> None:
    import redis.asyncio as aioredis

    r = aioredis.from_url(redis_url)
    try:
        keys = [k async for k in r.scan_iter("warga:rl:*")]
        if keys:
            await r.delete(*keys)
    finally:
        await r.aclose()


async def test_100_concurrent_posts_exactly_the_limit_pass(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser, swap: object, redis_url: str
) -> None:
    await _flush(redis_url)
    swap("post=37/600:1000/600")  # type: ignore[operator]
    who = await make_user()
    answers = await asyncio.gather(*(post(client, who, text=f"report {i}") for i in range(100)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 37 and statuses.count(429) == 63
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["error"]["code"] == "rate_limited"
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 37


async def test_100_concurrent_votes_per_ip_edge(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser, swap: object, redis_url: str
) -> None:
    await _flush(redis_url)
    author = await make_user()
    posts_ = [await new_post(client, author, text=f"p{i}") for i in range(100)]
    swap("vote=1000/60:25/60")  # type: ignore[operator]
    voter = await make_user()
    answers = await asyncio.gather(
        *(client.put(f"/api/posts/{p['id']}/vote", headers=voter.headers) for p in posts_)
    )
    assert [a.status_code for a in answers].count(200) == 25
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM votes") == 25


async def test_every_action_is_limited(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser, swap: object, redis_url: str
) -> None:
    await _flush(redis_url)  # user ids restart in each test database: another run's keys would count
    swap(
        "post=1/600:100/600,comment=1/600:100/600,vote=1/600:100/600,flag=1/600:100/600,upload=1/600:100/600"
    )  # type: ignore[operator]
    who = await make_user()
    p = (await post(client, who)).json()
    q = await new_post(client, await make_user(), text="other")
    assert (await post(client, who, text="two")).status_code == 429
    url = f"/api/posts/{p['id']}/comments"
    assert (await client.post(url, json={"text": "a"}, headers=who.headers)).status_code == 201
    assert (await client.post(url, json={"text": "b"}, headers=who.headers)).status_code == 429
    assert (await client.put(f"/api/posts/{p['id']}/vote", headers=who.headers)).status_code == 200
    assert (await client.put(f"/api/posts/{q['id']}/vote", headers=who.headers)).status_code == 429
    flag = {"reason": "spam"}
    assert (
        await client.post(f"/api/posts/{q['id']}/flag", json=flag, headers=who.headers)
    ).status_code == 201
    assert (
        await client.post(f"/api/posts/{p['id']}/flag", json=flag, headers=who.headers)
    ).status_code == 429


async def test_off_means_off(client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser) -> None:
    assert not runtime.limits.enabled  # the test settings say WARGA_RATE_LIMITS=off
    who = await make_user()
    answers = [await post(client, who, text=f"t{i}") for i in range(15)]
    assert {a.status_code for a in answers} == {201}


@pytest.mark.parametrize("kind", ["memory", "redis-fast", "redis-py"])
async def test_both_limits_in_one_atomic_step(kind: str, redis_url: str) -> None:
    """hit_all: exact at the edge under concurrency, all or nothing (a refusal spends neither limit), and the
    Redis fast path survives a flushed script cache (NOSCRIPT -> EVAL)."""
    await _flush(redis_url)
    if kind == "memory":
        store: Store = MemoryStore()
    else:
        store = RedisStore(redis_url)
        if kind == "redis-py":
            store._fast_addr = None  # the redis-py path, as for TLS or password URLs
    try:
        if kind == "redis-fast":
            import redis.asyncio as aioredis

            r = aioredis.from_url(redis_url)
            await r.script_flush()
            await r.aclose()
        tag = f"{kind}-{asyncio.get_running_loop().time()}"
        wide, narrow = Rule(1000, 60), Rule(23, 60)
        waits = await asyncio.gather(
            *(store.hit_all([(f"ip-{tag}", wide), (f"u-{tag}", narrow)]) for _ in range(100))
        )
        assert sum(1 for w in waits if w == 0) == 23
        assert all(0 < w <= 60 for w in waits if w)
        # The 77 refusals spent nothing from the wide limit: 1000 - 23 remain.
        for chunk in (100,) * 9 + (77,):  # redis-py's pool caps concurrent connections
            waits = await asyncio.gather(*(store.hit_all([(f"ip-{tag}", wide)]) for _ in range(chunk)))
            assert all(w == 0 for w in waits)
        assert await store.hit_all([(f"ip-{tag}", wide)]) > 0
    finally:
        await store.close()
