"""Ping/pong keepalive: a socket that stops answering pings is closed; one that answers stays open.

The clients here are raw TCP sockets speaking just enough RFC 6455 by hand, because a websockets client
always answers pings inside its protocol layer: only a hand-made client can go silent on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from typing import Any

from tests.realtime_client import WAIT_S

PING, PONG, CLOSE, TEXT = 0x9, 0xA, 0x8, 0x1


class RawSocket:
    """A websocket client that does only what the test tells it to: no automatic pongs, no close reply."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def frame(self) -> tuple[int, bytes] | None:
        """The next frame from the server (opcode, payload); None once the server closed the connection."""
        try:
            first, second = await asyncio.wait_for(self.reader.readexactly(2), WAIT_S)
            n = second & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(n)
        except asyncio.IncompleteReadError:
            return None

    def send(self, opcode: int, payload: bytes) -> None:
        # Client frames are masked (RFC 6455 5.3); payloads here are control frames or small text.
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(TEXT, json.dumps(message).encode())

    def close(self) -> None:
        self.writer.close()


async def test_a_socket_that_stops_answering_pings_is_closed_and_one_that_answers_is_not(
    start_runtime: Any,
) -> None:
    # Pings every 0.2 s, 0.3 s to answer: the test takes a second or two.
    async with start_runtime(ws_ping_interval_s=0.2, ws_ping_timeout_s=0.3) as runtime:
        gateway = runtime.realtime.gateway
        assert gateway is not None
        answering = await RawSocket.open(gateway.port)
        silent = await RawSocket.open(gateway.port)
        pongs_sent = 0
        texts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def answer_pings() -> None:
            nonlocal pongs_sent
            while (got := await answering.frame()) is not None:
                opcode, payload = got
                if opcode == PING:
                    answering.send(PONG, payload)
                    pongs_sent += 1
                elif opcode == TEXT:
                    texts.put_nowait(json.loads(payload))

        answerer = asyncio.create_task(answer_pings())
        # The silent client reads what it is sent but never answers: a ping arrives, then the close.
        frames: list[tuple[int, bytes]] = []
        while not frames or frames[-1][0] != CLOSE:
            got = await silent.frame()
            assert got is not None, f"connection dropped without a close frame after {frames}"
            frames.append(got)
        assert [opcode for opcode, _ in frames] == [PING, CLOSE]
        close = frames[-1][1]
        assert struct.unpack("!H", close[:2])[0] == 1011
        assert close[2:] == b"keepalive ping timeout"
        silent.close()  # as a client does on a close frame; the server then lets the socket go

        for _ in range(int(WAIT_S / 0.01)):  # until the gateway has let go of the silent socket
            if gateway.connections == 1:
                break
            await asyncio.sleep(0.01)
        assert gateway.connections == 1
        # The answering socket lives on through pings well past the timeout, and is still served.
        for _ in range(int(WAIT_S / 0.01)):
            if pongs_sent >= 4 or answerer.done():
                break
            await asyncio.sleep(0.01)
        assert pongs_sent >= 4
        assert not answerer.done(), "the server closed a socket that answered every ping"
        answering.send_json({"type": "ping"})
        assert (await asyncio.wait_for(texts.get(), WAIT_S))["type"] == "pong"
        answerer.cancel()
        answering.close()
