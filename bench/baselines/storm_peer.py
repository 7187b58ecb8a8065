"""The reconnect storm's peer: the `websockets` library's own server, no framework, no database, no replay.

It answers the storm client's protocol with nothing behind it: `subscribe` gets `subscribed` (seq 0), `ping`
gets `pong`. What a storm costs this server is the handshakes and a few frames per socket, close to the floor
for Python on this machine; bench/storm.py storms it exactly as it storms warga.

Run: python storm_peer.py PORT
"""

import asyncio
import json
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def handler(ws):
    try:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "subscribe":
                await ws.send(json.dumps({"type": "subscribed", "id": message.get("id"), "seq": 0}))
            elif message.get("type") == "ping":
                await ws.send('{"type":"pong"}')
    except ConnectionClosed:  # the bench's clients leave abruptly at the end
        pass


async def main(port):
    # The same backlog as warga's gateway: a burst beyond asyncio's default 100 is refused, not queued.
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096, open_timeout=60):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
