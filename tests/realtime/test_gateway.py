"""Gateway follow-ups from the load benches: batched broker subscribes (reconnect storm), a bounded kernel
send buffer (4008 for never-reading clients), a database shutting down mid-subscribe answered
`unavailable`, and one write per socket for the frames of one turn of the event loop (fan-out)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import asyncpg
import pytest

from kernel import metrics
from realtime import channels, protocol, wire
from realtime import gateway as gateway_module
from realtime.gateway import Gateway
from realtime.session import Client, Sub
from tests.realtime_client import MONAS, WsClient, emit, fake_post, ws_url
from warga.runtime import Runtime

BIG_TEXT = "x" * 20_000  # one event's frame is ~20 KB: the byte count below moves in these steps


def _near(sub_id: str, lat: float, lon: float) -> protocol.Subscribe:
    message = {"type": "subscribe", "id": sub_id, "near": {"lat": lat, "lon": lon, "radius_m": 1000}}
    parsed = protocol.parse(json.dumps(message))
    assert isinstance(parsed, protocol.Subscribe)
    return parsed


async def test_subscriptions_waiting_together_share_one_broker_subscribe(
    start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with start_runtime() as runtime:
        gateway = runtime.realtime.gateway
        broker = gateway._broker
        asked: list[set[str]] = []
        real_subscribe = broker.subscribe

        async def counting_subscribe(names: Any) -> None:
            asked.append(set(names))
            await real_subscribe(names)

        monkeypatch.setattr(broker, "subscribe", counting_subscribe)
        # Twenty subscriptions far apart: each needs channels nobody holds, as after a restart.
        subs = [Sub(Client(None, "test"), _near(f"s{i}", -6.0 - i * 0.05, 106.8)) for i in range(20)]
        await asyncio.gather(*(gateway._attach(sub) for sub in subs))
        wanted = {name for sub in subs for name in sub.channels}
        assert asked == [wanted]  # one SUBSCRIBE for all twenty, not twenty round trips
        assert wanted <= broker.channels
        # Channels already held cost no round trip.
        await gateway._attach(Sub(Client(None, "test"), _near("again", -6.0, 106.8)))
        assert len(asked) == 1
        # The last listener leaving gives the channel back.
        for sub in subs:
            await gateway._detach(sub)
        assert gateway._broker_sync is not None
        await gateway._broker_sync
        again = set(subs[0].channels)
        assert again <= broker.channels
        assert not (wanted - again) & broker.channels


async def test_a_subscription_during_a_batch_in_flight_still_gets_every_event(start_runtime: Any) -> None:
    """Exactness with batching: subscriptions that join an in-flight SUBSCRIBE (or the next one) while
    events are flowing receive each event after their `subscribed` seq exactly once."""
    async with start_runtime() as runtime:
        clients = [await WsClient.open(ws_url(runtime)) for _ in range(15)]
        stop = asyncio.Event()

        async def post_all_along() -> list[int]:
            seqs = []
            while not stop.is_set():
                seqs.append(await emit(runtime.pool, "post.created", fake_post(*MONAS)))
            return seqs

        poster = asyncio.create_task(post_all_along())
        acks = await asyncio.gather(*(c.subscribe("s", *MONAS, 500) for c in clients))
        stop.set()
        seqs = await poster
        last = await emit(runtime.pool, "post.created", fake_post(*MONAS))
        for client, ack in zip(clients, acks, strict=True):
            got = [m["seq"] for m in await client.events_until("s", last)]
            assert got == [s for s in seqs if s > ack["seq"]] + [last]
            await client.close()


async def test_a_never_reading_client_is_closed_with_4008_within_the_hard_cap_plus_sndbuf(
    start_runtime: Any,
) -> None:
    queue_bytes, sndbuf = 64 * 1024, 64 * 1024
    # A grace longer than the test: what closes this socket is the memory bound, not the stall clock.
    async with start_runtime(ws_queue_bytes=queue_bytes, ws_sndbuf=sndbuf, ws_stall_s=600) as runtime:
        gateway = runtime.realtime.gateway
        fast = await WsClient.open(ws_url(runtime))
        await fast.subscribe("s", *MONAS, 500)
        slow, served = await _never_reading(gateway, ws_url(runtime))
        await slow.subscribe("s", *MONAS, 500)
        server_sock = served.conn.transport.get_extra_info("socket")
        # Linux doubles SO_SNDBUF for its bookkeeping; without the setting it would autotune up to 4 MiB.
        assert server_sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * sndbuf
        sent = 0
        while not served.closing:
            assert sent < 8 * 1024 * 1024, "never closed"
            seq = await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT))
            sent += len(BIG_TEXT)
            await fast.events_until("s", seq)  # the gateway has written it to both sockets
        # Where the bytes can be before 4008: the gateway's backlog (at most the hard cap), the server's
        # kernel buffer (2 x sndbuf), the client's kernel buffer (its 4 KiB, doubled), and the client
        # library's one read of up to 256 KiB (asyncio's read size) before it stops reading; plus the event
        # that tipped it over.
        client_side = 2 * 4096 + 256 * 1024
        hard_cap = gateway_module.WS_HARD_CAP_FACTOR * queue_bytes
        assert sent <= hard_cap + 2 * sndbuf + client_side + 2 * len(BIG_TEXT)
        assert sent > queue_bytes + 2 * sndbuf + client_side  # one limit's worth is a burst, not a backlog
        assert await slow.closed_code() == 4008
        await fast.close()


async def test_a_socket_over_the_limit_that_takes_nothing_for_the_stall_time_is_closed(
    start_runtime: Any,
) -> None:
    async with start_runtime(ws_queue_bytes=64 * 1024, ws_sndbuf=64 * 1024, ws_stall_s=0.3) as runtime:
        gateway = runtime.realtime.gateway
        slow, served = await _never_reading(gateway, ws_url(runtime))
        await slow.subscribe("s", *MONAS, 500)
        # Fill the buffers until the gateway holds a backlog over the limit (well under the hard cap).
        while served.conn.transport.get_write_buffer_size() <= 64 * 1024:
            await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT))
            await asyncio.sleep(0.01)
        assert not served.closing  # a backlog over the limit alone is not yet a stall
        started = asyncio.get_running_loop().time()
        while not served.closing:
            assert asyncio.get_running_loop().time() - started < 30, "never closed"
            await emit(runtime.pool, "post.created", fake_post(*MONAS))
            await asyncio.sleep(0.05)
        assert served.conn.transport.get_write_buffer_size() < gateway_module.WS_HARD_CAP_FACTOR * 64 * 1024
        assert await slow.closed_code() == 4008


async def _never_reading(gateway: Any, url: str) -> tuple[WsClient, Any]:
    """A client that reads nothing: a tiny receive window and a one-message queue push back at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", gateway.port))
    client = await WsClient.open(url, sock=sock, max_queue=1)
    port = sock.getsockname()[1]
    (served,) = [c for c in gateway._clients if c.conn.remote_address[1] == port]
    return client, served


