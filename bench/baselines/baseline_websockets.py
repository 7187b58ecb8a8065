"""(Copied from the shared fan-out yardstick; only lint fixes.)

Near-limit baseline: the `websockets` library's own server and broadcast(), no framework.

A connection to /publish sends messages; each is broadcast to every /ws connection.
Run: python baseline_websockets.py 8102
"""

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

subscribers = set()


async def handler(ws):
    if ws.request.path.startswith("/publish"):
        async for message in ws:
            broadcast(subscribers, message)
        return
    subscribers.add(ws)
    try:
        await ws.wait_closed()
    finally:
        subscribers.discard(ws)


async def main(port):
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=16):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
