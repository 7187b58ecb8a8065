"""A lean RFC 8030 receiving side for bench/notify.py, in a process of its own: `POST /push/<subscription>`
is answered 201 with a Location (413 over 4,096 bytes, 400 without TTL) and recorded with time.time() at the
moment its body had arrived, before any de-duplication; `GET /results` returns every record as JSON
(subscription, received_at, base64 body) so that the bench can count duplicates and decrypt the bodies with
the browsers' keys (http_ece). Plain asyncio, HTTP/1.1 keep-alive, no framework: the receiver is meant to
cost little next to the worker it measures.

    python bench/push_receiver.py     # prints `port=<n>` once listening on 127.0.0.1
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time

MAX_PAYLOAD = 4096


class Receiver(asyncio.Protocol):
    records: list[tuple[str, float, str]] = []
    ids = itertools.count(1)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.answer(head[0].split(" "), headers, body)

    def answer(self, request_line: list[str], headers: dict[str, str], body: bytes) -> None:
        method, path = request_line[0], request_line[1]
        if method == "GET" and path == "/results":
            self.respond("200 OK", json.dumps(Receiver.records).encode())
        elif method == "POST" and path.startswith("/push/"):
            received_at = time.time()
            if len(body) > MAX_PAYLOAD:
                self.respond("413 Payload Too Large")
            elif "ttl" not in headers:
                self.respond("400 Bad Request")
            else:
                sub_id = path[len("/push/") :]
                Receiver.records.append((sub_id, received_at, base64.b64encode(body).decode()))
                self.respond("201 Created", location=f"/m/{next(Receiver.ids)}")
        else:
            self.respond("404 Not Found")

    def respond(self, status: str, body: bytes = b"", location: str | None = None) -> None:
        extra = f"Location: {location}\r\n" if location else ""
        head = f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
        self.transport.write(head.encode() + body)


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"port={port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
