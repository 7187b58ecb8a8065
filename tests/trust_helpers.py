"""Helpers for the trust-and-safety tests: posting over HTTP, ageing an account, live sockets, and a way to
prove an event did NOT arrive without waiting for a timeout (a sentinel event that must come first)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from feed.core.ratelimit import Limits, MemoryStore, parse_rules
from tests.conftest import Account
from tests.realtime_client import WsClient, ws_url
from warga.runtime import Runtime

JAKARTA = (-6.2088, 106.8456)


async def post(
    client: httpx.AsyncClient,
    who: Account,
    at: tuple[float, float] = JAKARTA,
    category: str = "flood",
    text: str = "Banjir di jalan",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"text": text, "category": category, "lat": at[0], "lon": at[1]}
    return await client.post("/api/posts", json=body, headers={**who.headers, **(headers or {})})


async def new_post(client: httpx.AsyncClient, who: Account, **kwargs: Any) -> dict[str, Any]:
    r = await post(client, who, **kwargs)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def age(runtime: Runtime, who: Account, days: float) -> None:
    """Make an account `days` old (flag weights and new-account rules look at the age)."""
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET created_at = now() - make_interval(secs => $2) WHERE id = $1",
            who.id,
            days * 86400,
        )


async def authed(runtime: Runtime, who: Account | None) -> WsClient:
    """A socket on this runtime signed in as `who` (WsClient.authed takes the token)."""
    return await WsClient.authed(ws_url(runtime), who.token if who is not None else None)


async def subscribe(ws: WsClient, sub: str, **target: Any) -> dict[str, Any]:
    return await ws.ask(sub, **target)


def near(at: tuple[float, float] = JAKARTA, radius_m: float = 2000) -> dict[str, Any]:
    return {"near": {"lat": at[0], "lon": at[1], "radius_m": radius_m}}


async def events_until(ws: WsClient, predicate: Any) -> list[dict[str, Any]]:
    """Every event received up to and including the first one `predicate` accepts."""
    got = []
    while True:
        message = await ws.recv()
        if message["type"] != "event":
            continue
        got.append(message)
        if predicate(message):
            return got


async def until_post(ws: WsClient, post_id: int) -> list[dict[str, Any]]:
    """Events up to the first one about this post: with a sentinel post made AFTER the action under test,
    everything the socket got for that action is in the list (events arrive in commit order)."""
    return await events_until(ws, lambda m: m.get("post", {}).get("id") == post_id)


@asynccontextmanager
async def limits(runtime: Runtime, spec: str) -> AsyncIterator[Limits]:
    """Rate limits on (in memory) for the duration; the test settings have them off."""
    saved = runtime._limits
    runtime._limits = Limits(parse_rules(spec), MemoryStore())
    try:
        yield runtime._limits
    finally:
        runtime._limits = saved


@asynccontextmanager
async def settings(runtime: Runtime, **changes: Any) -> AsyncIterator[None]:
    saved = runtime.settings
    runtime.settings = saved.with_(**changes)
    try:
        yield
    finally:
        runtime.settings = saved
