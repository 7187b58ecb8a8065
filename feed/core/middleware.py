"""ASGI middleware: refuse oversized bodies before they are read."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feed.core import open311_xml
from feed.core.errors import ApiError, error_body
from feed.core.parse import decimal_int


class BodyLimit:
    """Caps every request body at `limit` bytes: by Content-Length up front, by counting while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = decimal_int(value, max_digits=30)  # not int(): 5,000 digits raise ValueError
                if declared is None or declared > self.limit:
                    await _send_413(send, self.limit, scope["path"])
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ApiError(413, "too_large", f"Request body is over {self.limit} bytes.")
            return message

        await self.app(scope, counting_receive, send)


async def _send_413(send: Send, limit: int, path: str) -> None:
    import json

    message = f"Request body is over {limit} bytes."
    if path.startswith(open311_xml.PREFIX):  # GeoReport clients read the spec's error list, not ours
        kind, body = open311_xml.error_list(path, 413, message)
    else:
        kind, body = "application/json", json.dumps(error_body("too_large", message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
