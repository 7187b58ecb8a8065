"""Helpers for realtime tests: a small websocket client, and writing outbox events the way handlers do."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from db import events as events_db
from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.core.auth import hash_password
from kernel.settings import Secret, Settings
from tests import services
from warga.runtime import Parts, Runtime

# A guard against hangs, not a timing assertion: every awaited message normally arrives in milliseconds.
WAIT_S = 20.0
MONAS = (-6.1754, 106.8272)
_post_ids = itertools.count(1_000_000)
_HASH = hash_password("correct horse battery")


class WsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(
        cls,
        url: str,
        origin: str | None = None,
        additional_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> WsClient:
        headers = {**({"Origin": origin} if origin else {}), **(additional_headers or {})}
        ws = await connect(url, additional_headers=headers, open_timeout=WAIT_S, max_size=None, **kwargs)
        return cls(ws)

    @classmethod
    async def authed(cls, url: str, token: str | None) -> WsClient:
        """A socket signed in with `token` (anonymous with None)."""
        ws = await cls.open(url)
        if token is not None:
            await ws.send({"type": "auth", "token": token})
            reply = await ws.recv()
            assert reply["type"] == "authed", reply
        return ws

    async def ask(self, sub: str, **target: Any) -> dict[str, Any]:
        """Subscribe to any target (`near=…`, `area=…`, `agency=…`, `moderation=True`); the reply, whatever
        it is (`subscribed` or an error)."""
        await self.send({"type": "subscribe", "id": sub, **target})
        return await self.recv()

    async def next_event(self) -> dict[str, Any]:
        while True:
            message = await self.recv()
            if message["type"] == "event":
                return message

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), WAIT_S)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(
        self,
        sub: str,
        lat: float,
        lon: float,
        radius_m: float,
        categories: list[str] | None = None,
        since: int | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "subscribe",
            "id": sub,
            "near": {"lat": lat, "lon": lon, "radius_m": radius_m},
        }
        if categories is not None:
            message["categories"] = categories
        if since is not None:
            message["since"] = since
        await self.send(message)
        ack = await self.recv()
        assert ack["type"] == "subscribed" and ack["id"] == sub, ack
        return ack

    async def events_until(self, sub: str, last_seq: int) -> list[dict[str, Any]]:
        """Events received up to and including the one with seq `last_seq` on subscription `sub`."""
        got = []
        while True:
            message = await self.recv()
            if message["type"] == "event":
                got.append(message)
                if message["sub"] == sub and message["seq"] >= last_seq:
                    return got

    async def closed_code(self) -> int | None:
        """Read until the server closes the socket; its close code."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT_S)
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()


def fake_post(lat: float, lon: float, category: str = "flood", **extra: Any) -> dict[str, Any]:
    post = {
        "id": next(_post_ids),
        "text": "banjir setinggi lutut",
        "category": category,
        "lat": lat,
        "lon": lon,
        "status": "open",
        "hidden": False,
        "area_id": None,
        "votes": 0,
        "comments": 0,
    }
    post.update(extra)
    return post


async def emit(
    pool: asyncpg.Pool,
    type_: str,
    post: dict[str, Any],
    *,
    area_ids: tuple[int, ...] = (),
    **payload: Any,
) -> int:
    """Write one outbox event in its own transaction, as a handler would; returns its seq."""
    async with pool.acquire() as conn, conn.transaction():
        return await events_db.append(
            conn,
            type_,
            {"post": post, **payload},
            post_id=post["id"],
            lat=post["lat"],
            lon=post["lon"],
            area_ids=area_ids,
        )


@asynccontextmanager
async def started_runtime(
    pg_admin_url: str,
    redis_url: str | None,
    data_dir: Path,
    parts: Parts | None = None,
    database_url: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Runtime]:
    """A Runtime on a fresh database (or `database_url`), with the Redis broker when redis_url is given."""
    own = database_url is None
    url = database_url or await services.create_database(pg_admin_url)
    values: dict[str, Any] = {
        "database_url": Secret(url),
        "redis_url": Secret(redis_url) if redis_url else None,
        "data_dir": data_dir,
        "ws_port": services.free_port(),
        "ws_max_per_ip": 10_000,
        "rate_limits": "off",
        "photo_workers": 1,
    }
    values.update(overrides)
    runtime = Runtime(Settings(**values), parts or Parts())
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        if own:
            await services.drop_database(pg_admin_url, url)


def ws_url(runtime: Runtime) -> str:
    assert runtime.realtime.gateway is not None
    return f"ws://127.0.0.1:{runtime.realtime.gateway.port}/ws"


async def new_user(runtime: Runtime, handle: str, role: str = "citizen") -> tuple[int, str]:
    """A user and a live token for it."""
    async with runtime.pool.acquire() as conn:
        row = await users_db.create(conn, handle, _HASH, role)
        assert row is not None
        token = await issue_token(conn, row["id"], 1)
    return row["id"], token


async def until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Poll a condition another task makes true; a failure (naming what never happened), not a hang."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)
