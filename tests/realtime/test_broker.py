"""The broker interface (one suite, both backends), Redis reconnects, and the gateway's catch-up on a gap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from realtime.broker import Broker, MemoryBroker
from realtime.redis_broker import RedisBroker
from tests.realtime_client import MONAS, WAIT_S, WsClient, emit, fake_post, started_runtime, until, ws_url
from warga.runtime import Runtime


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.gaps = 0
        self.changed = asyncio.Event()

    def on_message(self, channel: str, data: bytes) -> None:
        self.messages.append((channel, data))
        self.changed.set()

    def on_gap(self) -> None:
        self.gaps += 1
        self.changed.set()

    async def until(self, count: int) -> list[tuple[str, bytes]]:
        while len(self.messages) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 20)
        return self.messages


@pytest.fixture
async def broker(broker_kind: str, redis_url: str) -> AsyncIterator[tuple[Broker, Inbox]]:
    b: Broker = RedisBroker(redis_url) if broker_kind == "redis" else MemoryBroker()
    inbox = Inbox()
    b.set_handlers(inbox.on_message, inbox.on_gap)
    await b.start()
    yield b, inbox
    await b.close()


async def test_messages_arrive_in_publish_order_on_subscribed_channels_only(
    broker: tuple[Broker, Inbox],
) -> None:
    b, inbox = broker
    await b.subscribe(["t:a", "t:b"])
    await b.publish_many([("t:a", b"1"), ("t:x", b"lost"), ("t:b", b"2"), ("t:a", b"3")])
    await b.publish("t:b", b"4")
    assert await inbox.until(4) == [("t:a", b"1"), ("t:b", b"2"), ("t:a", b"3"), ("t:b", b"4")]


async def test_unsubscribe_stops_a_channel(broker: tuple[Broker, Inbox]) -> None:
    b, inbox = broker
    await b.subscribe(["t:a", "t:b"])
    await b.unsubscribe(["t:a"])
    await b.publish_many([("t:a", b"no"), ("t:b", b"yes")])
    assert await inbox.until(1) == [("t:b", b"yes")]
    assert b.channels == {"t:b"}


async def test_redis_reconnects_resubscribes_and_reports_the_gap(redis_url: str) -> None:
    b = RedisBroker(redis_url)
    inbox = Inbox()
    b.set_handlers(inbox.on_message, inbox.on_gap)
    await b.start()
    try:
        await b.subscribe(["t:gap"])
        admin = redis.Redis.from_url(redis_url)
        # Only this broker's connection: the Redis may be shared with other test runs.
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == b.client_name]
        assert len(ids) == 1
        await admin.client_kill_filter(_id=ids[0])
        await admin.aclose()
        while inbox.gaps == 0:
            inbox.changed.clear()
            await asyncio.wait_for(inbox.changed.wait(), 20)
        await b.publish("t:gap", b"after")
        assert await inbox.until(1) == [("t:gap", b"after")]
        assert b.reconnects == 1
    finally:
        await b.close()


async def test_gateway_catches_up_from_postgres_after_a_gap(rt: Runtime) -> None:
    """Messages the broker lost are replayed from PostgreSQL, once each, in order, when it reports a gap."""
    gateway, broker = rt.realtime.gateway, rt.realtime.broker
    assert gateway is not None
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500)
    before = await emit(rt.pool, "post.created", fake_post(*MONAS))
    assert [m["seq"] for m in await c.events_until("s", before)] == [before]
    # Make the broker lose everything for a moment (deterministic for both backends: nobody is listening).
    saved = set(broker.channels)
    broker.channels.clear()
    lost = [await emit(rt.pool, "post.created", fake_post(*MONAS)) for _ in range(3)]
    relay = rt.realtime.relay
    assert relay is not None
    await until(lambda: relay.published >= lost[-1], "the relay sent them into the void")
    # The gap is reported while the broker still hears nothing, and it listens again only once the catch-up
    # is done: over Redis, messages still on the wire (the relay's head marker among them) would otherwise
    # arrive between the two and move the gateway's head past what it never delivered.
    gateway._on_gap()
    await until(lambda: not gateway._catching_up, "the catch-up finished")
    broker.channels.update(saved)
    after = await emit(rt.pool, "post.created", fake_post(*MONAS))
    assert [m["seq"] for m in await c.events_until("s", after)] == [*lost, after]
    await c.close()


async def test_a_lost_redis_connection_costs_subscribers_nothing(
    pg_admin_url: str, redis_url: str, tmp_path: Path
) -> None:
    """The gateway's pub/sub connection is killed while events keep coming: each arrives once, in order."""
    async with started_runtime(pg_admin_url, redis_url, tmp_path) as runtime:
        broker = runtime.realtime.broker
        assert isinstance(broker, RedisBroker)
        c = await WsClient.open(ws_url(runtime))
        await c.subscribe("s", *MONAS, 500)
        admin = redis.Redis.from_url(redis_url)
        seqs = []
        for _ in range(3):
            ids: list[str] = []
            deadline = asyncio.get_running_loop().time() + WAIT_S
            while not ids:  # the previous round's reconnect may still be under way
                assert asyncio.get_running_loop().time() < deadline, "the broker never reconnected"
                ids = [x["id"] for x in await admin.client_list() if x.get("name") == broker.client_name]
                await asyncio.sleep(0.01)
            await admin.client_kill_filter(_id=ids[0])
            seqs += [await emit(runtime.pool, "post.created", fake_post(*MONAS)) for _ in range(5)]
        await admin.aclose()
        got = await c.events_until("s", seqs[-1])
        assert [m["seq"] for m in got] == seqs
        assert broker.reconnects >= 1
        await c.close()


def _on_db(url: str, db: int) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}"


async def test_deployments_on_one_redis_hear_only_their_own_events(redis_url: str) -> None:
    """Redis pub/sub ignores database numbers; warga's channel namespace does not. Two deployments on one
    server — different database numbers, or the same number and different WARGA_REDIS_PREFIX — stay apart,
    and a second process of the same deployment hears the first."""
    db = int(redis_url.rpartition("/")[2] or 0)
    mine = RedisBroker(redis_url)
    same = RedisBroker(redis_url)
    other_db = RedisBroker(_on_db(redis_url, (db + 1) % 16))
    other_prefix = RedisBroker(redis_url, prefix="staging")
    brokers = [mine, same, other_db, other_prefix]
    inboxes = [Inbox() for _ in brokers]
    for b, inbox in zip(brokers, inboxes, strict=True):
        b.set_handlers(inbox.on_message, inbox.on_gap)
        await b.start()
    try:
        for b in brokers:
            await b.subscribe(["t:shared"])
        await mine.publish("t:shared", b"from mine")
        await other_db.publish("t:shared", b"from the other database")
        await other_prefix.publish("t:shared", b"from staging")
        assert await inboxes[1].until(1) == [("t:shared", b"from mine")]
        assert await inboxes[2].until(1) == [("t:shared", b"from the other database")]
        assert await inboxes[3].until(1) == [("t:shared", b"from staging")]
        assert await inboxes[0].until(1) == [("t:shared", b"from mine")]
        # Give anything wrongly routed the time to arrive, then check that nothing more did.
        await mine.publish("t:shared", b"marker")
        await inboxes[1].until(2)
        assert [len(inbox.messages) for inbox in inboxes] == [2, 2, 1, 1]
    finally:
        for b in brokers:
            await b.close()
