"""The status workflow over HTTP: who may change a report (authorization matrix), every legal and illegal
transition, the resolution's proof (near, far, missing, device position), forwarding, reopening, and the
timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from db import status as status_db
from feed.officials.status import NEXT, SETTABLE
from tests.conftest import Account, MakeUser
from tests.officials_helpers import (
    IN_L1,
    IN_L2,
    IN_L3,
    OUTSIDE,
    START,
    Clock,
    World,
    away,
    change,
    post_at,
    resolve,
)
from warga.runtime import Runtime


def error_code(r: httpx.Response) -> str:
    code: str = r.json()["error"]["code"]
    return code


async def move_to(client: httpx.AsyncClient, w: World, post_id: int, status: str) -> None:
    """Bring an open report in L1 to `status` by the shortest legal path (as the lurah)."""
    if status == "open":
        return
    if status == "resolved":
        r = await resolve(client, w.lurah, post_id, gps=IN_L1)
    elif status == "rejected":
        r = await change(client, w.lurah, post_id, "rejected", reason="bukan wewenang kami")
    elif status == "forwarded":
        r = await change(client, w.lurah, post_id, "forwarded", to_area="L2")
    elif status == "reopened":
        await move_to(client, w, post_id, "rejected")
        r = await client.post(
            f"/api/posts/{post_id}/reopen", json={"reason": "masih"}, headers=w.citizen.headers
        )
    else:
        if status == "in_progress":
            await move_to(client, w, post_id, "acknowledged")
        r = await change(client, w.lurah, post_id, status)
    assert r.status_code == 200, r.text


# --- Authorization -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "expected"),
    [("lurah", 200), ("camat", 200), ("admin", 200), ("other", 403), ("citizen", 403)],
)
async def test_who_may_change_a_report_in_L1(
    client: httpx.AsyncClient, world: World, actor: str, expected: int
) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    who: Account = getattr(world, actor)
    r = await change(client, who, post["id"], "acknowledged", note="kami cek")
    assert r.status_code == expected, r.text
    if expected == 403:
        assert error_code(r) == "forbidden"
        assert (await client.get(f"/api/posts/{post['id']}")).json()["status"] == "open"
    else:
        assert r.json()["post"]["status"] == "acknowledged"
        assert r.json()["step"]["actor"]["id"] == who.id


async def test_the_lurah_of_L1_may_not_touch_L2_but_the_camat_may(
    client: httpx.AsyncClient, world: World
) -> None:
    post = await post_at(client, world.citizen, IN_L2)
    assert (await change(client, world.lurah, post["id"], "acknowledged")).status_code == 403
    assert (await change(client, world.other, post["id"], "acknowledged")).status_code == 403
    assert (await change(client, world.camat, post["id"], "acknowledged")).status_code == 200


async def test_unrouted_reports_are_for_admins_only(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, OUTSIDE)
    assert post["area_id"] is None
    for who in (world.lurah, world.camat, world.citizen):
        assert (await change(client, who, post["id"], "acknowledged")).status_code == 403
    r = await change(client, world.admin, post["id"], "forwarded", to_area=world.area["L3"])
    assert r.status_code == 200, r.text
    assert r.json()["post"]["area_id"] == world.area["L3"]
    # Now L3's official owns it.
    assert (await change(client, world.other, post["id"], "acknowledged")).status_code == 200


async def test_anonymous_is_401_and_unknown_post_is_404(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await client.post(f"/api/posts/{post['id']}/status", json={"status": "acknowledged"})
    assert r.status_code == 401
    r = await change(client, world.lurah, 999_999_999, "acknowledged")
    assert r.status_code == 404 and error_code(r) == "not_found"


# --- Transitions ---------------------------------------------------------------------------------------
TRANSITIONS = [
    (start, target)
    for start in ("open", "acknowledged", "in_progress", "resolved", "rejected", "forwarded", "reopened")
    for target in SETTABLE
]


@pytest.mark.parametrize(("start", "target"), TRANSITIONS)
async def test_every_transition(client: httpx.AsyncClient, world: World, start: str, target: str) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    await move_to(client, world, post["id"], start)
    # After a forward to L2 the camat (official of both) acts; otherwise the lurah.
    actor = world.camat
    fields: dict[str, Any] = {}
    if target == "rejected":
        fields["reason"] = "duplikat"
    if target == "forwarded":
        fields["to_area"] = "L3"
    if target == "resolved":
        r = await resolve(client, actor, post["id"], gps=IN_L1)
    else:
        r = await change(client, actor, post["id"], target, **fields)
    if target in NEXT[start]:
        assert r.status_code == 200, r.text
        assert r.json()["post"]["status"] == target
        assert r.json()["step"]["from_status"] == start
    else:
        assert r.status_code == 409, r.text
        assert error_code(r) == "illegal_transition"
        assert (await client.get(f"/api/posts/{post['id']}")).json()["status"] == start


@pytest.mark.parametrize("status", ["banana", "open", "reopened", "RESOLVED"])
async def test_unknown_status_is_409(client: httpx.AsyncClient, world: World, status: str) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await change(client, world.lurah, post["id"], status)
    assert r.status_code == 409 and error_code(r) == "unknown_status"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "rejected"}, "reason"),
        ({"status": "forwarded"}, "to_area"),
        ({"status": "forwarded", "to_area": 999_999}, "to_area"),
        ({"status": "forwarded", "to_area": "L1"}, "to_area"),  # already there
        ({"status": "acknowledged", "to_area": "L2"}, "to_area"),
        ({"status": "acknowledged", "note": "x" * 2001}, "note"),
        ({"status": "acknowledged", "lat": 5}, "lon"),
        ({"status": "acknowledged", "surprise": 1}, "surprise"),
        ({}, "status"),
        ({"status": 7}, "status"),
    ],
)
async def test_bad_fields_are_422(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], field: str
) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await client.post(f"/api/posts/{post['id']}/status", json=body, headers=world.lurah.headers)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]


async def test_malformed_bodies(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    url = f"/api/posts/{post['id']}/status"
    r = await client.post(
        url, content=b"{nope", headers={**world.lurah.headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    r = await client.post(
        url, content=b"status=x", headers={**world.lurah.headers, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415


# --- Resolving needs proof ---------------------------------------------------------------------------
async def test_resolve_with_a_photo_taken_near_the_report(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await resolve(client, world.lurah, post["id"], gps=away(IN_L1, 150))
    assert r.status_code == 200, r.text
    step = r.json()["step"]
    assert step["status"] == "resolved" and step["note"] == "diperbaiki"
    assert step["photo"]["display_url"].startswith("/media/") and step["photo"]["thumb_url"]
    assert (await client.get(step["photo"]["display_url"])).status_code == 200


async def test_resolve_with_proof_5_km_away_is_422(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await resolve(client, world.lurah, post["id"], gps=away(IN_L1, 5000))
    assert r.status_code == 422 and "photo" in r.json()["error"]["fields"]
    r = await resolve(client, world.lurah, post["id"], gps=away(IN_L1, 250))  # just past the 200 m
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"photo": "taken 250 m from the report; must be within 200 m"}
    assert (await client.get(f"/api/posts/{post['id']}")).json()["status"] == "open"


async def test_resolve_without_proof_or_note_is_422(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await resolve(client, world.lurah, post["id"], gps=IN_L1, photo=False)
    assert r.status_code == 422 and "photo" in r.json()["error"]["fields"]
    r = await resolve(client, world.lurah, post["id"], gps=IN_L1, note=None)
    assert r.status_code == 422 and "note" in r.json()["error"]["fields"]


async def test_photo_without_gps_uses_the_device_position(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await resolve(client, world.lurah, post["id"], gps=None)
    assert r.status_code == 422  # no position at all
    assert r.json()["error"]["fields"] == {"photo": "has no GPS position; send the device's lat and lon"}
    r = await resolve(client, world.lurah, post["id"], gps=None, device=away(IN_L1, 3000))
    assert r.status_code == 422  # device far away
    assert r.json()["error"]["fields"] == {"photo": "taken 3000 m from the report; must be within 200 m"}
    r = await resolve(client, world.lurah, post["id"], gps=None, device=away(IN_L1, 50))
    assert r.status_code == 200, r.text


async def test_the_photo_gps_wins_over_the_device_position(client: httpx.AsyncClient, world: World) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    r = await resolve(client, world.lurah, post["id"], gps=away(IN_L1, 5000), device=IN_L1)
    assert r.status_code == 422  # measured from where the photo says, not where the device is
    assert r.json()["error"]["fields"] == {"photo": "taken 5000 m from the report; must be within 200 m"}


# --- Forwarding ------------------------------------------------------------------------------------------
async def test_forward_moves_the_report_and_its_clock(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    clock.advance(minutes=30)
    assert (await change(client, world.lurah, post["id"], "acknowledged")).status_code == 200
    clock.advance(minutes=30)
    r = await change(client, world.lurah, post["id"], "forwarded", to_area="L3", note="wilayah C2")
    assert r.status_code == 200, r.text
    assert r.json()["post"]["area_id"] == world.area["L3"]
    assert (
        r.json()["step"]["from_area"] == world.area["L1"] and r.json()["step"]["to_area"] == world.area["L3"]
    )
    # The old owner can no longer act; the new one can.
    assert (await change(client, world.lurah, post["id"], "in_progress")).status_code == 403
    clock.advance(minutes=15)
    assert (await change(client, world.other, post["id"], "acknowledged")).status_code == 200
    clocks = (await client.get(f"/api/posts/{post['id']}/timeline")).json()["clocks"]
    assert [c["area_id"] for c in clocks] == [world.area["L1"], world.area["L3"]]
    old, new = clocks
    assert old["outcome"] == "forwarded" and old["time_to_acknowledge_s"] == 1800
    assert old["ended_at"] == new["started_at"]
    assert new["outcome"] is None and new["time_to_acknowledge_s"] == 900


# --- Reopening -------------------------------------------------------------------------------------------
async def reopen(
    client: httpx.AsyncClient, who: Account, post_id: int, reason: str | None = "belum beres"
) -> httpx.Response:
    body = {} if reason is None else {"reason": reason}
    return await client.post(f"/api/posts/{post_id}/reopen", json=body, headers=who.headers)


async def test_reporter_and_voters_may_reopen_strangers_may_not(
    client: httpx.AsyncClient, world: World, make_user: MakeUser, clock: Clock
) -> None:
    voter, stranger = await make_user(), await make_user()
    post = await post_at(client, world.citizen, IN_L1)
    assert (await client.put(f"/api/posts/{post['id']}/vote", headers=voter.headers)).status_code == 200
    assert (await reopen(client, world.citizen, post["id"])).status_code == 409  # still open
    assert (await resolve(client, world.lurah, post["id"], gps=IN_L1)).status_code == 200
    clock.advance(days=1)
    r = await reopen(client, stranger, post["id"])
    assert r.status_code == 403
    r = await reopen(client, world.citizen, post["id"], reason=None)
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = await reopen(client, world.citizen, post["id"])
    assert r.status_code == 200, r.text
    assert r.json()["post"]["status"] == "reopened" and r.json()["step"]["reason"] == "belum beres"
    # The lurah works it again, rejects it; the voter reopens it.
    assert (
        await change(client, world.lurah, post["id"], "rejected", reason="bukan banjir")
    ).status_code == 200
    assert (await reopen(client, voter, post["id"])).status_code == 200
    clocks = (await client.get(f"/api/posts/{post['id']}/timeline")).json()["clocks"]
    assert [c["outcome"] for c in clocks] == ["resolved", "rejected", None]
    assert clocks[0]["reopened_at"] is not None and clocks[1]["reopened_at"] is not None


async def test_reopen_window_is_14_days(client: httpx.AsyncClient, world: World, clock: Clock) -> None:
    late, in_time = await post_at(client, world.citizen, IN_L1), await post_at(client, world.citizen, IN_L1)
    for post in (late, in_time):
        assert (await resolve(client, world.lurah, post["id"], gps=IN_L1)).status_code == 200
    clock.advance(days=14)
    assert (await reopen(client, world.citizen, in_time["id"])).status_code == 200
    clock.advance(seconds=1)
    r = await reopen(client, world.citizen, late["id"])
    assert r.status_code == 409 and error_code(r) == "reopen_window_closed"


# --- Timeline ----------------------------------------------------------------------------------------------
async def test_timeline_lists_every_step(client: httpx.AsyncClient, world: World, clock: Clock) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    clock.advance(minutes=5)
    await change(client, world.lurah, post["id"], "acknowledged", note="diterima")
    clock.advance(minutes=5)
    await change(client, world.camat, post["id"], "in_progress")
    clock.advance(minutes=5)
    assert (await resolve(client, world.lurah, post["id"], gps=IN_L1, note="sudah surut")).status_code == 200
    clock.advance(minutes=5)
    await reopen(client, world.citizen, post["id"], "banjir lagi")
    r = await client.get(f"/api/posts/{post['id']}/timeline")  # public: no token needed
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(s["kind"], s["status"]) for s in items] == [
        ("created", "open"),
        ("status", "acknowledged"),
        ("status", "in_progress"),
        ("status", "resolved"),
        ("reopened", "reopened"),
    ]
    assert [s["actor"]["id"] for s in items] == [
        world.citizen.id,
        world.lurah.id,
        world.camat.id,
        world.lurah.id,
        world.citizen.id,
    ]
    assert items[0]["to_area"] == world.area["L1"]
    assert items[1]["note"] == "diterima" and items[3]["note"] == "sudah surut"
    assert items[3]["photo"]["thumb_url"].startswith("/media/")
    assert items[4]["reason"] == "banjir lagi"
    assert items[1]["created_at"] == (START + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert (await client.get("/api/posts/999999999/timeline")).status_code == 404


async def test_hidden_reports_timeline_is_404_for_the_public(
    client: httpx.AsyncClient, world: World, make_user: MakeUser
) -> None:
    post = await post_at(client, world.citizen, IN_L3)
    mod = await make_user("moderator")
    r = await client.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam"}, headers=mod.headers)
    assert r.status_code == 200
    assert (await client.get(f"/api/posts/{post['id']}/timeline")).status_code == 404
    assert (await client.get(f"/api/posts/{post['id']}/timeline", headers=mod.headers)).status_code == 200


async def test_reopen_and_status_bad_input(
    client: httpx.AsyncClient, world: World, make_user: MakeUser
) -> None:
    post = await post_at(client, world.citizen, IN_L1)
    assert (await resolve(client, world.lurah, post["id"], gps=IN_L1)).status_code == 200
    url = f"/api/posts/{post['id']}/reopen"
    headers = {**world.citizen.headers, "Content-Type": "application/json"}
    assert (await client.post(url, content=b"[1]", headers=headers)).status_code == 400
    r = await client.post(url, json={"reason": "x", "extra": 1}, headers=world.citizen.headers)
    assert r.status_code == 422 and "extra" in r.json()["error"]["fields"]
    r = await client.post(url, json={"reason": "x" * 501}, headers=world.citizen.headers)
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    assert (await client.post(url, json={"reason": "x"})).status_code == 401
    assert (
        await client.post("/api/posts/0/reopen", json={"reason": "x"}, headers=headers)
    ).status_code == 404
    # A deleted report is gone for the workflow too.
    other = await post_at(client, world.citizen, IN_L1)
    assert (
        await client.delete(f"/api/posts/{other['id']}", headers=world.citizen.headers)
    ).status_code == 204
    assert (await change(client, world.lurah, other["id"], "acknowledged")).status_code == 404
    # Two proof photos are one too many.
    files = [("photo", ("a.jpg", b"x", "image/jpeg")), ("photo", ("b.jpg", b"y", "image/jpeg"))]
    r = await client.post(
        f"/api/posts/{other['id']}/status",
        data={"status": "resolved"},
        files=files,
        headers=world.lurah.headers,
    )
    assert r.status_code == 422 and "photo" in r.json()["error"]["fields"]


async def test_expected_resolution_follows_the_running_clock(
    client: httpx.AsyncClient, runtime: Runtime, world: World, clock: Clock
) -> None:
    garbage = await post_at(client, world.citizen, IN_L1, "garbage")  # default SLA: resolve within 168 h
    flood = await post_at(client, world.citizen, IN_L1, "flood")  # within 24 h
    async with runtime.pool.acquire() as conn:
        due = await status_db.resolve_due(conn, [garbage["id"], flood["id"]])
    assert due == {garbage["id"]: START + timedelta(hours=168), flood["id"]: START + timedelta(hours=24)}
    assert (await resolve(client, world.lurah, flood["id"], gps=IN_L1)).status_code == 200
    async with runtime.pool.acquire() as conn:
        assert await status_db.resolve_due(conn, [flood["id"]]) == {}
