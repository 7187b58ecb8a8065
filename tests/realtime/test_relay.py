"""The outbox relay: commit order, crash and restart, one active relay, retention."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from db import events as events_db
from db.migrate import migrate
from db.pool import connect, create_pool
from realtime import channels
from realtime.broker import MemoryBroker
from realtime.relay import Relay
from tests import services
from tests.realtime_client import MONAS, emit, fake_post, until


class Recorder:
    """A memory broker that records every event it carries (the moderation channel gets them all)."""

    def __init__(self) -> None:
        self.broker = MemoryBroker()
        self.seqs: list[int] = []
        self.arrived = asyncio.Event()
        self.broker.set_handlers(self._on, lambda: None)

    def _on(self, channel: str, data: bytes) -> None:
        if channel == channels.MODERATION:
            self.seqs.append(int(data[7 : data.index(b",")]))
            self.arrived.set()

    async def start(self) -> Recorder:
        await self.broker.subscribe([channels.MODERATION])
        return self

    async def wait_for(self, seq: int) -> None:
        while seq not in self.seqs:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 20)


@pytest.fixture
async def relay_db(pg_admin_url: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    url = await services.create_database(pg_admin_url)
    conn = await connect(url)
    await migrate(conn)
    await conn.close()
    pool = await create_pool(url, 2, 30)
    yield url, pool
    await pool.close()
    await services.drop_database(pg_admin_url, url)


@contextlib.asynccontextmanager
async def running(relay: Relay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _slow_writer(pool: asyncpg.Pool, rng: random.Random, n: int) -> list[int]:
    """Transactions that dawdle before and after their event insert, so commits interleave."""
    seqs = []
    for _ in range(n):
        async with pool.acquire() as conn, conn.transaction():
            await asyncio.sleep(rng.uniform(0, 0.01))
            post = fake_post(*MONAS)
            seqs.append(
                await events_db.append(
                    conn, "post.created", {"post": post}, post_id=post["id"], lat=MONAS[0], lon=MONAS[1]
                )
            )
            await asyncio.sleep(rng.uniform(0, 0.005))
    return seqs


async def test_concurrent_writers_are_published_completely_in_seq_order(relay_db: Any) -> None:
    url, pool = relay_db
    rec = await Recorder().start()
    async with running(Relay(url, rec.broker, 72)):
        rng = random.Random(7)
        batches = await asyncio.gather(*(_slow_writer(pool, rng, 15) for _ in range(20)))
        written = sorted(s for batch in batches for s in batch)
        await rec.wait_for(written[-1])
    assert rec.seqs == written  # every event once, in strictly increasing seq order
    async with pool.acquire() as conn:
        assert await events_db.get_counter(conn, "published") == written[-1]


async def test_a_restarted_relay_resumes_from_published_without_loss(relay_db: Any) -> None:
    url, pool = relay_db
    rec = await Recorder().start()
    first = [await emit(pool, "post.created", fake_post(*MONAS)) for _ in range(5)]
    relay = Relay(url, rec.broker, 72)
    async with running(relay):
        await rec.wait_for(first[-1])
        await until(lambda: relay.published >= first[-1], "the relay recorded its position")
    # The relay is gone ("crashed"); events keep being committed meanwhile.
    during = [await emit(pool, "post.created", fake_post(*MONAS)) for _ in range(5)]
    await asyncio.sleep(0)
    assert during[0] not in rec.seqs
    async with running(Relay(url, rec.broker, 72)):
        await rec.wait_for(during[-1])
    assert rec.seqs == first + during


async def test_a_crash_between_publish_and_record_republishes_and_loses_nothing(relay_db: Any) -> None:
    url, pool = relay_db
    rec = await Recorder().start()
    seqs = [await emit(pool, "post.created", fake_post(*MONAS)) for _ in range(4)]
    relay = Relay(url, rec.broker, 72)
    async with running(relay):
        await rec.wait_for(seqs[-1])
        await until(lambda: relay.published >= seqs[-1], "the relay recorded its position")
    # Pretend the record never happened (the process died right after publishing).
    async with pool.acquire() as conn:
        await conn.execute("UPDATE relay_state SET value = $1 WHERE name = 'published'", seqs[1])
    async with running(Relay(url, rec.broker, 72)):
        more = await emit(pool, "post.created", fake_post(*MONAS))
        await rec.wait_for(more)
    assert rec.seqs == [*seqs, *seqs[2:], more]  # at least once; the gateway drops the repeats


async def test_only_one_relay_is_active_and_a_standby_takes_over(relay_db: Any) -> None:
    url, pool = relay_db
    rec = await Recorder().start()
    one, two = Relay(url, rec.broker, 72), Relay(url, rec.broker, 72)
    one_task = asyncio.create_task(one.run())
    seq = await emit(pool, "post.created", fake_post(*MONAS))
    await rec.wait_for(seq)
    assert one.state == "active"
    async with running(two):
        await until(lambda: two.state == "standby", "the second relay stood by")
        seq = await emit(pool, "post.created", fake_post(*MONAS))
        await rec.wait_for(seq)
        assert one.state == "active" and two.state == "standby"
        first_run = list(rec.seqs)
        await until(lambda: one.published >= seq, "the first relay recorded its position")
        one_task.cancel()  # the active relay dies: its connection, and with it the lock, goes away
        with contextlib.suppress(asyncio.CancelledError):
            await one_task
        seq = await emit(pool, "post.created", fake_post(*MONAS))
        await rec.wait_for(seq)
        assert two.state == "active"
    assert rec.seqs == [*first_run, seq]


async def test_prune_drops_only_published_events_past_retention(relay_db: Any) -> None:
    _, pool = relay_db
    old = await emit(pool, "post.created", fake_post(*MONAS))
    unpublished = await emit(pool, "post.created", fake_post(*MONAS))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE events SET created_at = now() - interval '100 hours'")
        await events_db.set_counter(conn, "published", old)
        assert await events_db.prune(conn, 72) == old
        assert await events_db.replay_window(conn) == (old, unpublished)
        remaining = await events_db.after(conn, 0, 10)
    assert [r["id"] for r in remaining] == [unpublished]
