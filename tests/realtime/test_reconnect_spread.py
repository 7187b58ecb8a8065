"""`subscribed` and `pong` tell each client how long to spread its reconnect over if this process dies.

A crashed realtime process sends nothing; what its clients know is what it said last. The spread is the
process's open sockets at WARGA_WS_RECONNECT_RATE handshakes a second, so a storm arrives at that rate
instead of all within the first backoff step (docs/realtime.md, "Reconnecting")."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.realtime_client import MONAS, WsClient, ws_url


async def _pong(c: WsClient) -> dict[str, Any]:
    await c.send({"type": "ping"})
    reply = await c.recv()
    assert reply["type"] == "pong", reply
    return reply


async def test_the_spread_is_open_sockets_over_the_reconnect_rate(start_runtime: Any) -> None:
    async with start_runtime(ws_reconnect_rate=10) as runtime:
        clients = [await WsClient.open(ws_url(runtime)) for _ in range(4)]
        assert (await _pong(clients[0]))["reconnect_spread_ms"] == 400  # 4 sockets at 10 a second
        subscribed = await clients[1].subscribe("s", *MONAS, 300)
        assert subscribed["reconnect_spread_ms"] == 400

        await clients[3].close()
        gateway = runtime.realtime.gateway
        for _ in range(200):  # until the gateway has seen the close
            if gateway.connections == 3:
                break
            await asyncio.sleep(0.01)
        assert (await _pong(clients[0]))["reconnect_spread_ms"] == 300
        for c in clients[:3]:
            await c.close()


async def test_the_spread_stops_at_the_longest_backoff_and_zero_turns_it_off(start_runtime: Any) -> None:
    async with start_runtime(ws_reconnect_rate=0.01) as runtime:  # 1 socket = 100 s, capped
        c = await WsClient.open(ws_url(runtime))
        assert (await _pong(c))["reconnect_spread_ms"] == 30_000
        await c.close()
    async with start_runtime(ws_reconnect_rate=0) as runtime:
        c = await WsClient.open(ws_url(runtime))
        assert (await _pong(c))["reconnect_spread_ms"] == 0
        await c.close()
