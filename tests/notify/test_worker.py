"""The notify worker's guarantees, against the real push service: 404/410 deletes the subscription; 429 with
Retry-After and 5xx are retried later (when the clock says so), then sent once; a worker that dies mid-batch
— while fanning out, after sending part of a batch, or between taking deliveries and sending them — loses
and duplicates nothing; retention keeps the events the worker has not read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from db import events as events_db
from db import push as push_db
from notify import recipients
from notify.worker import LEASE, Notifier
from tests.conftest import Account, MakeUser
from tests.notify.conftest import Subscribe, ledger, open_notifier
from tests.officials_helpers import Clock
from tests.push_service import PushService
from warga.runtime import Runtime


async def report_with_followers(
    client: httpx.AsyncClient, make_user: MakeUser, followers: int
) -> tuple[Account, list[Account], int]:
    reporter = await make_user()
    body = {"text": "pohon tumbang", "category": "tree", "lat": -6.2, "lon": 106.8}
    post = (await client.post("/api/posts", json=body, headers=reporter.headers)).json()
    fans = [await make_user() for _ in range(followers)]
    for fan in fans:
        assert (await client.put(f"/api/posts/{post['id']}/follow", headers=fan.headers)).status_code == 200
    return reporter, fans, post["id"]


async def comment(client: httpx.AsyncClient, who: Account, post_id: int, text: str) -> None:
    r = await client.post(f"/api/posts/{post_id}/comments", json={"text": text}, headers=who.headers)
    assert r.status_code == 201, r.text


async def test_gone_deletes_the_subscription(
    runtime: Runtime,
    client: httpx.AsyncClient,
    notifier: Notifier,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    reporter, [fan], post_id = await report_with_followers(client, make_user, 1)
    browser = await subscribe(reporter)
    push_service.gone(browser.sub_id, 410)
    await comment(client, fan, post_id, "pertama")
    await notifier.drain()
    assert [r.status for r in push_service.requests(browser.sub_id)] == [410]
    async with runtime.pool.acquire() as conn:
        assert await push_db.subscriptions_of(conn, [reporter.id]) == []
    assert await ledger(runtime) == []  # the subscription's deliveries went with it
    await comment(client, fan, post_id, "kedua")
    await notifier.drain()
    assert len(push_service.requests(browser.sub_id)) == 1  # nothing more is sent there


async def test_429_with_retry_after_and_500_are_retried_later_then_sent_once(
    runtime: Runtime,
    client: httpx.AsyncClient,
    notifier: Notifier,
    clock: Clock,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    reporter, [fan], post_id = await report_with_followers(client, make_user, 1)
    browser = await subscribe(reporter)
    push_service.throttle(browser.sub_id, retry_after="120")
    push_service.fail(browser.sub_id, 503)
    await comment(client, fan, post_id, "tolong")
    await notifier.drain()
    [row] = await ledger(runtime)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 429")
    assert row["next_attempt_at"] == clock.now + _seconds(120)  # Retry-After honoured
    clock.advance(seconds=119)
    await notifier.drain()
    assert len(push_service.requests(browser.sub_id)) == 1  # not due yet
    clock.advance(seconds=1)
    await notifier.drain()
    [row] = await ledger(runtime)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 2, "HTTP 503")
    assert row["next_attempt_at"] == clock.now + _seconds(10)  # no Retry-After: 5 s doubled per attempt
    clock.advance(seconds=10)
    await notifier.drain()
    assert [r.status for r in push_service.requests(browser.sub_id)] == [429, 503, 201]
    [message] = await browser.receive()
    assert message["body"] == "tolong"
    [row] = await ledger(runtime)
    assert (row["status"], row["attempts"]) == ("sent", 3)


async def test_a_delivery_is_given_up_after_the_last_attempt(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: Clock,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    worker = await open_notifier(runtime, clock, push_max_attempts=2)
    try:
        reporter, [fan], post_id = await report_with_followers(client, make_user, 1)
        browser = await subscribe(reporter)
        push_service.fail(browser.sub_id, 500, times=5)
        await comment(client, fan, post_id, "halo")
        await worker.drain()
        clock.advance(minutes=10)
        await worker.drain()
    finally:
        await worker.close()
    [row] = await ledger(runtime)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 2, "retry: HTTP 500")
    assert len(push_service.requests(browser.sub_id)) == 2


async def test_a_worker_that_dies_mid_batch_loses_and_duplicates_nothing(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: Clock,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await open_notifier(runtime, clock)
    reporter, fans, post_id = await report_with_followers(client, make_user, 3)
    browsers = [await subscribe(who) for who in (reporter, *fans)]
    for n in range(3):
        await comment(client, reporter, post_id, f"kabar {n}")  # each reaches the 3 followers
    # 1. Dies while fanning out (the third event's recipients cannot be read): the whole batch is undone.
    real, calls = recipients.notices, 0

    async def dies_on_the_third(conn: Any, event: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionResetError("worker killed")
        return await real(conn, event)

    monkeypatch.setattr(recipients, "notices", dies_on_the_third)
    async with runtime.pool.acquire() as conn:
        before = await push_db.lock_cursor(conn)
    with pytest.raises(ConnectionResetError):
        await first.fan_out()
    assert await ledger(runtime) == []
    async with runtime.pool.acquire() as conn:
        assert await push_db.lock_cursor(conn) == before
    monkeypatch.setattr(recipients, "notices", real)
    # 2. Restarted, it records the batch, sends part of it, and dies.
    await first.close()
    second = await open_notifier(runtime, clock)
    assert await second.fan_out() >= 3
    assert len(await ledger(runtime)) == 9
    assert await second.deliver(limit=4) == 4
    # 3. The next one takes deliveries and dies before sending them: they wait for their lease to run out.
    async with runtime.pool.acquire() as conn, conn.transaction():
        taken = await push_db.claim_due(conn, clock.now, clock.now + LEASE, 2)
    assert len(taken) == 2
    await second.close()
    third = await open_notifier(runtime, clock)
    try:
        await third.drain()
        assert sum(len(push_service.messages(b.sub_id)) for b in browsers) == 7
        clock.advance(seconds=LEASE.total_seconds())
        await third.drain()
    finally:
        await third.close()
    for browser in browsers[1:]:
        bodies = sorted(m["body"] for m in await browser.receive(3))
        assert bodies == ["kabar 0", "kabar 1", "kabar 2"]
        assert len(push_service.messages(browser.sub_id)) == 3  # exactly once each
    assert push_service.messages(browsers[0].sub_id) == []  # the reporter wrote them
    assert {r["status"] for r in await ledger(runtime)} == {"sent"}


async def test_retention_keeps_what_the_worker_has_not_read(
    runtime: Runtime, client: httpx.AsyncClient, notifier: Notifier, make_user: MakeUser
) -> None:
    _, [fan], post_id = await report_with_followers(client, make_user, 1)
    await notifier.drain()
    await comment(client, fan, post_id, "belum dibaca")
    async with runtime.pool.acquire() as conn:
        floor, head = await events_db.replay_window(conn)
        read = await push_db.lock_cursor(conn)
        assert read < head
        await conn.execute("UPDATE events SET created_at = now() - interval '100 hours'")
        await events_db.set_counter(conn, "published", head)  # the relay has published everything
        assert await events_db.prune(conn, 72) == read  # but the worker has not read the comment
    await notifier.drain()
    async with runtime.pool.acquire() as conn:
        assert await events_db.prune(conn, 72) == head
        # Put the retention floor back: later tests in this database resume sockets from below it.
        await conn.execute("UPDATE relay_state SET value = $1 WHERE name = 'pruned_through'", floor)


def _seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


async def test_the_running_worker_delivers_on_its_own(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: Clock,
    make_user: MakeUser,
    subscribe: Subscribe,
) -> None:
    """What `warga notify` (and `warga serve`, Parts(notify=True)) runs: the loop, not a test's steps."""
    worker = await open_notifier(runtime, clock, notify_every_s=0.05)
    worker.start()
    try:
        reporter, [fan], post_id = await report_with_followers(client, make_user, 1)
        browser = await subscribe(reporter)
        await comment(client, fan, post_id, "sudah surut")
        [message] = await browser.receive()  # fails after tests.push_service.WAIT_S
        assert message["body"] == "sudah surut"
    finally:
        await worker.stop()
        await worker.close()
