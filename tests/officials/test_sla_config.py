"""The SLA configuration end to end (WARGA_SLA decides each new clock's deadlines and so when it escalates;
a change never rewrites running clocks), and the order of the workflow's refusals for unknown statuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from feed.officials import escalation
from tests.officials_helpers import IN_L1, IN_L3, Clock, World, change, post_at
from warga.runtime import Runtime


@pytest.fixture
def configured_sla(runtime: Runtime) -> Iterator[None]:
    saved = runtime.settings
    runtime.settings = saved.with_(sla="flood=10m/1h,garbage=30m/3h,default=2h/9h")
    try:
        yield
    finally:
        runtime.settings = saved


def due(client_clock: dict[str, str], name: str) -> timedelta:
    return datetime.fromisoformat(client_clock[name]) - datetime.fromisoformat(client_clock["started_at"])


async def first_clock(client: httpx.AsyncClient, post_id: int) -> dict[str, str]:
    r = await client.get(f"/api/posts/{post_id}/timeline")
    assert r.status_code == 200
    clock: dict[str, str] = r.json()["clocks"][-1]
    return clock


async def test_configured_sla_sets_each_categorys_deadlines_and_escalation(
    client: httpx.AsyncClient, runtime: Runtime, world: World, clock: Clock, configured_sla: None
) -> None:
    before = runtime.settings
    flood = (await post_at(client, world.citizen, IN_L1, "flood"))["id"]
    garbage = (await post_at(client, world.citizen, IN_L1, "garbage"))["id"]
    other = (await post_at(client, world.citizen, IN_L3, "street_light"))["id"]
    expected = {flood: (10, 60), garbage: (30, 180), other: (120, 540)}  # minutes: ack, resolve
    for post_id, (ack, resolve) in expected.items():
        c = await first_clock(client, post_id)
        assert (due(c, "ack_due_at"), due(c, "resolve_due_at")) == (
            timedelta(minutes=ack),
            timedelta(minutes=resolve),
        )
    # Back to the default configuration (flood 2 h / 24 h): the running clocks keep their deadlines.
    runtime.settings = before.with_(sla="flood=2h/24h,default=24h/168h")
    c = await first_clock(client, flood)
    assert due(c, "ack_due_at") == timedelta(minutes=10)
    # At 10 min the flood report (only) is past its configured acknowledge SLA: level 1, to C1.
    clock.advance(minutes=10)
    assert await escalation.sweep(runtime) == 1
    r = await client.get(f"/api/posts/{flood}/timeline")
    step = r.json()["items"][-1]
    assert (step["kind"], step["detail"]["level"], step["to_area"]) == ("escalated", 1, world.area["C1"])
    # At 30 min: flood's level 2 (2 x 10 min, to K) and garbage's level 1 (30 min, to C1).
    clock.advance(minutes=20)
    assert await escalation.sweep(runtime) == 2
    # At 119 min: garbage's level 2 (60 min); the street light's 2 h are not over yet.
    clock.advance(minutes=89)
    assert await escalation.sweep(runtime) == 1
    clock.advance(minutes=1)
    assert await escalation.sweep(runtime) == 1
    r = await client.get(f"/api/posts/{other}/timeline")
    step = r.json()["items"][-1]
    assert (step["kind"], step["detail"]["level"], step["to_area"]) == ("escalated", 1, world.area["C2"])


@pytest.mark.parametrize("status", ["banana", "RESOLVED"])
async def test_unknown_status_is_refused_after_who_and_which(
    client: httpx.AsyncClient, world: World, status: str
) -> None:
    """401 → 404 → 403 → 409: a citizen or another area's official is told 403, not about the workflow."""
    post = (await post_at(client, world.citizen, IN_L1))["id"]
    assert (await change(client, world.citizen, post, status)).status_code == 403
    assert (await change(client, world.other, post, status)).status_code == 403
    assert (await change(client, world.lurah, 999_999_999, status)).status_code == 404
    r = await change(client, world.lurah, post, status)
    assert r.status_code == 409 and r.json()["error"]["code"] == "unknown_status"
    r = await client.post(f"/api/posts/{post}/status", json={"status": status})
    assert r.status_code == 401
