"""Flags: weights (account age, a published report, track record), the threshold hides pending review with
a system log entry, fresh accounts' flags weigh nothing, one flag per user, the moderation queue (order,
paging, resolution feeding the record), and the live moderation channel (staff only)."""

from __future__ import annotations

import httpx
import pytest

from feed.trust.flags import weight
from tests.conftest import Account, MakeUser
from tests.trust_helpers import age, authed, events_until, new_post, subscribe, until_post
from warga.runtime import Runtime


async def flag(client: httpx.AsyncClient, who: Account, post_id: int, reason: str = "spam") -> httpx.Response:
    return await client.post(f"/api/posts/{post_id}/flag", json={"reason": reason}, headers=who.headers)


async def flaggers(
    client: httpx.AsyncClient,
    runtime: Runtime,
    make_user: MakeUser,
    n: int,
    days: float,
    published: bool = True,
) -> list[Account]:
    """n citizens `days` old, each with a published report unless told otherwise (else they weigh 0)."""
    people = [await make_user() for _ in range(n)]
    for who in people:
        if published:
            await new_post(client, who, text=f"laporan warga {who.handle}")
        await age(runtime, who, days)
    return people


def test_weight_formula() -> None:
    from datetime import timedelta

    assert weight(timedelta(days=1), 0, 0) == 0.5
    assert weight(timedelta(days=30), 0, 0) == 1.0
    assert weight(timedelta(days=30), 5, 0) == 2.0  # capped
    assert weight(timedelta(days=30), 1, 0) == 2.0
    assert weight(timedelta(days=30), 0, 1) == 0.5
    assert weight(timedelta(days=30), 0, 9) == 0.25  # floored
    assert weight(timedelta(days=1), 1, 1) == 0.5
    # Younger than a day, or no published report: nothing, whatever the record.
    assert weight(timedelta(hours=23, minutes=59), 5, 0) == 0.0
    assert weight(timedelta(days=30), 5, 0, proven=False) == 0.0


