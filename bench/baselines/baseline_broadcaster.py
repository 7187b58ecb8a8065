"""(Copied from the shared fan-out yardstick; only lint fixes.)

Peer baseline: the Starlette ecosystem's standard fan-out (encode/broadcaster) under uvicorn.

Every websocket subscribes to one channel; POST /publish broadcasts the body to it.
Run: uvicorn baseline_broadcaster:app --port 8101 --loop uvloop --http httptools --ws websockets
BROADCAST_URL=redis://127.0.0.1:6379 switches to the Redis backend.
"""

import contextlib
import os

from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

broadcast = Broadcast(os.environ.get("BROADCAST_URL", "memory://"))


async def publish(request):
    body = await request.body()
    await broadcast.publish(channel="feed", message=body.decode())
    return JSONResponse({"ok": True}, status_code=201)


async def ws(websocket):
    await websocket.accept()
    async with broadcast.subscribe(channel="feed") as subscriber:
        async for event in subscriber:
            await websocket.send_text(event.message)


@contextlib.asynccontextmanager
async def lifespan(app):
    await broadcast.connect()
    yield
    await broadcast.disconnect()


app = Starlette(
    routes=[Route("/publish", publish, methods=["POST"]), WebSocketRoute("/ws", ws)],
    lifespan=lifespan,
)
