"""Helpers for realtime tests: a small websocket client, and writing outbox events the way handlers do."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import asyncpg
from websockets.asyncio.client import ClientConnection, connect

from db import events as events_db

# A guard against hangs, not a timing assertion: every awaited message normally arrives in milliseconds.
WAIT_S = 20.0
MONAS = (-6.1754, 106.8272)
_post_ids = itertools.count(1_000_000)


class WsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, origin: str | None = None, **kwargs: Any) -> WsClient:
        headers = {"Origin": origin} if origin else {}
        ws = await connect(url, additional_headers=headers, open_timeout=WAIT_S, max_size=None, **kwargs)
        return cls(ws)

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
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT_S)
        except Exception:  # ConnectionClosed: the expected end
            pass
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
