"""City agencies: the list and its admin API, agency officials (admin API and CLI), forwarding a report to an
agency and back with a clock per hand-off, who may act meanwhile, the inbox, the agency league with
hand-computed figures, live agency subscriptions, and Open311's agency_responsible."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from db import events as events_db
from feed.officials import escalation
from tests.conftest import Account, MakeUser
from tests.officials_helpers import (
    IN_L1,
    IN_L3,
    OUTSIDE,
    Clock,
    World,
    change,
    make_world,
    post_at,
)
from tests.officials_helpers import resolve as resolve_post
from tests.realtime_client import WsClient, ws_url
from warga.runtime import Runtime

AGENCIES = [
    {"code": "DSDA", "name": "Dinas Sumber Daya Air", "categories": ["flood", "drainage"]},
    {"code": "DLH", "name": "Dinas Lingkungan Hidup", "categories": ["garbage"]},
    {"code": "DISHUB", "name": "Dinas Perhubungan"},
]


@dataclass
class City:
    world: World
    dsda: Account  # official of DSDA
    dlh: Account  # official of DLH

    @property
    def admin(self) -> Account:
        return self.world.admin


@pytest.fixture
async def city(runtime: Runtime, client: httpx.AsyncClient, make_user: MakeUser, clock: Clock) -> City:
    world = await make_world(runtime, make_user)
    for body in AGENCIES:
        r = await client.post("/api/admin/agencies", json=body, headers=world.admin.headers)
        assert r.status_code == 201, r.text
    dsda, dlh = await make_user(), await make_user()
    for who, code in ((dsda, "DSDA"), (dlh, "DLH")):
        body = {"handle": who.handle, "agency": code}
        r = await client.post("/api/admin/officials", json=body, headers=world.admin.headers)
        assert r.status_code == 201, r.text
        who.role = "official"
    return City(world, dsda, dlh)


async def timeline(client: httpx.AsyncClient, post_id: int) -> dict[str, Any]:
    r = await client.get(f"/api/posts/{post_id}/timeline")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def inbox_ids(client: httpx.AsyncClient, who: Account) -> list[int]:
    r = await client.get("/api/officials/inbox", headers=who.headers)
    assert r.status_code == 200, r.text
    return [item["post"]["id"] for item in r.json()["items"]]


# --- The list and its admin API ---------------------------------------------------------------------------
async def test_agencies_are_listed_and_kept_by_admins(client: httpx.AsyncClient, city: City) -> None:
    r = await client.get("/api/agencies")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(a["code"], a["officials"]) for a in items] == [("DISHUB", 0), ("DLH", 1), ("DSDA", 1)]
    assert items[2]["name"] == "Dinas Sumber Daya Air" and items[2]["categories"] == ["drainage", "flood"]
    # The same code again updates it (200).
    body = {"code": "DISHUB", "name": "Dinas Perhubungan DKI", "categories": ["traffic"]}
    r = await client.post("/api/admin/agencies", json=body, headers=city.admin.headers)
    assert r.status_code == 200 and r.json()["name"] == "Dinas Perhubungan DKI"
    assert r.json()["categories"] == ["traffic"]
    for bad, field in (
        ({"code": "-X", "name": "x"}, "code"),
        ({"code": "A B", "name": "x"}, "code"),
        ({"code": "X" * 33, "name": "x"}, "code"),
        ({"code": "X"}, "name"),
        ({"code": "X", "name": "x", "categories": ["lava"]}, "categories"),
        ({"code": "X", "name": "x", "categories": [["flood"]]}, "categories"),
        ({"code": "X", "name": "x", "categories": "flood"}, "categories"),
        ({"code": "X", "name": "x", "boss": "me"}, "boss"),
    ):
        r = await client.post("/api/admin/agencies", json=bad, headers=city.admin.headers)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (bad, r.text)
    r = await client.post("/api/admin/agencies", json=body, headers=city.dsda.headers)
    assert r.status_code == 403
    assert (await client.post("/api/admin/agencies", json=body)).status_code == 401


async def test_agency_officials_by_admin_api(
    client: httpx.AsyncClient, city: City, make_user: MakeUser
) -> None:
    newbie = await make_user()
    body = {"handle": newbie.handle, "agency": "dlh"}  # codes ignore case
    r = await client.post("/api/admin/officials", json=body, headers=city.admin.headers)
    assert r.status_code == 201 and r.json()["agency"]["code"] == "DLH" and r.json()["created"] is True
    r = await client.post("/api/admin/officials", json=body, headers=city.admin.headers)
    assert r.status_code == 200 and r.json()["created"] is False
    me = (await client.get("/api/me", headers=newbie.headers)).json()
    assert me["user"]["role"] == "official"
    for bad, field in (
        ({"handle": newbie.handle, "agency": "NOPE"}, "agency"),
        ({"handle": newbie.handle, "agency": "DLH", "area": "L1"}, "area"),
        ({"handle": newbie.handle}, "area"),
        ({"handle": newbie.handle, "agency": 7}, "agency"),
    ):
        r = await client.post("/api/admin/officials", json=bad, headers=city.admin.headers)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (bad, r.text)
    r = await client.request("DELETE", "/api/admin/officials", json=body, headers=city.admin.headers)
    assert r.status_code == 204
    r = await client.request("DELETE", "/api/admin/officials", json=body, headers=city.admin.headers)
    assert r.status_code == 404


# --- Forwarding to an agency and back ---------------------------------------------------------------------
async def test_forward_to_an_agency_and_back_with_a_clock_per_hand_off(
    client: httpx.AsyncClient, city: City, clock: Clock
) -> None:
    world = city.world
    post = await post_at(client, world.citizen, IN_L1)  # flood: SLA 2 h to acknowledge, 24 h to resolve
    pid = post["id"]
    clock.advance(minutes=30)
    r = await change(client, world.lurah, pid, "forwarded", to_agency="DSDA", note="saluran tersumbat")
    assert r.status_code == 200, r.text
    step = r.json()["step"]
    assert (step["from_area"], step["to_area"], step["from_agency"], step["to_agency"]) == (
        world.area["L1"],
        None,
        None,
        "DSDA",
    )
    assert r.json()["post"]["area_id"] == world.area["L1"]  # the report stays in its area
    # The agency owns it now: the lurah and the camat handed it over, another agency has no say.
    for who in (world.lurah, world.camat, city.dlh, world.other):
        assert (await change(client, who, pid, "acknowledged")).status_code == 403, who
    assert pid not in await inbox_ids(client, world.lurah)
    assert pid in await inbox_ids(client, city.dsda) and pid in await inbox_ids(client, world.admin)
    r = await client.get("/api/officials/inbox", headers=city.dsda.headers)
    assert r.json()["items"][0]["agency"] == "DSDA" and [a["code"] for a in r.json()["agencies"]] == ["DSDA"]
    assert pid not in await inbox_ids(client, city.dlh)
    # Forwarding to where it is already, or naming both targets, or nothing: 422.
    for fields, bad in (
        ({"to_agency": "DSDA"}, "to_agency"),
        ({"to_agency": "DLH", "to_area": "L2"}, "to_agency"),
        ({"to_agency": "NOPE"}, "to_agency"),
        ({}, "to_area"),
    ):
        r = await change(client, city.dsda, pid, "forwarded", **fields)
        assert r.status_code == 422 and bad in r.json()["error"]["fields"], (fields, r.text)
    r = await change(client, city.dsda, pid, "acknowledged", to_agency="DLH")
    assert r.status_code == 422 and "to_agency" in r.json()["error"]["fields"]
    clock.advance(minutes=45)
    assert (await change(client, city.dsda, pid, "acknowledged", note="tim meluncur")).status_code == 200
    clock.advance(minutes=60)
    # Back to an area (L3 here): the agency lets go, L3's clock starts.
    r = await change(client, city.dsda, pid, "forwarded", to_area="L3", note="bukan saluran kami")
    assert r.status_code == 200, r.text
    step = r.json()["step"]
    assert (step["from_agency"], step["to_area"], step["from_area"]) == ("DSDA", world.area["L3"], None)
    assert r.json()["post"]["area_id"] == world.area["L3"]
    assert (await change(client, city.dsda, pid, "acknowledged")).status_code == 403
    assert (await change(client, world.other, pid, "acknowledged")).status_code == 200
    body = await timeline(client, pid)
    clocks = [
        (c["area_id"], c["agency_id"] is not None, c["outcome"], c["time_to_acknowledge_s"])
        for c in body["clocks"]
    ]
    # L1: 30 min then forwarded (unanswered); DSDA: acknowledged 45 min after it got it, forwarded 60 min
    # later; L3: acknowledged at once.
    assert clocks == [
        (world.area["L1"], False, "forwarded", None),
        (None, True, "forwarded", 45 * 60.0),
        (world.area["L3"], False, None, 0.0),
    ]
    assert [(s["status"], s["to_agency"], s["from_agency"]) for s in body["items"][1:]] == [
        ("forwarded", "DSDA", None),
        ("acknowledged", None, None),
        ("forwarded", None, "DSDA"),
        ("acknowledged", None, None),
    ]


async def test_agency_resolves_and_a_reopen_comes_back_to_it(
    client: httpx.AsyncClient, runtime: Runtime, city: City, clock: Clock
) -> None:
    world = city.world
    pid = (await post_at(client, world.citizen, IN_L1))["id"]
    assert (await change(client, world.camat, pid, "forwarded", to_agency="DSDA")).status_code == 200
    clock.advance(hours=3)
    # Past DSDA's acknowledge deadline (2 h): an agency is outside the area tree, so it escalates once, to
    # the top of the report's area chain (K), told to K's subscribers and the agency's.
    assert await escalation.sweep(runtime) == 1
    step = (await timeline(client, pid))["items"][-1]
    assert (step["kind"], step["detail"]["level"], step["to_area"]) == ("escalated", 1, world.area["K"])
    async with runtime.pool.acquire() as conn:
        event = await conn.fetchrow("SELECT area_ids, lat FROM events ORDER BY id DESC LIMIT 1")
        dsda_id = await conn.fetchval("SELECT id FROM agencies WHERE code = 'DSDA'")
    assert (list(event["area_ids"]), event["lat"]) == ([world.area["K"], -dsda_id], None)
    clock.advance(hours=2)  # 2 x SLA: nothing above the top
    assert await escalation.sweep(runtime) == 0
    r = await resolve_post(client, city.dsda, pid, gps=IN_L1)
    assert r.status_code == 200, r.text
    clock.advance(days=1)
    r = await client.post(
        f"/api/posts/{pid}/reopen", json={"reason": "masih banjir"}, headers=world.citizen.headers
    )
    assert r.status_code == 200, r.text
    # The new clock is the agency's again, and its officials act on it.
    clocks = (await timeline(client, pid))["clocks"]
    assert [(c["agency_id"] is not None, c["outcome"], c["reopened_at"] is not None) for c in clocks] == [
        (False, "forwarded", False),
        (True, "resolved", True),
        (True, None, False),
    ]
    assert clocks[1]["time_to_resolve_s"] == 5 * 3600.0
    assert (await change(client, world.lurah, pid, "acknowledged")).status_code == 403
    assert (await change(client, city.dsda, pid, "acknowledged")).status_code == 200
    # Open311 names the agency that owns the report as responsible.
    r = await client.get(f"/open311/v2/requests/{pid}.json")
    assert r.status_code == 200 and r.json()[0]["agency_responsible"] == "Dinas Sumber Daya Air"
    other = (await post_at(client, world.citizen, IN_L1))["id"]
    r = await client.get(f"/open311/v2/requests/{other}.json")
    assert r.json()[0]["agency_responsible"] == "L1"


async def test_an_admin_dispatches_an_unrouted_report_to_an_agency(
    client: httpx.AsyncClient, runtime: Runtime, city: City, clock: Clock
) -> None:
    pid = (await post_at(client, city.world.citizen, OUTSIDE))["id"]
    assert (await change(client, city.dsda, pid, "forwarded", to_agency="DSDA")).status_code == 403
    r = await change(client, city.admin, pid, "forwarded", to_agency="DSDA")
    assert r.status_code == 200, r.text
    assert r.json()["post"]["area_id"] is None
    # It left the admins' fallback queue for the agency's inbox.
    r = await client.get("/api/admin/unrouted", headers=city.admin.headers)
    assert pid not in [p["id"] for p in r.json()["items"]]
    assert pid in await inbox_ids(client, city.dsda)
    clock.advance(hours=5)
    assert await escalation.sweep(runtime) == 0  # outside every area: nobody above the agency to tell
    assert (await change(client, city.dsda, pid, "acknowledged")).status_code == 200


# --- The agency league ---------------------------------------------------------------------------------
async def test_agency_league_figures_by_hand(client: httpx.AsyncClient, city: City, clock: Clock) -> None:
    world = city.world
    p1, p2, p3 = [(await post_at(client, world.citizen, IN_L1))["id"] for _ in range(3)]
    for pid, code in ((p1, "DSDA"), (p2, "DSDA"), (p3, "DLH")):
        assert (await change(client, world.lurah, pid, "forwarded", to_agency=code)).status_code == 200
    clock.advance(minutes=30)
    assert (await change(client, city.dsda, p1, "rejected", reason="bukan banjir")).status_code == 200
    clock.advance(minutes=60)
    assert (await change(client, city.dsda, p2, "acknowledged")).status_code == 200
    clock.advance(minutes=90)  # now = forward + 3 h: p3 (DLH) is past its 2 h acknowledge deadline
    r = await client.get("/api/league", params={"level": "agency", "period": "1d"})
    assert r.status_code == 200, r.text
    rows = {row["code"]: row for row in r.json()["items"]}
    assert [row["code"] for row in r.json()["items"]] == ["DSDA", "DLH", "DISHUB"]
    dsda, dlh, dishub = rows["DSDA"], rows["DLH"], rows["DISHUB"]
    # DSDA: acknowledged after 1800 s (p1, rejected) and 5400 s (p2). Median 3600; p90 = 1800 + 0.9 x 3600.
    # Decided: p1 only (closed in time; p2 runs within its deadlines) -> 1 of 1 within SLA.
    assert (dsda["reports"], dsda["clocks"], dsda["officials"], dsda["decided"], dsda["within_sla"]) == (
        2,
        2,
        1,
        1,
        1,
    )
    assert dsda["ack_median_s"] == pytest.approx(3600) and dsda["ack_p90_s"] == pytest.approx(5040)
    assert dsda["resolve_median_s"] is None and dsda["reopen_rate"] is None
    # DLH: p3 never acknowledged, past the deadline: decided, late.
    assert (dlh["reports"], dlh["decided"], dlh["within_sla"], dlh["within_sla_share"]) == (1, 1, 0, 0.0)
    # Workload: reports per official 2 and 1, median 1.5 -> factors 4/3 and 2/3.
    assert dsda["workload_factor"] == pytest.approx(4 / 3) and dlh["workload_factor"] == pytest.approx(2 / 3)
    assert dsda["score"] == pytest.approx(100 * (4 / 3) ** 0.25) and dlh["score"] == 0
    assert (dsda["rank"], dlh["rank"], dishub["rank"], dishub["reports"]) == (1, 2, None, 0)
    assert dsda["level"] == "agency" and dsda["population"] is None and "area_id" not in dsda
    # The kelurahan's league counts its own three clocks (each ended by the forward), not the agencies'.
    l1 = next(
        row
        for row in (await client.get("/api/league", params={"level": "kelurahan", "period": "1d"})).json()[
            "items"
        ]
        if row["code"] == "L1"
    )
    assert (l1["reports"], l1["clocks"]) == (3, 3)
    # One agency's row, with its place; CSV on request; unknown agency 404; bad period 422.
    r = await client.get("/api/agencies/DSDA/stats", params={"period": "1d"})
    assert r.status_code == 200 and r.json()["rank"] == 1 and r.json()["reports"] == 2
    r = await client.get("/api/agencies/dlh/stats", params={"period": "1d"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    header, row = r.text.strip().split("\r\n")
    assert header.startswith("rank,agency_id,name,code,level") and row.startswith("2,")
    r = await client.get("/api/league", params={"level": "agency"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and len(r.text.strip().split("\r\n")) == 4
    assert (await client.get("/api/agencies/NOPE/stats")).status_code == 404
    assert (await client.get("/api/agencies/DSDA/stats", params={"period": "9y"})).status_code == 422
    assert (await client.get("/api/league", params={"level": "dinas"})).status_code == 422


# --- Live -----------------------------------------------------------------------------------------------
@pytest.mark.events
async def test_only_agency_officials_and_admins_subscribe_to_an_agency(runtime: Runtime, city: City) -> None:
    world = city.world
    cases = [
        (city.dsda.token, "DSDA", "subscribed"),
        (city.dsda.token, "dsda", "subscribed"),
        (world.admin.token, "DLH", "subscribed"),
        (city.dlh.token, "DSDA", "forbidden"),
        (world.lurah.token, "DSDA", "forbidden"),
        (world.citizen.token, "DSDA", "forbidden"),
        (world.admin.token, "NOPE", "invalid"),
    ]
    for token, code, outcome in cases:
        ws = await WsClient.authed(ws_url(runtime), token)
        try:
            reply = await ws.ask("a", agency=code)
            assert (reply.get("code") if reply["type"] == "error" else reply["type"]) == outcome, (
                code,
                reply,
            )
        finally:
            await ws.close()
    anonymous = await WsClient.open(ws_url(runtime))
    try:
        for target in ({"agency": "DSDA"}, {"agency": 5}, {"agency": ""}, {"agency": "DSDA", "area": 1}):
            reply = await anonymous.ask("a", **target)
            assert reply["type"] == "error" and reply["code"] in ("forbidden", "invalid"), (target, reply)
    finally:
        await anonymous.close()


@pytest.mark.events
async def test_agency_subscribers_hear_their_reports_live(
    runtime: Runtime, client: httpx.AsyncClient, city: City, clock: Clock
) -> None:
    world = city.world
    pid = (await post_at(client, world.citizen, IN_L1))["id"]
    async with runtime.pool.acquire() as conn:
        before = await events_db.latest_seq(conn)
    dsda = await WsClient.authed(ws_url(runtime), city.dsda.token)
    dlh = await WsClient.authed(ws_url(runtime), city.dlh.token)
    lurah = await WsClient.authed(ws_url(runtime), world.lurah.token)
    try:
        assert (await dsda.ask("d", agency="DSDA"))["type"] == "subscribed"
        assert (await dlh.ask("x", agency="DLH"))["type"] == "subscribed"
        assert (await lurah.ask("l", area=world.area["L1"]))["type"] == "subscribed"
        assert (await change(client, world.lurah, pid, "forwarded", to_agency="DSDA")).status_code == 200
        got = await dsda.next_event()
        assert (got["sub"], got["event"], got["step"]["to_agency"]) == ("d", "post.updated", "DSDA")
        got = await lurah.next_event()  # the old owner sees it leave
        assert got["step"]["to_agency"] == "DSDA"
        # The agency's steps reach it and the report's area (which keeps watching).
        assert (await change(client, city.dsda, pid, "acknowledged", note="otw")).status_code == 200
        for ws in (dsda, lurah):
            got = await ws.next_event()
            assert (got["post"]["id"], got["step"]["status"]) == (pid, "acknowledged")
        # Back to an area: the agency hears it leave.
        assert (await change(client, city.dsda, pid, "forwarded", to_area="L3")).status_code == 200
        got = await dsda.next_event()
        assert (got["step"]["from_agency"], got["post"]["area_id"]) == ("DSDA", world.area["L3"])
        # A DLH report shows up at DLH only: DSDA's next event is its own again.
        other = (await post_at(client, world.citizen, IN_L3))["id"]
        assert (await change(client, world.other, other, "forwarded", to_agency="DLH")).status_code == 200
        assert (await dlh.next_event())["post"]["id"] == other
        third = (await post_at(client, world.citizen, IN_L3))["id"]
        assert (await change(client, world.other, third, "forwarded", to_agency="DSDA")).status_code == 200
        assert (await dsda.next_event())["post"]["id"] == third
        # A resuming subscriber replays the agency's events since a sequence number.
        late = await WsClient.authed(ws_url(runtime), city.dsda.token)
        try:
            await late.send({"type": "subscribe", "id": "r", "agency": "DSDA", "since": before})
            assert (await late.recv())["type"] == "subscribed"
            replayed = [await late.next_event() for _ in range(4)]
            assert [(e["post"]["id"], e["step"]["status"]) for e in replayed] == [
                (pid, "forwarded"),
                (pid, "acknowledged"),
                (pid, "forwarded"),
                (third, "forwarded"),
            ]
        finally:
            await late.close()
    finally:
        for ws in (dsda, dlh, lurah):
            await ws.close()


# --- Removing an assignment ------------------------------------------------------------------------------
@pytest.mark.events
async def test_removing_an_assignment_ends_its_live_subscriptions_and_inbox(
    runtime: Runtime, client: httpx.AsyncClient, city: City
) -> None:
    world = city.world
    pid = (await post_at(client, world.citizen, IN_L1))["id"]
    lurah = await WsClient.authed(ws_url(runtime), world.lurah.token)
    dsda = await WsClient.authed(ws_url(runtime), city.dsda.token)
    try:
        await lurah.subscribe("n", IN_L1[0], IN_L1[1], 500)  # a public subscription, which stays
        assert (await lurah.ask("l", area=world.area["L1"]))["type"] == "subscribed"
        assert (await dsda.ask("d", agency="DSDA"))["type"] == "subscribed"
        assert pid in await inbox_ids(client, world.lurah)
        body = {"handle": world.lurah.handle, "area": "L1"}
        r = await client.request("DELETE", "/api/admin/officials", json=body, headers=world.admin.headers)
        assert r.status_code == 204
        # Pushed through the control channel at once (not at the 30 s periodic re-check).
        message = await lurah.recv()
        assert (message["type"], message["code"], message["id"]) == ("error", "forbidden", "l")
        assert await inbox_ids(client, world.lurah) == []
        assert (await lurah.ask("l2", area=world.area["L1"]))["code"] == "forbidden"
        # The socket and its public subscription live on.
        second = (await post_at(client, world.citizen, IN_L1))["id"]
        got = await lurah.next_event()
        assert (got["sub"], got["post"]["id"]) == ("n", second)
        body = {"handle": city.dsda.handle, "agency": "DSDA"}
        r = await client.request("DELETE", "/api/admin/officials", json=body, headers=world.admin.headers)
        assert r.status_code == 204
        message = await dsda.recv()
        assert (message["type"], message["code"], message["id"]) == ("error", "forbidden", "d")
    finally:
        await lurah.close()
        await dsda.close()


async def test_cli_assigns_and_removes_agency_officials_live_through_redis(
    pg_admin_url: str, redis_url: str, tmp_path: Any
) -> None:
    """The CLI is another process: its removal reaches the serving process's gateway through Redis."""
    from feed.officials import boundaries
    from tests.officials_helpers import AREAS
    from tests.realtime_client import new_user, started_runtime

    async with started_runtime(pg_admin_url, redis_url, tmp_path) as rt:
        async with rt.pool.acquire() as conn:
            await boundaries.import_areas(conn, AREAS)
        user_id, token = await new_user(rt, "petugas1")
        assert user_id > 0
        env = {**os.environ, "REDIS_URL": redis_url, "WARGA_DATA_DIR": str(tmp_path)}
        env["DATABASE_URL"] = rt.settings.database_url.reveal() if rt.settings.database_url else ""
        cmd = [sys.executable, "-c", "import sys; from warga.cli import main; main(sys.argv[1:])"]

        async def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return await asyncio.to_thread(
                subprocess.run, [*cmd, *args], env=env, capture_output=True, text=True, timeout=120
            )

        done = await cli("agency", "add", "DSDA", "Dinas Sumber Daya Air", "--categories", "flood,drainage")
        assert done.returncode == 0 and "agency DSDA (Dinas Sumber Daya Air) added" in done.stdout, (
            done.stderr
        )
        bad = await cli("agency", "add", "DLH", "Dinas Lingkungan Hidup", "--categories", "lava")
        assert bad.returncode != 0 and "categories" in bad.stderr
        done = await cli("official", "assign", "petugas1", "--agency", "DSDA")
        assert done.returncode == 0 and "is now an official of agency Dinas Sumber Daya Air" in done.stdout
        both = await cli("official", "assign", "petugas1", "L1", "--agency", "DSDA")
        assert both.returncode != 0 and "one of them" in both.stderr
        unknown = await cli("official", "assign", "petugas1", "--agency", "NOPE")
        assert unknown.returncode != 0 and "no such agency" in unknown.stderr
        # petugas1 became an official: a token issued before that is the one we use, after the CLI's change.
        ws = await WsClient.open(ws_url(rt))
        try:
            await ws.send({"type": "auth", "token": token})
            assert (await ws.recv())["type"] == "authed"
            assert (await ws.ask("d", agency="DSDA"))["type"] == "subscribed"
            done = await cli("official", "remove", "petugas1", "--agency", "DSDA")
            assert done.returncode == 0 and "no longer an official of DSDA" in done.stdout, done.stderr
            message = await ws.recv()
            assert (message["type"], message["code"], message["id"]) == ("error", "forbidden", "d")
        finally:
            await ws.close()
        again = await cli("official", "remove", "petugas1", "--agency", "DSDA")
        assert again.returncode != 0 and "not an official there" in again.stderr


