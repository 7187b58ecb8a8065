"""The reconnect storm's peer: the `websockets` library's own server, no framework, no database, no replay.

It answers the storm client's protocol with nothing behind it: `subscribe` gets `subscribed` (seq 0), `ping`
gets `pong`, each naming the same reconnect spread warga's gateway would (open sockets at RATE handshakes a
second, at most 30 s), so the storm has the same shape. What a storm costs this server is the handshakes and
a few frames per socket, close to the floor for Python on this machine; bench/storm.py storms it exactly
as it storms warga.

Run: python storm_peer.py PORT [RATE=500]
"""

import asyncio
import json
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

OPEN = set()
RATE = float(sys.argv[2]) if len(sys.argv) > 2 else 500.0


def spread_ms():
    return min(30_000, round(1000 * len(OPEN) / RATE)) if RATE > 0 else 0


async def handler(ws):
    OPEN.add(ws)
    try:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "subscribe":
                reply = {"type": "subscribed", "id": message.get("id"), "seq": 0}
                await ws.send(json.dumps({**reply, "reconnect_spread_ms": spread_ms()}))
            elif message.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "reconnect_spread_ms": spread_ms()}))
    except ConnectionClosed:  # the bench's clients leave abruptly at the end
        pass
    finally:
        OPEN.discard(ws)


async def main(port):
    # The same backlog as warga's gateway: a burst beyond asyncio's default 100 is refused, not queued.
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096, open_timeout=60):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