async def test_three_established_flags_hide_pending_review(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    author = await make_user()
    p = await new_post(client, author)
    a, b, c = await flaggers(client, runtime, make_user, 3, 30)
    for who in (a, b):
        r = await flag(client, who, p["id"])
        assert r.status_code == 201 and r.json()["weight"] == 1.0 and r.json()["hidden"] is False
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 200
    r = await flag(client, c, p["id"], "abuse")
    assert r.status_code == 201 and r.json()["hidden"] is True
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 404
    assert (await flag(client, a, p["id"])).status_code in (404, 409)  # hidden now: gone for citizens
    async with runtime.pool.acquire() as conn:
        log = await conn.fetch(
            "SELECT actor_id, action, reason FROM moderation_log WHERE target_id = $1", p["id"]
        )
    assert [(r["actor_id"], r["action"], r["reason"]) for r in log] == [(None, "hide", "flags")]


async def test_week_old_accounts_weigh_half(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    p = await new_post(client, await make_user())
    young = await flaggers(client, runtime, make_user, 6, 2)
    hidden = []
    for who in young:
        r = await flag(client, who, p["id"])
        assert r.status_code == 201 and r.json()["weight"] == 0.5
        hidden.append(r.json()["hidden"])
    assert hidden == [False] * 5 + [True]


async def test_six_fresh_accounts_hide_nothing_but_moderators_see_their_flags(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """Today's sock-puppet attack: six accounts made a minute ago (each even with a report of its own) flag a
    report. Their flags are recorded and queued for moderators, weigh 0, and hide nothing."""
    mod = await make_user("moderator")
    p = await new_post(client, await make_user())
    fresh = [await make_user() for _ in range(6)]
    for who in fresh:
        await new_post(client, who, text=f"laporan {who.handle}")
    for who in fresh:
        r = await flag(client, who, p["id"])
        assert r.status_code == 201 and r.json()["weight"] == 0 and r.json()["hidden"] is False
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 200
    queue = (await client.get("/api/moderation/queue", headers=mod.headers)).json()
    [item] = queue["items"]
    assert item["id"] == p["id"] and item["flags"] == 6 and item["weight"] == 0 and item["hidden"] is False
    # Established accounts' flags still hide it.
    for who in await flaggers(client, runtime, make_user, 3, 30):
        r = await flag(client, who, p["id"])
        assert r.status_code == 201 and r.json()["weight"] == 1.0
    assert r.json()["hidden"] is True
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 404


async def test_old_accounts_without_a_published_report_weigh_nothing(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """A month old but never published a report (none, or only held, hidden or deleted ones): 0. Officials
    are appointed, not signed up: they count without reports."""
    mod = await make_user("moderator")
    p = await new_post(client, await make_user())
    idle, held, hidden, deleted = await flaggers(client, runtime, make_user, 4, 30, published=False)
    async with runtime.pool.acquire() as conn:
        for who, column in ((held, "held_at"), (hidden, "hidden_at"), (deleted, "deleted_at")):
            q = await new_post(client, who, text=f"laporan {who.handle}")
            await conn.execute(f"UPDATE posts SET {column} = now() WHERE id = $1", q["id"])
    for who in (idle, held, hidden, deleted):
        r = await flag(client, who, p["id"])
        assert r.status_code == 201 and r.json()["weight"] == 0, who.handle
    official = await make_user("official")
    await age(runtime, official, 30)
    r = await flag(client, official, p["id"])
    assert r.status_code == 201 and r.json()["weight"] == 1.0
    # A released (no longer held) report makes the account count.
    async with runtime.pool.acquire() as conn:
        await conn.execute("UPDATE posts SET held_at = NULL WHERE author_id = $1", held.id)
    q = await new_post(client, await make_user())
    assert (await flag(client, held, q["id"])).json()["weight"] == 1.0
    queue = (await client.get("/api/moderation/queue", headers=mod.headers)).json()
    weights = {i["id"]: (i["flags"], i["weight"]) for i in queue["items"]}
    assert weights[p["id"]] == (5, 1.0)


async def test_one_flag_per_user_and_bad_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    p = await new_post(client, await make_user())
    who = await make_user()
    assert (await flag(client, who, p["id"])).status_code == 201
    r = await flag(client, who, p["id"], "abuse")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_flagged"
    r = await client.post(f"/api/posts/{p['id']}/flag", json={"reason": "ugly"}, headers=who.headers)
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = await client.post(f"/api/posts/{p['id']}/flag", json={"reason": "spam", "x": 1}, headers=who.headers)
    assert r.status_code == 422
    assert (await client.post(f"/api/posts/{p['id']}/flag", json={"reason": "spam"})).status_code == 401
    assert (await flag(client, who, 99_999_999)).status_code == 404


async def test_queue_orders_pages_and_resolution_feeds_the_record(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    author = await make_user()
    one, two, three = [await new_post(client, author, text=f"post {i}") for i in range(3)]
    a, b = await flaggers(client, runtime, make_user, 2, 30)
    assert (await flag(client, a, one["id"])).status_code == 201
    assert (await flag(client, b, one["id"])).status_code == 201
    assert (await flag(client, a, two["id"])).status_code == 201
    assert (await flag(client, b, three["id"])).status_code == 201
    r = await client.get("/api/moderation/queue", params={"order": "flags"}, headers=mod.headers)
    assert r.status_code == 200
    assert r.json()["items"][0]["id"] == one["id"]
    assert r.json()["items"][0]["flags"] == 2 and r.json()["items"][0]["weight"] == 2.0
    newest = await client.get("/api/moderation/queue", params={"limit": 2}, headers=mod.headers)
    page1 = [i["id"] for i in newest.json()["items"]]
    assert page1 == [three["id"], two["id"]]
    rest = await client.get(
        "/api/moderation/queue", params={"limit": 2, "cursor": newest.json()["next"]}, headers=mod.headers
    )
    assert [i["id"] for i in rest.json()["items"]] == [one["id"]] and rest.json()["next"] is None
    # Citizens and officials may not see the queue.
    assert (await client.get("/api/moderation/queue", headers=a.headers)).status_code == 403
    # Uphold a's flag on `one`, reject b's on `three`: a now weighs 2.0, b 0.5.
    r = await client.post(
        f"/api/moderation/queue/post/{one['id']}",
        json={"action": "hide", "reason": "spam"},
        headers=mod.headers,
    )
    assert r.status_code == 200 and r.json()["hidden"] is True
    r = await client.post(
        f"/api/moderation/queue/post/{three['id']}",
        json={"action": "dismiss", "reason": "fine"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    r = await client.post(
        f"/api/moderation/queue/post/{three['id']}",
        json={"action": "dismiss", "reason": "x"},
        headers=mod.headers,
    )
    assert r.status_code == 409  # nothing left to decide
    fresh = await new_post(client, author, text="fresh")
    assert (await flag(client, a, fresh["id"])).json()["weight"] == 2.0
    c = await make_user()
    await age(runtime, c, 30)
    assert (await flag(client, c, three["id"])).status_code == 201
    async with runtime.pool.acquire() as conn:
        outcomes = await conn.fetch(
            "SELECT user_id, outcome FROM flags WHERE target_id = $1 ORDER BY id", one["id"]
        )
        log = await conn.fetch("SELECT actor_id, action FROM moderation_log WHERE actor_id = $1", mod.id)
    assert {r["outcome"] for r in outcomes} == {"upheld"}
    assert sorted(r["action"] for r in log) == ["queue_dismiss", "queue_hide"]
    bad = await client.post(
        f"/api/moderation/queue/post/{fresh['id']}",
        json={"action": "nuke", "reason": "x"},
        headers=mod.headers,
    )
    assert bad.status_code == 422


async def test_flagged_hidden_post_restored_comes_back(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    p = await new_post(client, await make_user())
    for who in await flaggers(client, runtime, make_user, 3, 30):
        await flag(client, who, p["id"])
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 404
    r = await client.post(
        f"/api/moderation/queue/post/{p['id']}",
        json={"action": "restore", "reason": "ok"},
        headers=mod.headers,
    )
    assert r.status_code == 200 and r.json()["hidden"] is False
    assert (await client.get(f"/api/posts/{p['id']}")).status_code == 200
    queue = await client.get("/api/moderation/queue", headers=mod.headers)
    assert queue.json()["items"] == []


async def test_comment_flags_hide_the_comment(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    author = await make_user()
    mod = await make_user("moderator")
    p = await new_post(client, author)
    c = await client.post(
        f"/api/posts/{p['id']}/comments", json={"text": "buy pills"}, headers=author.headers
    )
    cid = c.json()["id"]
    for who in await flaggers(client, runtime, make_user, 3, 30):
        r = await client.post(f"/api/comments/{cid}/flag", json={"reason": "spam"}, headers=who.headers)
        assert r.status_code == 201
    listed = await client.get(f"/api/posts/{p['id']}/comments")
    assert listed.json()["items"] == []
    assert (await client.get(f"/api/posts/{p['id']}")).json()["comments"] == 0
    queue = await client.get("/api/moderation/queue", headers=mod.headers)
    [item] = queue.json()["items"]
    assert item["kind"] == "comment" and item["id"] == cid and item["hidden"] is True


@pytest.mark.parametrize("role", ["moderator", "admin"])
@pytest.mark.events
async def test_moderators_hear_flags_live_and_citizens_may_not_subscribe(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser, role: str
) -> None:
    staff, citizen = await make_user(role), await make_user()
    p = await new_post(client, await make_user())
    ws = await authed(runtime, staff)
    other = await authed(runtime, citizen)
    anon = await authed(runtime, None)
    try:
        # Their reports are published before anyone listens.
        people = await flaggers(client, runtime, make_user, 3, 30)
        assert (await subscribe(ws, "m", moderation=True))["type"] == "subscribed"
        for sock in (other, anon):
            reply = await subscribe(sock, "m", moderation=True)
            assert reply["type"] == "error" and reply["code"] == "forbidden"
        for who in people:
            await flag(client, who, p["id"])
        got = await events_until(ws, lambda m: m["event"] == "post.hidden")
        assert [m["event"] for m in got] == ["flag.created"] * 3 + ["post.hidden"]
        assert got[0]["flag"]["reason"] == "spam" and got[-1]["reason"] == "flags"
        mod = await make_user("moderator")
        await client.post(
            f"/api/moderation/queue/post/{p['id']}",
            json={"action": "restore", "reason": "ok"},
            headers=mod.headers,
        )
        [restored] = await until_post(ws, p["id"])
        assert restored["event"] == "post.unhidden" and restored["queue"]["action"] == "restore"
    finally:
        for sock in (ws, other, anon):
            await sock.close()
