"""Officials: routing new reports through the HTTP API (edges, holes, outside -> the admins' queue),
appointing officials (admin API and CLI), the inbox, and live area subscriptions over a real websocket."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from db import events as events_db
from feed.officials import escalation
from tests.conftest import MakeUser
from tests.officials_helpers import (
    IN_HOLE,
    IN_L1,
    IN_L2,
    IN_L3,
    ON_L1_L2_EDGE,
    OUTSIDE,
    Clock,
    World,
    change,
    post_at,
)
from tests.realtime_client import WsClient, ws_url
from warga.runtime import Runtime


# --- Routing -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "code"),
    [
        (IN_L1, "L1"),
        (IN_L2, "L2"),
        (IN_L3, "L3"),
        (IN_HOLE, "C1"),  # L1's hole: no kelurahan, so the kecamatan owns it
        ((-5.010, 120.004), "C1"),  # on the hole's west edge: the hole's side (half-open, x < edge is out)
        ((-5.010, 120.006), "L1"),  # on the hole's east edge: back in L1
        (ON_L1_L2_EDGE, "L2"),  # a shared edge belongs to exactly one side: the east one
        ((-5.0199999, 120.0000001), "L1"),  # the kota's south-west corner, just inside
        ((-5.020, 120.025), "L3"),  # on the kota's southern edge: edges own their lower end
        (OUTSIDE, None),
        ((-5.000, 120.015), None),  # on the northern edge: half-open, outside
    ],
)
async def test_new_post_lands_in_the_deepest_area(
    client: httpx.AsyncClient, runtime: Runtime, world: World, where: tuple[float, float], code: str | None
) -> None:
    post = await post_at(client, world.citizen, where)
    expected = world.area[code] if code else None
    assert post["area_id"] == expected
    assert (await client.get(f"/api/posts/{post['id']}")).json()["area_id"] == expected
    async with runtime.pool.acquire() as conn:
        created = [r for r in await events_db.after(conn, 0, 1000) if r["type"] == "post.created"]
    # The event carries the area and every ancestor, deepest first.
    chains = {
        "L1": ["L1", "C1", "K"],
        "L2": ["L2", "C1", "K"],
        "L3": ["L3", "C2", "K"],
        "C1": ["C1", "K"],
        None: [],
    }
    assert list(created[-1]["area_ids"]) == [world.area[c] for c in chains[code]]
    timeline = (await client.get(f"/api/posts/{post['id']}/timeline")).json()
    assert len(timeline["clocks"]) == (1 if code else 0)


async def test_unrouted_queue_is_for_admins(client: httpx.AsyncClient, world: World) -> None:
    outside = [await post_at(client, world.citizen, OUTSIDE) for _ in range(3)]
    await post_at(client, world.citizen, IN_L1)
    for who in (world.citizen, world.lurah):
        assert (await client.get("/api/admin/unrouted", headers=who.headers)).status_code == 403
    r = await client.get("/api/admin/unrouted", params={"limit": 2}, headers=world.admin.headers)
    assert r.status_code == 200
    first = r.json()
    assert [p["id"] for p in first["items"]] == [outside[2]["id"], outside[1]["id"]]
    r = await client.get("/api/admin/unrouted", params={"cursor": first["next"]}, headers=world.admin.headers)
    assert [p["id"] for p in r.json()["items"]] == [outside[0]["id"]] and r.json()["next"] is None
    # Dispatching one takes it out of the queue.
    assert (await change(client, world.admin, outside[0]["id"], "forwarded", to_area="L1")).status_code == 200
    r = await client.get("/api/admin/unrouted", headers=world.admin.headers)
    assert outside[0]["id"] not in [p["id"] for p in r.json()["items"]]


# --- Appointing officials ------------------------------------------------------------------------------
async def test_admin_api_assigns_and_removes(
    client: httpx.AsyncClient, world: World, make_user: MakeUser
) -> None:
    newbie = await make_user()
    post = await post_at(client, world.citizen, IN_L3)
    assert (await change(client, newbie, post["id"], "acknowledged")).status_code == 403
    body = {"handle": newbie.handle, "area": "C2"}
    r = await client.post("/api/admin/officials", json=body, headers=world.admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["area"]["id"] == world.area["C2"] and r.json()["created"] is True
    r = await client.post(
        "/api/admin/officials", json={**body, "area": world.area["C2"]}, headers=world.admin.headers
    )
    assert r.status_code == 200 and r.json()["created"] is False
    me = (await client.get("/api/me", headers=newbie.headers)).json()
    assert me["user"]["role"] == "official"
    assert (await change(client, newbie, post["id"], "acknowledged")).status_code == 200  # C2 covers L3
    r = await client.request("DELETE", "/api/admin/officials", json=body, headers=world.admin.headers)
    assert r.status_code == 204
    assert (await change(client, newbie, post["id"], "in_progress")).status_code == 403
    r = await client.request("DELETE", "/api/admin/officials", json=body, headers=world.admin.headers)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handle": "nobody_here", "area": "L1"}, "handle"),
        ({"handle": "{lurah}", "area": "NOPE"}, "area"),
        ({"handle": "{lurah}", "area": 0}, "area"),
        ({"handle": "{lurah}", "area": True}, "area"),
        ({"handle": "{lurah}"}, "area"),
        ({"area": "L1"}, "handle"),
        ({"handle": "{lurah}", "area": "L1", "role": "admin"}, "role"),
    ],
)
async def test_admin_api_bad_input(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], field: str
) -> None:
    if body.get("handle") == "{lurah}":
        body = {**body, "handle": world.lurah.handle}
    r = await client.post("/api/admin/officials", json=body, headers=world.admin.headers)
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text


async def test_only_admins_appoint(client: httpx.AsyncClient, world: World) -> None:
    body = {"handle": world.citizen.handle, "area": "L1"}
    for who in (world.citizen, world.lurah, world.camat):
        r = await client.post("/api/admin/officials", json=body, headers=who.headers)
        assert r.status_code == 403
    assert (await client.post("/api/admin/officials", json=body)).status_code == 401


async def test_cli_official_assign(
    client: httpx.AsyncClient, runtime: Runtime, world: World, make_user: MakeUser
) -> None:
    newbie = await make_user()
    env = {
        **os.environ,
        "DATABASE_URL": runtime.settings.database_url.reveal() if runtime.settings.database_url else "",
    }
    env["WARGA_DATA_DIR"] = str(runtime.settings.data_dir)
    cmd = [
        sys.executable,
        "-c",
        "import sys; from warga.cli import main; main(sys.argv[1:])",
        "official",
        "assign",
    ]
    done = await asyncio.to_thread(
        subprocess.run, [*cmd, newbie.handle, "L2"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "is now an official of kelurahan L2" in done.stdout
    post = await post_at(client, world.citizen, IN_L2)
    assert (await change(client, newbie, post["id"], "acknowledged")).status_code == 200
    bad = await asyncio.to_thread(
        subprocess.run, [*cmd, newbie.handle, "ZZZ"], env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode != 0 and "no such area" in bad.stderr


# --- The inbox -------------------------------------------------------------------------------------------
async def test_inbox_scopes_filters_and_pages(client: httpx.AsyncClient, world: World, clock: Clock) -> None:
    l1 = [await post_at(client, world.citizen, IN_L1) for _ in range(3)]
    l2 = await post_at(client, world.citizen, IN_L2)
    l3 = await post_at(client, world.citizen, IN_L3)
    await post_at(client, world.citizen, OUTSIDE)

    async def ids(who: Any, **params: Any) -> list[int]:
        r = await client.get("/api/officials/inbox", params=params, headers=who.headers)
        assert r.status_code == 200, r.text
        return [item["post"]["id"] for item in r.json()["items"]]

    assert await ids(world.lurah) == [p["id"] for p in reversed(l1)]
    assert await ids(world.camat) == [l2["id"], *(p["id"] for p in reversed(l1))]
    assert await ids(world.other) == [l3["id"]]
    assert await ids(world.admin) == [l3["id"], l2["id"], *(p["id"] for p in reversed(l1))]
    assert (await client.get("/api/officials/inbox", headers=world.citizen.headers)).status_code == 403
    # Status filter.
    assert (await change(client, world.lurah, l1[0]["id"], "acknowledged")).status_code == 200
    assert await ids(world.camat, status="acknowledged") == [l1[0]["id"]]
    # Paging.
    r = await client.get("/api/officials/inbox", params={"limit": 2}, headers=world.camat.headers)
    page = r.json()
    r = await client.get(
        "/api/officials/inbox", params={"limit": 2, "cursor": page["next"]}, headers=world.camat.headers
    )
    assert [i["post"]["id"] for i in page["items"] + r.json()["items"]] == [
        l2["id"],
        *(p["id"] for p in reversed(l1)),
    ]
    assert page["areas"][0]["id"] == world.area["C1"]


async def test_inbox_overdue_most_overdue_first(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    flood = await post_at(client, world.citizen, IN_L1, "flood")  # acknowledge within 2 h
    garbage = await post_at(client, world.citizen, IN_L1, "garbage")  # within 24 h
    clock.advance(hours=1)
    fire = await post_at(client, world.citizen, IN_L1, "fire")  # within 1 h, from +1 h
    clock.advance(hours=2, minutes=30)  # flood 1.5 h late, fire 1.5 h late... fire is due at +2h, flood +2h
    r = await client.get("/api/officials/inbox", params={"overdue": "true"}, headers=world.lurah.headers)
    items = r.json()["items"]
    assert [i["post"]["id"] for i in items] == [flood["id"], fire["id"]]
    assert all(i["overdue"] for i in items) and items[0]["overdue_s"] == 5400
    assert garbage["id"] not in [i["post"]["id"] for i in items]
    r = await client.get(
        "/api/officials/inbox", params={"overdue": "true", "limit": 1}, headers=world.lurah.headers
    )
    r2 = await client.get(
        "/api/officials/inbox",
        params={"overdue": "true", "limit": 1, "cursor": r.json()["next"]},
        headers=world.lurah.headers,
    )
    assert [i["post"]["id"] for i in r.json()["items"] + r2.json()["items"]] == [flood["id"], fire["id"]]
    for bad in ({"overdue": "maybe"}, {"status": "nope"}, {"cursor": "!!"}, {"limit": 0}, {"x": 1}):
        r = await client.get("/api/officials/inbox", params=bad, headers=world.lurah.headers)
        assert r.status_code == 422, bad


# --- Live ------------------------------------------------------------------------------------------------
@pytest.mark.events
async def test_area_subscribers_get_their_areas_events_live(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    camat = await WsClient.authed(ws_url(runtime), world.camat.token)
    lurah = await WsClient.authed(ws_url(runtime), world.lurah.token)
    neighbour = await WsClient.open(ws_url(runtime))  # anonymous, near the L1 report
    try:
        await neighbour.subscribe("n", IN_L1[0], IN_L1[1], 300)
        assert (await camat.ask("c", area=world.area["C1"]))["type"] == "subscribed"
        assert (await lurah.ask("l", area=world.area["L1"]))["type"] == "subscribed"
        await post_at(client, world.citizen, IN_L3)  # C2: neither hears it
        in_l2 = await post_at(client, world.citizen, IN_L2)
        got = await camat.next_event()
        assert (got["sub"], got["event"], got["post"]["id"]) == ("c", "post.created", in_l2["id"])
        in_l1 = await post_at(client, world.citizen, IN_L1)
        got = await camat.next_event()
        assert got["post"]["id"] == in_l1["id"]
        got = await lurah.next_event()
        assert (got["event"], got["post"]["id"]) == ("post.created", in_l1["id"])
        assert (await neighbour.next_event())["post"]["id"] == in_l1["id"]
        # A status step reaches area subscribers and the neighbours, with its cause and the step.
        assert (await change(client, world.lurah, in_l1["id"], "acknowledged", note="otw")).status_code == 200
        for ws in (camat, lurah, neighbour):
            got = await ws.next_event()
            assert (got["event"], got["cause"], got["post"]["status"]) == (
                "post.updated",
                "post.status",
                "acknowledged",
            )
            assert got["step"]["note"] == "otw" and got["step"]["actor"]["id"] == world.lurah.id
        # An escalation of the L2 report goes to C1's subscribers (the parent chain), not to L1's.
        clock.advance(hours=2)
        # Level 1 of in_l2 (to C1) and of the L3 report (to C2); in_l1 was acknowledged.
        assert await escalation.sweep(runtime) == 2
        got = await camat.next_event()
        assert (got["event"], got["post"]["id"], got["escalation"]["level"]) == (
            "post.escalated",
            in_l2["id"],
            1,
        )
        # A forward out of C1 is still told to C1's subscribers (the report leaves their list).
        assert (await change(client, world.camat, in_l1["id"], "forwarded", to_area="L3")).status_code == 200
        got = await camat.next_event()
        assert got["step"]["to_area"] == world.area["L3"]
        got = await lurah.next_event()
        assert got["post"]["area_id"] == world.area["L3"]
        # The neighbour heard the forward (a status step) but never the escalation (no position).
        got = await neighbour.next_event()
        assert (got["event"], got["step"]["status"]) == ("post.updated", "forwarded")
    finally:
        await camat.close()
        await lurah.close()
        await neighbour.close()


@pytest.mark.events
async def test_only_officials_of_the_area_or_above_and_admins_may_subscribe(
    runtime: Runtime, world: World
) -> None:
    cases = [
        (world.citizen.token, world.area["L1"], "forbidden"),
        (world.lurah.token, world.area["C1"], "forbidden"),  # below C1, not above
        (world.other.token, world.area["L1"], "forbidden"),
        (world.lurah.token, world.area["L1"], "subscribed"),
        (world.camat.token, world.area["L2"], "subscribed"),  # below the camat's kecamatan
        (world.admin.token, world.area["K"], "subscribed"),
    ]
    for token, area, outcome in cases:
        ws = await WsClient.authed(ws_url(runtime), token)
        try:
            reply = await ws.ask("s", area=area)
            assert (reply.get("code") if reply["type"] == "error" else reply["type"]) == outcome, (
                area,
                reply,
            )
        finally:
            await ws.close()
    anonymous = await WsClient.open(ws_url(runtime))
    try:
        reply = await anonymous.ask("s", area=world.area["L1"])
        assert reply["type"] == "error" and reply["code"] == "forbidden"
    finally:
        await anonymous.close()
