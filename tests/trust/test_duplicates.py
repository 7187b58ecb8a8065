"""Duplicates: suggestions in the create response (100 m, same category, open, last 7 days, with thumbnail
and distance), and merging by officials of the area and moderators: votes carry over once, the reporter
follows the original, both posts' subscribers hear post.merged."""

from __future__ import annotations

import httpx
import pytest

from feed.officials import escalation
from kernel.geo import distance_m
from tests.conftest import MakeUser
from tests.officials_helpers import IN_L1, IN_L2, IN_L3, controlled_clock, make_world
from tests.photo_samples import phone_jpeg
from tests.trust_helpers import JAKARTA, authed, near, new_post, post, subscribe, until_post
from warga.runtime import Runtime


def offset(lat: float, lon: float, north_m: float) -> tuple[float, float]:
    return lat + north_m / 111_195.0, lon


async def test_suggestions(client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser) -> None:
    a, b = await make_user(), await make_user()
    with_photo = await client.post(
        "/api/posts",
        data={"text": "banjir", "category": "flood", "lat": str(JAKARTA[0]), "lon": str(JAKARTA[1])},
        files={"photo": ("a.jpg", phone_jpeg(), "image/jpeg")},
        headers=a.headers,
    )
    assert with_photo.status_code == 201 and "possible_duplicates" not in with_photo.json()
    near_one = await new_post(client, a, at=offset(*JAKARTA, 60), text="banjir juga")
    await new_post(client, a, at=offset(*JAKARTA, 150), text="too far")
    await new_post(client, a, at=offset(*JAKARTA, 10), category="fire", text="other category")
    old = await new_post(client, a, at=offset(*JAKARTA, 20), text="old")
    closed = await new_post(client, a, at=offset(*JAKARTA, 30), text="closed")
    async with runtime.pool.acquire() as conn:
        await conn.execute("UPDATE posts SET created_at = now() - interval '8 days' WHERE id = $1", old["id"])
        await conn.execute("UPDATE posts SET status = 'resolved' WHERE id = $1", closed["id"])
    r = await post(client, b, at=offset(*JAKARTA, 40), text="air naik")
    assert r.status_code == 201
    dups = r.json()["possible_duplicates"]
    assert [d["id"] for d in dups] == [near_one["id"], with_photo.json()["id"]]  # nearest first
    assert abs(dups[0]["distance_m"] - 20) < 1 and abs(dups[1]["distance_m"] - 40) < 1
    assert (
        dups[1]["thumb_url"] == with_photo.json()["photos"][0]["thumb_url"] and dups[0]["thumb_url"] is None
    )