async def test_a_database_shutting_down_mid_subscribe_answers_unavailable(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = rt.realtime.gateway

    async def shutting_down(request: protocol.Subscribe) -> Any:
        # What asyncpg raises from a connection whose server shuts down mid-query (bench/faults.py).
        raise asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress")

    client = await WsClient.open(ws_url(rt))
    with monkeypatch.context() as patch:
        patch.setattr(gateway._replay, "window", shutting_down)
        near = {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500}
        await client.send({"type": "subscribe", "id": "s", "near": near})
        answer = await client.recv()
    assert answer["type"] == "error" and answer["code"] == "unavailable" and answer["id"] == "s"
    # The socket lives on, and the same subscription works once the database is back.
    ack = await client.subscribe("s", *MONAS, 500)
    assert ack["type"] == "subscribed"
    await client.close()


class _CountingTransport:
    """A socket's real transport that records each write (every byte still goes out)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.real.write(data)

    def writelines(self, chunks: list[bytes]) -> None:  # one writev(): one write
        self.writes.append(b"".join(chunks))
        self.real.writelines(chunks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _SpiedConnection:
    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.transport = _CountingTransport(conn.transport)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def _spied_subscriber(gateway: Gateway, url: str) -> tuple[WsClient, Client, _CountingTransport]:
    client = await WsClient.open(url)
    await client.subscribe("s", *MONAS, 500)
    (served,) = gateway._clients
    spied = _SpiedConnection(served.conn)
    served.conn = spied
    return client, served, spied.transport


def _sample(name: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


def _batch_from_broker(gateway: Gateway, first_seq: int, count: int) -> list[int]:
    """Hand the gateway `count` events the way a broker hands it a relay batch that came in one read: one
    call per event and channel, all in one turn of the event loop."""
    seqs = list(range(first_seq, first_seq + count))
    for seq in seqs:
        data = wire.encode(seq, "post.created", *MONAS, (), {"post": fake_post(*MONAS)})
        for name in channels.for_event(*MONAS, ()):
            gateway._on_broker(name, data)
    return seqs


async def test_the_frames_of_one_turn_leave_in_one_write_in_order(start_runtime: Any) -> None:
    async with start_runtime() as runtime:
        gateway = runtime.realtime.gateway
        client, served, transport = await _spied_subscriber(gateway, ws_url(runtime))
        writes_before = _sample("warga_ws_fanout_writes_total")
        seqs = _batch_from_broker(gateway, gateway.head + 100, 3)
        assert transport.writes == []  # queued until this turn ends
        got = [m["seq"] for m in await client.events_until("s", seqs[-1])]
        assert got == seqs
        assert len(transport.writes) == 1  # three frames, each on three channels: one send()
        assert _sample("warga_ws_fanout_writes_total") == writes_before + 1  # what operators see
        # An answer sent at once goes out behind the frames already queued for that socket, in one write.
        more = _batch_from_broker(gateway, seqs[-1] + 1, 2)
        gateway._send_json(served, {"type": "pong", "reconnect_spread_ms": 0})
        assert len(transport.writes) == 2
        assert _sample("warga_ws_fanout_writes_total") == writes_before + 2  # counted like _flush's
        assert [m["seq"] for m in await client.events_until("s", more[-1])] == more
        assert (await client.recv())["type"] == "pong"
        # Nothing was left queued to go out twice: the answer took this turn's frames with it, and the
        # flush that turn scheduled finds nothing.
        assert served not in gateway._out
        for _ in range(3):
            await asyncio.sleep(0)  # let the scheduled flush run
        assert len(transport.writes) == 2
        await client.close()


async def test_frames_queued_for_a_socket_that_starts_closing_are_not_sent(start_runtime: Any) -> None:
    async with start_runtime() as runtime:
        gateway = runtime.realtime.gateway
        client, served, transport = await _spied_subscriber(gateway, ws_url(runtime))
        _batch_from_broker(gateway, gateway.head + 100, 2)
        gateway._close_slow(served)  # closing before the turn ends: data after a close frame is invalid
        assert await client.closed_code() == protocol.CLOSE_SLOW
        assert transport.writes == []


async def test_a_replay_longer_than_the_queue_limit_reaches_a_client_that_reads(start_runtime: Any) -> None:
    """A replay leaves page by page as the socket drains: 20 frames of 20 KB through a 64 KiB limit reach
    a reader whole, in order, with no 4008 (before, `since: 0` on the demo was closed at once)."""
    async with start_runtime(ws_queue_bytes=64 * 1024, ws_sndbuf=64 * 1024) as runtime:
        seqs = [await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT)) for _ in range(20)]
        client = await WsClient.open(ws_url(runtime))
        await client.subscribe("s", *MONAS, 500, since=0)
        live = await emit(runtime.pool, "post.created", fake_post(*MONAS))
        got = [m["seq"] for m in await client.events_until("s", live)]
        assert got == [*seqs, live]
        await client.close()


async def test_a_replay_to_a_client_that_never_reads_holds_two_pages_then_closes_4008(
    start_runtime: Any,
) -> None:
    keepalive = {"ws_ping_interval_s": 0.5, "ws_ping_timeout_s": 0.5}
    async with start_runtime(ws_queue_bytes=64 * 1024, ws_sndbuf=64 * 1024, **keepalive) as runtime:
        for _ in range(100):
            await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT))
        gateway = runtime.realtime.gateway
        slow, served = await _never_reading(gateway, ws_url(runtime))
        most = 0
        near = {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500}
        await slow.send({"type": "subscribe", "id": "s", "near": near, "since": 0})
        started = asyncio.get_running_loop().time()
        while not served.closing:
            assert asyncio.get_running_loop().time() - started < 30, "never closed"
            most = max(most, served.conn.transport.get_write_buffer_size() + served.queued)
            await asyncio.sleep(0.005)
        # At most the page it has not taken and the next one wait for it (2 MB were due), until it has
        # taken nothing for the keepalive's patience (here 1 s).
        assert most <= 2 * gateway_module.REPLAY_PAGE_BYTES + 2 * len(BIG_TEXT)
        assert asyncio.get_running_loop().time() - started >= 1.0
        assert await slow.closed_code() == 4008


async def test_a_slow_but_steady_reader_gets_its_whole_replay(start_runtime: Any) -> None:
    """On loopback a slow reader's TCP window reopens only every ~64 KiB, seconds apart at this pace: no
    stall clock may take that for a stall (the cold demo's since:0 at 10-40 messages/s was cut off)."""
    async with start_runtime(ws_queue_bytes=64 * 1024, ws_sndbuf=64 * 1024, ws_stall_s=0.3) as runtime:
        seqs = [await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT)) for _ in range(24)]
        client = await WsClient.open(ws_url(runtime), max_queue=1)
        await client.subscribe("s", *MONAS, 500, since=0)
        got = []
        while len(got) < len(seqs):
            got.append((await client.recv())["seq"])
            await asyncio.sleep(0.25)  # 80 KB/s
        assert got == seqs
        await client.close()


async def test_live_events_piling_up_behind_a_stuck_replay_close_it_with_4008(start_runtime: Any) -> None:
    async with start_runtime(ws_queue_bytes=64 * 1024, ws_sndbuf=64 * 1024, replay_max_events=30) as runtime:
        for _ in range(30):
            await emit(runtime.pool, "post.created", fake_post(*MONAS, text=BIG_TEXT))
        gateway = runtime.realtime.gateway
        slow, served = await _never_reading(gateway, ws_url(runtime))
        near = {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500}
        await slow.send({"type": "subscribe", "id": "s", "near": near, "since": 0})
        started = asyncio.get_running_loop().time()
        while not served.closing:
            assert asyncio.get_running_loop().time() - started < 30, "never closed"
            await emit(runtime.pool, "post.created", fake_post(*MONAS))
            await asyncio.sleep(0.01)
        assert await slow.closed_code() == protocol.CLOSE_SLOW
