"""Faults against real processes (bench/cluster.py: the Procfile's processes on a PRIVATE PostgreSQL and
Redis, never the machine's, since these tests restart and kill them): a PostgreSQL restart under writes, the
relay killed between commit and publish, Redis killed and started again. Small numbers; each test waits for
outcomes (bounded by guards), never for a duration."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from bench.cluster import Cluster
from tests.realtime_client import MONAS, WsClient

ENV = {"WARGA_RATE_LIMITS": "off", "WARGA_SPAM_HOLDS": "off"}


@pytest.fixture
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    # Its own folder under /tmp, not tmp_path: the PostgreSQL user (pgserver, when running as root) must
    # reach it, and pytest keeps its own temp root private and rotates it under concurrent runs.
    webs, realtimes, relays = request.param
    async with Cluster(webs=webs, realtimes=realtimes, relays=relays, env=ENV) as c:
        yield c


async def _token(http: httpx.AsyncClient, web: str) -> str:
    r = await http.post(web + "/api/auth/register", json={"handle": "tahan_uji", "password": "rahasia123"})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def _post(http: httpx.AsyncClient, web: str, token: str, text: str) -> httpx.Response:
    body = {"text": text, "category": "flood", "lat": MONAS[0], "lon": MONAS[1]}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    return await http.post(web + "/api/posts", json=body, headers=headers, timeout=30)


async def _created(http: httpx.AsyncClient, web: str, token: str, text: str) -> int:
    r = await _post(http, web, token, text)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _post_ids(client: WsClient, count: int) -> list[tuple[int, int]]:
    """The next `count` post.created events on this socket as (seq, post id)."""
    got = []
    while len(got) < count:
        message = await client.recv()
        assert message["type"] == "event", message
        got.append((message["seq"], message["post"]["id"]))
    return got


def _exactly_once_in_order(got: list[tuple[int, int]], posts: list[int]) -> None:
    assert [post_id for _, post_id in got] == posts
    seqs = [seq for seq, _ in got]
    assert seqs == sorted(set(seqs))


@pytest.mark.parametrize("cluster", [(1, 0, 0)], indirect=True)
async def test_postgres_restart_during_writes_is_201_or_503_and_the_pool_recovers(cluster: Cluster) -> None:
    web = cluster.web_urls[0]
    pid = cluster.procs["web.1"].pid
    restarted, flowing = asyncio.Event(), asyncio.Event()
    statuses: list[int] = []
    acknowledged: list[int] = []
    after_restart: list[int] = []

    async def writer(http: httpx.AsyncClient, token: str, n: int) -> None:
        for i in range(400):  # a bound, not a duration: ends as soon as the pool has proved it recovered
            r = await _post(http, web, token, f"tulisan {n} {i}")
            statuses.append(r.status_code)
            if r.status_code == 201:
                acknowledged.append(int(r.json()["id"]))
                if len(acknowledged) >= 20:
                    flowing.set()
                if restarted.is_set():
                    after_restart.append(int(r.json()["id"]))
                    if len(after_restart) >= 10:
                        return
            elif r.status_code == 503:
                assert r.json()["error"]["code"] == "unavailable"
                assert r.headers["Retry-After"]
                await asyncio.sleep(0.2)

    async with httpx.AsyncClient() as http:
        token = await _token(http, web)
        writers = [asyncio.create_task(writer(http, token, n)) for n in range(4)]
        await flowing.wait()
        await cluster.restart_postgres(down_s=0.5)
        restarted.set()
        await asyncio.gather(*writers)

    assert set(statuses) <= {201, 503}, sorted(set(statuses))
    assert len(after_restart) >= 10  # the same process writes again: its pool recovered by itself
    assert cluster.procs["web.1"].pid == pid and cluster.procs["web.1"].alive
    conn = await asyncpg.connect(cluster.database_url)
    try:
        stored = {r["id"] for r in await conn.fetch("SELECT id FROM posts WHERE id = ANY($1)", acknowledged)}
    finally:
        await conn.close()
    assert stored == set(acknowledged)


@pytest.mark.parametrize("cluster", [(1, 1, 1)], indirect=True)
async def test_relay_killed_between_commit_and_publish_resumes_without_gap_or_double(
    cluster: Cluster,
) -> None:
    web = cluster.web_urls[0]
    client = await WsClient.open(cluster.ws_urls[0])
    await client.subscribe("s", *MONAS, 1000)
    async with httpx.AsyncClient() as http:
        token = await _token(http, web)
        before = [await _created(http, web, token, f"sebelum {i}") for i in range(4)]
        got = await _post_ids(client, 4)
        cluster.kill("relay.1")  # SIGKILL: no chance to record anything
        # Committed while no relay runs: in the outbox, published by nobody yet.
        unpublished = [await _created(http, web, token, f"tanpa relay {i}") for i in range(4)]
        # And the other crash window, after publish but before `published` was recorded: rewind the
        # counter so the restarted relay sends the last two delivered events again.
        conn = await asyncpg.connect(cluster.database_url)
        try:
            await conn.execute("UPDATE relay_state SET value = $1 WHERE name = 'published'", got[-3][0])
        finally:
            await conn.close()
        cluster.start_process("relay.1")
        await cluster.wait_ready("relay.1")
        after = [await _created(http, web, token, f"sesudah {i}") for i in range(2)]
        got += await _post_ids(client, 6)
    _exactly_once_in_order(got, before + unpublished + after)
    await client.close()


@pytest.mark.parametrize("cluster", [(1, 1, 1)], indirect=True)
async def test_redis_killed_and_restarted_subscriber_resumes_without_gap_or_double(cluster: Cluster) -> None:
    web = cluster.web_urls[0]
    client = await WsClient.open(cluster.ws_urls[0])
    await client.subscribe("s", *MONAS, 1000)
    async with httpx.AsyncClient() as http:
        token = await _token(http, web)
        before = [await _created(http, web, token, f"sebelum {i}") for i in range(3)]
        got = await _post_ids(client, 3)
        cluster.redis.kill()
        # Writes need only PostgreSQL: they succeed while Redis is gone; the relay cannot publish them.
        during = [await _created(http, web, token, f"tanpa redis {i}") for i in range(3)]
        await asyncio.to_thread(cluster.redis.start)  # empty: no subscriptions, nothing retained
        after = [await _created(http, web, token, f"sesudah {i}") for i in range(3)]
        got += await _post_ids(client, 6)  # the same socket: the gateway caught up from PostgreSQL
    _exactly_once_in_order(got, before + during + after)
    await client.close()


@pytest.fixture
async def limited_web() -> AsyncIterator[Cluster]:
    """One `warga web` (on uvloop, as the CLI runs it) with rate limits on Redis, high enough not to bite."""
    env = {**ENV, "WARGA_RATE_LIMITS": "post=100000/60:100000/60,register=100/60:100/60"}
    async with Cluster(webs=1, realtimes=0, relays=0, env=env) as c:
        yield c


async def test_redis_killed_under_rate_limits_posts_are_503_then_201_never_500(limited_web: Cluster) -> None:
    web = limited_web.web_urls[0]
    async with httpx.AsyncClient() as http:
        token = await _token(http, web)  # a 500 here before the uvloop fix in feed/core/ratelimit.py
        await _created(http, web, token, "sebelum")
        limited_web.redis.kill()
        # The limiter fails closed: refused with the one JSON error and Retry-After, nothing written.
        r = await _post(http, web, token, "tanpa redis")
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "unavailable" and r.headers["Retry-After"]
        await asyncio.to_thread(limited_web.redis.start)
        for _ in range(100):  # a bound: the limiter reconnects on the next request
            r = await _post(http, web, token, "sesudah")
            if r.status_code != 503:
                break
        assert r.status_code == 201, r.text
