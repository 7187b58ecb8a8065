"""Escalation with a controllable clock (no sleeping): overdue reports go up the area tree at 1x and 2x their
SLA, each threshold once, as timeline steps and `post.escalated` outbox events for the parent chain."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from db import events as events_db
from db import status as status_db
from feed.officials import escalation, sla
from tests.conftest import MakeUser
from tests.officials_helpers import (
    IN_HOLE,
    IN_L1,
    Clock,
    World,
    change,
    post_at,
    resolve,
)
from tests.posts.test_posts import view_of
from warga.runtime import Runtime


async def escalated_events(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.pool.acquire() as conn:
        rows = await events_db.after(conn, 0, 10_000)
    return [
        {
            "post": r["post_id"],
            "area_ids": list(r["area_ids"]),
            "lat": r["lat"],
            **view_of(r["payload"], "staff")["escalation"],
        }
        for r in rows
        if r["type"] == "post.escalated"
    ]


def test_sla_config_parses_and_refuses_nonsense() -> None:
    policy = sla.parse("flood=2h/24h, crime=30m/2d,default=1d/7d")
    assert policy["flood"].ack.total_seconds() == 7200 and policy["flood"].resolve.total_seconds() == 86400
    assert policy["crime"].ack.total_seconds() == 1800 and policy["crime"].resolve.total_seconds() == 172800
    assert sla.for_category("flood=2h/24h", "garbage") == sla.Sla(*sla.DEFAULT)
    for bad in ("flood", "flood=2h", "flood=2x/3h", "flood=0h/1h", "flood=5h/1h", "=1h/2h"):
        with pytest.raises(ValueError):
            sla.parse(bad)


async def test_unacknowledged_report_climbs_the_tree(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    assert runtime.settings.sla.startswith("flood=2h/24h")
    post = await post_at(client, world.citizen, IN_L1, "flood")
    clock.advance(hours=1, minutes=59)
    assert await escalation.sweep(runtime) == 0
    clock.advance(minutes=1)  # exactly 1x the 2 h acknowledge SLA: to the kecamatan
    assert await escalation.sweep(runtime) == 1
    assert await escalation.sweep(runtime) == 0  # each threshold once
    clock.advance(hours=1, minutes=59)
    assert await escalation.sweep(runtime) == 0
    clock.advance(minutes=1)  # 2x: to the kota
    assert await escalation.sweep(runtime) == 1
    clock.advance(hours=30)  # no level above the kota
    assert await escalation.sweep(runtime) == 0
    a = world.area
    events = await escalated_events(runtime)
    assert [(e["level"], e["clock"], e["area_id"], e["area_ids"]) for e in events] == [
        (1, "ack", a["C1"], [a["C1"], a["K"]]),
        (2, "ack", a["K"], [a["K"]]),
    ]
    assert all(
        e["post"] == post["id"] and e["lat"] is None for e in events
    )  # not pushed to the nearby public
    assert [e["overdue_s"] for e in events] == [0, 7200]
    steps = (await client.get(f"/api/posts/{post['id']}/timeline")).json()["items"]
    assert [(s["kind"], s["to_area"]) for s in steps[1:]] == [("escalated", a["C1"]), ("escalated", a["K"])]


async def test_after_acknowledging_the_resolve_clock_escalates(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    post = await post_at(client, world.citizen, IN_L1, "flood")
    clock.advance(hours=1)
    assert (await change(client, world.lurah, post["id"], "acknowledged")).status_code == 200
    clock.advance(hours=5)  # past 2x the acknowledge SLA, but it was acknowledged: nothing
    assert await escalation.sweep(runtime) == 0
    clock.advance(hours=18)  # 24 h after the start: 1x the resolve SLA
    assert await escalation.sweep(runtime) == 1
    clock.advance(hours=48)  # 72 h: 3x, but only two levels exist above L1; level 2 fires once
    assert await escalation.sweep(runtime) == 1
    events = await escalated_events(runtime)
    assert [(e["level"], e["clock"], e["area_id"]) for e in events] == [
        (1, "resolve", world.area["C1"]),
        (2, "resolve", world.area["K"]),
    ]


async def test_closed_reports_and_enclaves(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    done = await post_at(client, world.citizen, IN_L1, "flood")
    enclave = await post_at(client, world.citizen, IN_HOLE, "flood")  # owned by kecamatan C1 itself
    assert enclave["area_id"] == world.area["C1"]
    assert (await resolve(client, world.lurah, done["id"], gps=IN_L1)).status_code == 200
    clock.advance(days=30)
    assert await escalation.sweep(runtime) == 1  # the enclave's one level: C1 -> K
    events = await escalated_events(runtime)
    assert [(e["post"], e["level"], e["area_id"]) for e in events] == [(enclave["id"], 1, world.area["K"])]


async def test_concurrent_sweeps_fire_each_threshold_once(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    posts = [await post_at(client, world.citizen, IN_L1, "garbage") for _ in range(5)]  # default 24h/168h
    clock.advance(hours=48)
    fired = await asyncio.gather(*(escalation.sweep(runtime) for _ in range(4)))
    fired_later = await escalation.sweep(runtime)
    assert sum(fired) + fired_later == 10
    events = await escalated_events(runtime)
    assert sorted((e["post"], e["level"]) for e in events) == sorted(
        (p["id"], k) for p in posts for k in (1, 2)
    )


async def test_the_sweeper_runs_in_the_relay_process(runtime: Runtime) -> None:
    assert runtime.parts.relay and runtime.sweeper is not None


async def test_hidden_reports_wait_and_fully_escalated_clocks_rest(
    runtime: Runtime, client: httpx.AsyncClient, world: World, clock: Clock, make_user: MakeUser
) -> None:
    mod = await make_user("moderator")
    post = await post_at(client, world.citizen, IN_L1, "flood")
    r = await client.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam"}, headers=mod.headers)
    assert r.status_code == 200
    clock.advance(hours=3)
    assert await escalation.sweep(runtime) == 0  # hidden: nobody is chased about it
    assert (await client.post(f"/api/posts/{post['id']}/unhide", headers=mod.headers)).status_code == 200
    assert await escalation.sweep(runtime) == 0  # looked at again an hour after it was found hidden
    clock.advance(hours=2)  # +5 h: both thresholds (2 h, 4 h) have passed: both fire now
    assert await escalation.sweep(runtime) == 2
    async with runtime.pool.acquire() as conn:
        clocks = await status_db.assignments(conn, post["id"])
    assert clocks[0]["ended_at"] is None  # still running, but nothing left to escalate until acknowledged
    clock.advance(days=10)
    assert await escalation.sweep(runtime) == 0
    assert (await change(client, world.lurah, post["id"], "acknowledged")).status_code == 200
    clock.advance(days=10)  # past 2x the 24 h resolve SLA: the resolve clock climbs
    assert await escalation.sweep(runtime) == 2