@pytest.mark.events
async def test_merge_by_moderator_carries_votes_and_notifies(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    r1, r2, v1, v2 = [await make_user() for _ in range(4)]
    orig = await new_post(client, r1, text="pohon tumbang", category="tree")
    dup = await new_post(client, r2, at=offset(*JAKARTA, 30), text="pohon jatuh", category="tree")
    for who, target in ((v1, orig), (v1, dup), (v2, dup)):
        assert (await client.put(f"/api/posts/{target['id']}/vote", headers=who.headers)).status_code == 200
    ws = await authed(runtime, r2)
    try:
        assert (await subscribe(ws, "n", **near(offset(*JAKARTA, 30), 10)))["type"] == "subscribed"
        r = await client.post(f"/api/posts/{dup['id']}/merge", json={"into": orig["id"]}, headers=mod.headers)
        assert r.status_code == 200, r.text
        # v1 voted both (counts once), v2 carried over, the duplicate's reporter r2 follows: 3 voters.
        assert r.json()["post"]["votes"] == 3 and r.json()["merged"] == {
            "from": dup["id"],
            "into": orig["id"],
            "votes": 3,
        }
        [event] = await until_post(ws, dup["id"])
        assert event["event"] == "post.merged" and event["merged"]["into"] == orig["id"]
    finally:
        await ws.close()
    got = (await client.get(f"/api/posts/{dup['id']}")).json()
    assert got["status"] == "merged" and got["merged_into"] == orig["id"]
    assert (await client.get(f"/api/posts/{orig['id']}")).json()["merged_into"] is None
    again = await client.post(f"/api/posts/{dup['id']}/merge", json={"into": orig["id"]}, headers=mod.headers)
    assert again.status_code == 409
    assert (
        await client.post(f"/api/posts/{orig['id']}/merge", json={"into": orig["id"]}, headers=mod.headers)
    ).status_code == 422
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE type = 'post.merged'") == 2
        assert (
            await conn.fetchval("SELECT action FROM moderation_log WHERE target_id = $1", dup["id"])
            == "merge"
        )


async def test_officials_merge_only_in_their_areas(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    w = await make_world(runtime, make_user)
    a = await new_post(client, w.citizen, at=IN_L1, text="sampah")
    b = await new_post(client, w.citizen, at=IN_L1, text="sampah lagi")
    c = await new_post(client, w.citizen, at=IN_L3, text="sampah di L3")
    d = await new_post(client, w.citizen, at=IN_L2, text="sampah di L2")
    citizen = await make_user()
    # The suggestions for an existing report, for those who may merge it (same rules as merging).
    listed = await client.get(f"/api/posts/{a['id']}/duplicates", headers=w.lurah.headers)
    assert listed.status_code == 200 and [d["id"] for d in listed.json()["items"]] == [b["id"]]
    assert (await client.get(f"/api/posts/{a['id']}/duplicates", headers=citizen.headers)).status_code == 403
    assert (await client.get(f"/api/posts/{a['id']}/duplicates", headers=w.other.headers)).status_code == 403
    assert (await client.get(f"/api/posts/{a['id']}/duplicates")).status_code == 401
    assert (await client.get("/api/posts/99999999/duplicates", headers=w.admin.headers)).status_code == 404
    assert (
        await client.post(f"/api/posts/{b['id']}/merge", json={"into": a["id"]}, headers=citizen.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/posts/{b['id']}/merge", json={"into": a["id"]}, headers=w.other.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/posts/{c['id']}/merge", json={"into": a["id"]}, headers=w.lurah.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/posts/{d['id']}/merge", json={"into": a["id"]}, headers=w.lurah.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/posts/{b['id']}/merge", json={"into": a["id"]}, headers=w.lurah.headers)
    ).status_code == 200
    # The camat (C1) covers L1 and L2.
    assert (
        await client.post(f"/api/posts/{d['id']}/merge", json={"into": a["id"]}, headers=w.camat.headers)
    ).status_code == 200
    assert (
        distance_m(*IN_L1, *IN_L2) > 100
    )  # merging is the officials' call, not bound to the suggestion radius


async def test_merging_stops_the_duplicates_clock(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """The duplicate's clock ends "merged": no escalation, not overdue in the inbox, and the league counts it
    as neither resolved nor decided (so neither within SLA nor late)."""
    async with controlled_clock(runtime) as clock:
        w = await make_world(runtime, make_user)
        orig = await new_post(client, w.citizen, at=IN_L1, text="lampu mati")
        dup = await new_post(client, w.citizen, at=IN_L1, text="lampu jalan mati")
        clock.advance(minutes=30)
        merged = await client.post(
            f"/api/posts/{dup['id']}/merge", json={"into": orig["id"]}, headers=w.lurah.headers
        )
        assert merged.status_code == 200, merged.text
        clocks = (await client.get(f"/api/posts/{dup['id']}/timeline")).json()
        [dup_clock] = clocks["clocks"]
        assert dup_clock["outcome"] == "merged" and dup_clock["resolved_at"] is None
        assert [(s["kind"], s["status"]) for s in clocks["items"][1:]] == [("status", "merged")]
        clock.advance(hours=3)  # past the 2 h acknowledge deadline: only the original escalates
        assert await escalation.sweep(runtime) == 1
        async with runtime.pool.acquire() as conn:
            escalated = await conn.fetch("SELECT DISTINCT post_id FROM events WHERE type = 'post.escalated'")
        assert [r["post_id"] for r in escalated] == [orig["id"]]
        inbox = (await client.get("/api/officials/inbox?overdue=true", headers=w.lurah.headers)).json()
        assert [i["post"]["id"] for i in inbox["items"]] == [orig["id"]]
        league = (await client.get("/api/league", params={"level": "kelurahan"})).json()["items"]
        [l1] = [row for row in league if row["area_id"] == w.area["L1"]]
        # Two clocks started; only the original's (overdue, unacknowledged) is decided, and it is late.
        assert (l1["clocks"], l1["decided"], l1["within_sla"], l1["resolved"]) == (2, 1, 0, 0)
        assert l1["resolve_median_s"] is None
