"""Live fan-out over websockets, against a real gateway, relay and broker (memory and Redis)."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from db import events as events_db
from feed.app import build_app
from tests.realtime_client import MONAS, WsClient, emit, fake_post
from tests.realtime_fixtures import broker_kind, new_user, rt, start_runtime, ws_url  # noqa: F401
from warga.geo import distance_m
from warga.runtime import Runtime

FAR = (-6.9, 107.6)  # Bandung: far from everything the tests post in Jakarta


async def sentinel(runtime: Runtime) -> int:
    """An event only the sentinel subscription hears; per-socket order makes it a 'done' marker."""
    return await emit(runtime.pool, "post.created", fake_post(*FAR, category="other"))


async def test_nearby_post_reaches_nearby_subscriber_only(rt: Runtime) -> None:
    near = await WsClient.open(ws_url(rt))
    far = await WsClient.open(ws_url(rt))
    await near.subscribe("s1", *MONAS, 1000)
    await far.subscribe("s1", MONAS[0] + 0.05, MONAS[1], 1000)  # ~5.5 km away
    for c in (near, far):
        await c.subscribe("done", *FAR, 100)
    post = fake_post(MONAS[0] + 0.001, MONAS[1])
    seq = await emit(rt.pool, "post.created", post)
    end = await sentinel(rt)
    got = await near.events_until("done", end)
    assert [(m["sub"], m["seq"], m["event"]) for m in got] == [("s1", seq, "post.created"), ("done", end, "post.created")]
    assert got[0]["post"] == post and got[0]["type"] == "event"
    assert [m["sub"] for m in await far.events_until("done", end)] == ["done"]
    await near.close()
    await far.close()


async def test_vote_changed_is_pushed_as_post_updated(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500)
    post = fake_post(*MONAS)
    await emit(rt.pool, "post.created", post)
    seq = await emit(rt.pool, "vote.changed", {**post, "votes": 1})
    got = await c.events_until("s", seq)
    assert got[-1]["event"] == "post.updated" and got[-1]["cause"] == "vote.changed"
    assert got[-1]["post"]["votes"] == 1
    await c.close()