# --- An agency owns the report fully: exact place, merging, every live change ---------------------------
@pytest.mark.events
async def test_an_owning_agency_locates_merges_and_hears_the_report(
    runtime: Runtime, client: httpx.AsyncClient, city: City
) -> None:
    world = city.world
    # A sensitive report: the public sees a fuzzed point; the agency it is forwarded to must find the place.
    body = {"text": "penjambretan di halte", "category": "crime", "lat": IN_L1[0], "lon": IN_L1[1]}
    r = await client.post("/api/posts", json=body, headers=world.citizen.headers)
    assert r.status_code == 201, r.text
    crime = r.json()["id"]
    r = await client.get(f"/api/posts/{crime}", headers=city.dsda.headers)
    assert "exact" not in r.json()  # not DSDA's report yet
    assert (await change(client, world.lurah, crime, "forwarded", to_agency="DSDA")).status_code == 200
    r = await client.get(f"/api/posts/{crime}", headers=city.dsda.headers)
    assert r.json()["exact"] == {"lat": IN_L1[0], "lon": IN_L1[1]}
    r = await client.get(f"/api/posts/{crime}", headers=city.dlh.headers)
    assert "exact" not in r.json()  # another agency: the public point only

    # Merging needs the right to act on both reports: while DSDA owns one, the lurah may not merge it.
    first_post = await post_at(client, world.citizen, IN_L1)
    first = first_post["id"]
    second = (await post_at(client, world.citizen, IN_L1))["id"]
    for pid in (first, second):
        assert (await change(client, world.lurah, pid, "forwarded", to_agency="DSDA")).status_code == 200
    r = await client.post(f"/api/posts/{second}/merge", json={"into": first}, headers=world.lurah.headers)
    assert r.status_code == 403, r.text
    r = await client.get(f"/api/posts/{second}/duplicates", headers=world.lurah.headers)
    assert r.status_code == 403
    r = await client.get(f"/api/posts/{second}/duplicates", headers=city.dsda.headers)
    assert r.status_code == 200 and first in [d["id"] for d in r.json()["items"]]

    # Votes and comments on DSDA's report reach DSDA's subscribers, not only status steps.
    dsda = await WsClient.authed(ws_url(runtime), city.dsda.token)
    try:
        assert (await dsda.ask("d", agency="DSDA"))["type"] == "subscribed"
        r = await client.put(f"/api/posts/{first}/vote", headers=world.other.headers)
        assert r.status_code in (200, 201), r.text
        got = await dsda.next_event()
        assert (got["sub"], got["post"]["id"]) == ("d", first)
        assert got["post"]["votes"] == first_post["votes"] + 1
        r = await client.post(f"/api/posts/{second}/merge", json={"into": first}, headers=city.dsda.headers)
        assert r.status_code == 200, r.text
        got = await dsda.next_event()
        assert (got["event"], got["merged"]["from"], got["merged"]["into"]) == ("post.merged", second, first)
    finally:
        await dsda.close()
