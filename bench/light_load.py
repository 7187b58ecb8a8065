"""Fan-out load with a receiver light enough that the server, not the load generator, sets the pace.

Same load and output as the shared yardstick (`baselines/fanout_load.py`): N websocket subscribers near one
point, M messages at R per second, one JSON line with delivered, expected, seconds, deliveries_per_s,
p50/p99/max latency from send to receipt ('T=<ns>;' in each message). Two differences, each for the same
reason — on 2 cores the yardstick measures itself:

- Receiving. The yardstick runs the websockets client (a task, a parser generator and a queue per frame):
  about 14 µs of its CPU per delivery here (4.1 to 4.6 s for 300,000 on 5 Dec), so one core tops out
  near 75k to 85k deliveries/s whichever server sends (docs/bench-realtime.md: a full core for the bare
  server). Here each socket is an asyncio Protocol that splits frames by their two-to-ten-byte headers and
  counts them, answering pings; every --sample-every'th frame's 'T=' is read (fanout.py passes 5, as
  for the yardstick).
- Publishing. The yardstick waits for each POST before sending the next, so a busy server also slows its
  own input (closed loop: the latency of the slow moments is never measured). Here messages leave on their
  schedule (open loop), at most --in-flight at a time, the same for every server: citizens do not wait
  for one another's reports.

Usage: python bench/light_load.py MODE --port P [--clients 1000 --messages 300 --rate 120]
MODE: broadcaster (POST /publish), websockets (ws /publish), warga (POST /api/posts; subscribers send a
`subscribe` near the posts' point, as the yardstick does).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import connect

LAT, LON = -6.1754, 106.8272  # Monas, central Jakarta (the yardstick's point)
MASK_ZERO = b"\x00\x00\x00\x00"  # a client must mask; a zero key leaves the bytes as they are


class Stats:
    def __init__(self, expected: int, sample_every: int) -> None:
        self.expected = expected
        self.sample_every = sample_every
        self.count = 0
        self.last = 0.0
        self.lat_ms: list[float] = []
        self.done = asyncio.Event()


def client_frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + MASK_ZERO + payload


class Subscriber(asyncio.Protocol):
    """One websocket: the HTTP upgrade, then frames split by header and counted."""

    def __init__(self, stats: Stats, host: str, path: str, origin: str, subscribe: bytes | None) -> None:
        self.stats = stats
        self.subscribe = subscribe
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        ).encode()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.upgraded = False
        self.acked = subscribe is None
        self.buf = b""
        self.frames = 0
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready: {exc}"))

    def data_received(self, data: bytes) -> None:
        if self.buf:
            data, self.buf = self.buf + data, b""
        if not self.upgraded:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.buf = data
                return
            if b" 101 " not in data[: data.find(b"\r\n")]:
                self.ready.set_exception(ConnectionError(data[:200].decode("latin-1")))
                self.transport.close()
                return
            self.upgraded, data = True, data[end + 4 :]
            if self.subscribe is None:
                self.ready.set_result(None)
            else:
                self.transport.write(client_frame(0x1, self.subscribe))
        now, before = time.time_ns(), self.stats.count
        i, n = 0, len(data)
        while n - i >= 2:
            size, head = data[i + 1] & 0x7F, 2
            if size == 126:
                if n - i < 4:
                    break
                size, head = int.from_bytes(data[i + 2 : i + 4], "big"), 4
            elif size == 127:
                if n - i < 10:
                    break
                size, head = int.from_bytes(data[i + 2 : i + 10], "big"), 10
            end = i + head + size
            if end > n:
                break
            opcode = data[i] & 0x0F
            if opcode == 0x1:
                self._text(data, i + head, end, now)
            elif opcode == 0x9:  # ping: answer, or the server closes us
                self.transport.write(client_frame(0xA, data[i + head : end]))
            elif opcode == 0x8:
                self.transport.close()
                return
            i = end
        if i < n:
            self.buf = data[i:]
        stats = self.stats
        if stats.count != before:
            stats.last = time.perf_counter()
            if stats.count >= stats.expected:
                stats.done.set()

    def _text(self, data: bytes, start: int, end: int, now: int) -> None:
        if not self.acked:  # warga's `subscribed`: the socket is ready
            self.acked = True
            if b'"subscribed"' not in data[start:end]:
                self.ready.set_exception(ConnectionError(data[start:end].decode()))
            else:
                self.ready.set_result(None)
            return
        stats = self.stats
        stats.count += 1
        self.frames += 1
        if self.frames % stats.sample_every == 0:
            k = data.find(b"T=", start, end)
            if k >= 0:
                sent = int(data[k + 2 : data.index(b";", k)])
                stats.lat_ms.append((now - sent) / 1e6)


async def open_subscribers(a: argparse.Namespace, ws_url: str, origin: str, stats: Stats) -> list[Any]:
    loop = asyncio.get_running_loop()
    url = urlsplit(ws_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    subscribe = None
    if a.mode == "warga":
        message = {"type": "subscribe", "id": "s1", "near": {"lat": LAT, "lon": LON, "radius_m": 2000}}
        subscribe = json.dumps(message).encode()
    gate = asyncio.Semaphore(100)  # handshakes in flight, as a crowd of phones would not all be at once

    async def one() -> Any:
        async with gate:
            _transport, proto = await loop.create_connection(
                lambda: Subscriber(stats, f"{host}:{port}", url.path or "/ws", origin, subscribe), host, port
            )
            await asyncio.wait_for(proto.ready, 120)
            return _transport

    return list(await asyncio.gather(*(one() for _ in range(a.clients))))


async def publish(a: argparse.Namespace, base: str) -> float:
    """Sends every message on its schedule; returns the time the first left (the clock's start)."""
    pad = "x" * a.payload
    gate = asyncio.Semaphore(a.in_flight)
    pending: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def body(i: int, due_ns: int) -> dict[str, Any]:
        return {"i": i, "text": f"T={due_ns};{pad}"}

    async def paced(send: Any) -> float:
        t0 = time.perf_counter()
        for i in range(a.messages):
            await asyncio.sleep(max(0.0, t0 + i / a.rate - time.perf_counter()))
            # The clock starts when the message is due, before waiting for a free slot: a server that keeps
            # --in-flight requests open pays for that wait in its latency (no coordinated omission).
            due_ns = time.time_ns()
            await gate.acquire()
            task = asyncio.create_task(send(i, due_ns))
            pending.add(task)
            task.add_done_callback(lambda t: (pending.discard(t), gate.release()))
        await asyncio.gather(*pending)
        return t0

    if a.mode == "websockets":
        async with connect(f"ws://{base}/publish", compression=None) as pub:

            async def send_ws(i: int, due_ns: int) -> None:
                await pub.send(json.dumps(body(i, due_ns)))

            return await paced(send_ws)
    limits = httpx.Limits(max_connections=a.in_flight, max_keepalive_connections=a.in_flight)
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=60, limits=limits) as http:
        if a.mode == "broadcaster":

            async def send_publish(i: int, due_ns: int) -> None:
                (await http.post("/publish", content=json.dumps(body(i, due_ns)))).raise_for_status()

            return await paced(send_publish)
        handle = f"light{time.time_ns() % 10**9}"
        r = await http.post("/api/auth/register", json={"handle": handle, "password": "bench-password-123"})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"

        async def send_post(i: int, due_ns: int) -> None:
            text = body(i, due_ns)["text"]
            post = {"text": text, "category": "flood", "lat": LAT + 0.001 * (i % 7), "lon": LON}
            try:
                (await http.post("/api/posts", json=post)).raise_for_status()
            except httpx.HTTPError as exc:
                failures.append(exc)

        t0 = await paced(send_post)
        if failures:
            raise SystemExit(f"light_load: {len(failures)} posts failed, first: {failures[0]!r}")
        return t0


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["broadcaster", "websockets", "warga"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--rate", type=float, default=120)
    ap.add_argument("--payload", type=int, default=400)
    ap.add_argument("--in-flight", type=int, default=32, help="messages sent and not yet answered, at most")
    ap.add_argument("--sample-every", type=int, default=5, help="read the send time of every Nth frame")
    a = ap.parse_args()
    base = f"127.0.0.1:{a.port}"
    ws_url = f"ws://{base}/ws"
    if a.mode == "warga":  # the API says where its websocket is
        async with httpx.AsyncClient(timeout=10) as http:
            ws_url = (await http.get(f"http://{base}/api/config")).json()["ws_url"]
    expected = a.clients * a.messages
    stats = Stats(expected, max(1, a.sample_every))
    transports = await open_subscribers(a, ws_url, f"http://{base}", stats)
    await asyncio.sleep(1.0)
    t0 = await publish(a, base)
    with contextlib.suppress(TimeoutError):  # the yardstick's 30 s for stragglers
        await asyncio.wait_for(stats.done.wait(), 30)
    secs = (stats.last or time.perf_counter()) - t0
    lat = sorted(stats.lat_ms) or [float("nan")]

    def q(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2)

    result = {
        "mode": a.mode,
        "driver": "light",
        "clients": a.clients,
        "messages": a.messages,
        "rate": a.rate,
        "delivered": stats.count,
        "expected": expected,
        "seconds": round(secs, 2),
        "deliveries_per_s": round(stats.count / secs),
        "p50_ms": q(0.5),
        "p99_ms": q(0.99),
        "max_ms": round(lat[-1], 2),
    }
    print(json.dumps(result), flush=True)
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
