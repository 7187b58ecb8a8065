"""Spam signals and new-account limits hold a post for review: 202 with held and a message, not in feeds,
not pushed to the public, in the moderation queue; a moderator's release publishes it (post.created)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Account, MakeUser
from tests.trust_helpers import (
    JAKARTA,
    age,
    authed,
    limits,
    near,
    new_post,
    post,
    settings,
    subscribe,
    until_post,
)
from warga.runtime import Runtime


@pytest.fixture(autouse=True)
async def holds_on(runtime: Runtime) -> AsyncIterator[None]:
    async with settings(runtime, spam_holds="on"):
        yield


async def feed_ids(client: httpx.AsyncClient, who: Account | None = None) -> list[int]:
    params = {"lat": JAKARTA[0], "lon": JAKARTA[1], "radius_m": 5000}
    r = await client.get("/api/feed", params=params, headers=who.headers if who else {})
    assert r.status_code == 200
    return [i["id"] for i in r.json()["items"]]


async def test_new_account_fourth_post_is_held(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    for i in range(3):
        assert (await post(client, who, text=f"laporan {i}")).status_code == 201
    r = await post(client, who, text="laporan 4")
    assert r.status_code == 202
    body = r.json()
    assert body["held"] is True and body["held_reason"] == "new_account" and "review" in body["message"]
    assert body["id"] not in await feed_ids(client)
    assert (await client.get(f"/api/posts/{body['id']}")).status_code == 404
    assert (await client.get(f"/api/posts/{body['id']}", headers=who.headers)).status_code == 200
    # An older account is not limited so.
    await age(runtime, who, 3)
    assert (await post(client, who, text="laporan 5")).status_code == 201


@pytest.mark.parametrize(
    ("text", "reason"),
    [("http://a.example http://b.example www.c.example cheap", "links")],
)
async def test_link_heavy_text_is_held(
    client: httpx.AsyncClient, make_user: MakeUser, text: str, reason: str
) -> None:
    r = await post(client, await make_user(), text=text)
    assert r.status_code == 202 and r.json()["held_reason"] == reason
    ok = await post(client, await make_user(), text="see http://a.example and www.b.example")
    assert ok.status_code == 201


async def test_same_text_and_bursts_are_held(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    await age(runtime, who, 30)
    assert (await post(client, who, text="Jalan rusak parah!")).status_code == 201
    r = await post(client, who, text="  jalan RUSAK parah  ")
    assert r.status_code == 202 and r.json()["held_reason"] == "same_text"
    busy = await make_user()
    await age(runtime, busy, 30)
    statuses = [(await post(client, busy, text=f"different {i}")).status_code for i in range(6)]
    assert statuses == [201] * 5 + [202]


async def test_staff_and_officials_are_not_held(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    for role in ("official", "moderator", "admin"):
        who = await make_user(role)
        assert {(await post(client, who, text="sama")).status_code for _ in range(5)} == {201}


@pytest.mark.events
async def test_held_post_is_queued_live_for_moderators_only_and_release_publishes_it(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    author = await make_user()
    await age(runtime, author, 30)
    public = await authed(runtime, None)
    staff = await authed(runtime, mod)
    try:
        assert (await subscribe(public, "n", **near()))["type"] == "subscribed"
        assert (await subscribe(staff, "m", moderation=True))["type"] == "subscribed"
        held = await post(client, author, text="http://x.example http://y.example http://z.example")
        assert held.status_code == 202
        held_id = held.json()["id"]
        sentinel = await new_post(client, await make_user(), text="sentinel")
        got = await until_post(public, sentinel["id"])
        assert [m["post"]["id"] for m in got] == [sentinel["id"]]  # nothing about the held post came first
        to_staff = await until_post(staff, held_id)
        assert [m["event"] for m in to_staff] == ["post.held"] and to_staff[0]["reason"] == "links"
        queue = await client.get("/api/moderation/queue", headers=mod.headers)
        [item] = [i for i in queue.json()["items"] if i["id"] == held_id]
        assert item["held"] is True and item["held_reason"] == "links"
        r = await client.post(
            f"/api/moderation/queue/post/{held_id}",
            json={"action": "restore", "reason": "real"},
            headers=mod.headers,
        )
        assert r.status_code == 200
        released = await until_post(public, held_id)
        assert [m["event"] for m in released] == ["post.created"]
        assert held_id in await feed_ids(client)
        async with runtime.pool.acquire() as conn:
            log = await conn.fetch(
                "SELECT actor_id, action FROM moderation_log WHERE target_id = $1 ORDER BY id", held_id
            )
        assert [(r["actor_id"], r["action"]) for r in log] == [
            (None, "hold"),
            (mod.id, "queue_restore"),
            (mod.id, "release"),
        ]
    finally:
        await public.close()
        await staff.close()


async def test_held_post_rejected_stays_out(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    author = await make_user()
    held = (await post(client, author, text="http://a.x http://b.x http://c.x")).json()
    r = await client.post(
        f"/api/moderation/queue/post/{held['id']}",
        json={"action": "hide", "reason": "spam"},
        headers=mod.headers,
    )
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert held["id"] not in await feed_ids(client)
    assert (await client.get("/api/moderation/queue", headers=mod.headers)).json()["items"] == []
    async with runtime.pool.acquire() as conn:
        types = await conn.fetch("SELECT type, lat FROM events WHERE post_id = $1 ORDER BY id", held["id"])
    # Never public: every event about it went to the moderation channel alone (no position).
    assert [(t["type"], t["lat"]) for t in types] == [("post.held", None), ("post.hidden", None)]


async def test_auto_holds_follow_the_rate_limiter(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    spammy = "http://a.example http://b.example http://c.example"
    async with settings(runtime, spam_holds="auto"):
        assert (await post(client, await make_user(), text=spammy)).status_code == 201  # limiter off
        async with limits(runtime, "on"):
            assert (await post(client, await make_user(), text=spammy)).status_code == 202
    async with settings(runtime, spam_holds="off"), limits(runtime, "on"):
        assert (await post(client, await make_user(), text=spammy)).status_code == 201
