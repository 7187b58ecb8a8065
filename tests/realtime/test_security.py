"""The gateway under bad input and hostile clients: errors or documented closes, and nobody else affected."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from db import users as users_db
from feed.app import build_app
from tests.realtime_client import MONAS, WAIT_S, WsClient, emit, fake_post, new_user, started_runtime, ws_url
from warga.runtime import Parts, Runtime


async def _still_serves(runtime: Runtime) -> None:
    """The server is unaffected: a new client subscribes and gets a post."""
    c = await WsClient.open(ws_url(runtime))
    await c.subscribe("ok", *MONAS, 300)
    seq = await emit(runtime.pool, "post.created", fake_post(*MONAS))
    assert (await c.events_until("ok", seq))[-1]["seq"] == seq
    await c.close()


def _sub(**near: Any) -> dict[str, Any]:
    return {
        "type": "subscribe",
        "id": "s",
        "near": {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500, **near},
    }


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ("[" * 30_000 + "]" * 30_000, "bad_json"),  # nested deeper than Python's recursion limit
        ('{"type": "subscribe", "id": "s", "near": {"lat": NaN, "lon": 106.8, "radius_m": 500}}', "bad_json"),
        ('{"type": "teleport"}', "unknown_type"),
        ("{}", "unknown_type"),
        (_sub(radius_m=0), "invalid"),
        (_sub(radius_m=-5), "invalid"),
        (_sub(radius_m=1e9), "invalid"),
        (_sub(radius_m=10000.5), "invalid"),
        (_sub(lat=91), "invalid"),
        (_sub(lon="106"), "invalid"),
        (_sub(lat=True), "invalid"),
        ({"type": "subscribe", "id": "", "near": {"lat": 0, "lon": 0, "radius_m": 5}}, "invalid"),
        ({"type": "subscribe", "id": "x" * 65, "near": {"lat": 0, "lon": 0, "radius_m": 5}}, "invalid"),
        ({**_sub(), "categories": ["lava"]}, "invalid"),
        ({**_sub(), "categories": []}, "invalid"),
        ({**_sub(), "since": -1}, "invalid"),
        ({**_sub(), "since": "12"}, "invalid"),
        ({**_sub(), "admin": True}, "invalid"),
        ({"type": "subscribe", "id": "s"}, "invalid"),
        ({**_sub(), "area": 5}, "invalid"),
        ({"type": "subscribe", "id": "s", "moderation": True}, "forbidden"),
        ({"type": "unsubscribe", "id": "nope"}, "not_found"),
        ({"type": "auth"}, "invalid"),
    ],
)
async def test_bad_messages_get_an_error_and_the_socket_stays_open(
    rt: Runtime, message: dict[str, Any] | str, code: str
) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.send(message)
    reply = await c.recv()
    assert reply["type"] == "error" and reply["code"] == code and isinstance(reply["message"], str)
    await c.send({"type": "ping"})
    assert (await c.recv())["type"] == "pong"
    await c.close()


async def test_binary_frame_is_refused_with_an_error(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.ws.send(b'{"type": "ping"}')
    assert (await c.recv())["code"] == "bad_message"
    await c.close()


async def test_one_mib_message_closes_with_1009(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.send('{"type": "ping", "pad": "' + "x" * (1024 * 1024) + '"}')
    assert await c.closed_code() == 1009
    await _still_serves(rt)


async def test_message_flood_is_cut_off_with_4029(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    for _ in range(1000):
        try:
            await c.send({"type": "ping"})
        except Exception:  # closed by the server mid-flood: that is the point
            break
    replies = []
    try:
        while True:
            replies.append(await c.recv())
    except Exception:  # the server closed the socket
        assert c.ws.close_code == 4029
    assert replies[-1]["code"] == "rate_limited" and len(replies) < 1000
    await _still_serves(rt)


async def test_at_most_20_subscriptions_and_unique_ids(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    for i in range(20):
        await c.subscribe(f"s{i}", *MONAS, 100 + i)
    await c.send({**_sub(), "id": "s0"})
    assert (await c.recv())["code"] == "duplicate_id"
    await c.send({**_sub(), "id": "s20"})
    assert (await c.recv())["code"] == "too_many_subscriptions"
    await c.close()


async def test_foreign_origin_is_refused_before_accept(rt: Runtime) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await WsClient.open(ws_url(rt), origin="https://evil.example")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        await WsClient.open(ws_url(rt), origin="null")
    # Looks like this host to a parser that reads up to the first colon (found in a cold trial).
    for lookalike in (f"http://127.0.0.1:{rt.settings.port}.evil.example", "http://user@127.0.0.1"):
        with pytest.raises(InvalidStatus):
            await WsClient.open(ws_url(rt), origin=lookalike)
    # Same host on another port (the web app on the API port), localhost, and no Origin at all are fine.
    for origin in (f"http://127.0.0.1:{rt.settings.port}", "http://localhost:3000", None):
        c = await WsClient.open(ws_url(rt), origin=origin)
        await c.send({"type": "ping"})
        assert (await c.recv())["type"] == "pong"
        await c.close()


async def test_configured_origins_are_matched_exactly(start_runtime: Any) -> None:
    async with start_runtime(allowed_origins=("https://warga.example",)) as runtime:
        c = await WsClient.open(ws_url(runtime), origin="https://warga.example")
        await c.close()
        with pytest.raises(InvalidStatus):
            await WsClient.open(ws_url(runtime), origin="http://localhost:3000")


async def test_sockets_per_ip_are_capped(start_runtime: Any) -> None:
    async with start_runtime(ws_max_per_ip=3) as runtime:
        clients = [await WsClient.open(ws_url(runtime)) for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await WsClient.open(ws_url(runtime))
        assert refused.value.response.status_code == 429
        await clients[0].close()
        await clients[0].ws.wait_closed()
        # A freed slot is reusable once the server has seen the close (WAIT_S: a ceiling, not a latency).
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while True:
            try:
                clients[0] = await WsClient.open(ws_url(runtime))
                break
            except InvalidStatus as refusal:
                assert refusal.response.status_code == 429, refusal
                assert asyncio.get_running_loop().time() < deadline, "the freed slot never became usable"
                await asyncio.sleep(0.02)
        for c in clients:
            await c.close()


async def test_the_per_address_cap_counts_the_forwarded_client_only_behind_a_trusted_proxy(
    start_runtime: Any,
) -> None:
    async def open_as(runtime: Any, forwarded_for: str) -> WsClient:
        return await WsClient.open(ws_url(runtime), additional_headers={"X-Forwarded-For": forwarded_for})

    # Behind a trusted proxy (here: loopback), each forwarded client has its own cap...
    async with start_runtime(ws_max_per_ip=1, trusted_proxies=("127.0.0.1",)) as runtime:
        first, second = await open_as(runtime, "203.0.113.7"), await open_as(runtime, "203.0.113.8")
        with pytest.raises(InvalidStatus) as refused:
            await open_as(runtime, "198.51.100.1, 203.0.113.7")  # a hop the client wrote itself, ignored
        assert refused.value.response.status_code == 429
        for c in (first, second):
            await c.close()
    # ...and with none trusted (the default) the header is the client's own words: one cap for the peer.
    async with start_runtime(ws_max_per_ip=1) as runtime:
        first = await open_as(runtime, "203.0.113.7")
        with pytest.raises(InvalidStatus) as refused:
            await open_as(runtime, "203.0.113.8")
        assert refused.value.response.status_code == 429
        await first.close()


async def test_sockets_per_user_are_capped(start_runtime: Any) -> None:
    async with start_runtime(ws_max_per_user=2) as runtime:
        _, token = await new_user(runtime, "budi")
        clients = []
        for _ in range(2):
            c = await WsClient.open(ws_url(runtime))
            await c.send({"type": "auth", "token": token})
            assert (await c.recv())["type"] == "authed"
            clients.append(c)
        third = await WsClient.open(ws_url(runtime))
        await third.send({"type": "auth", "token": token})
        assert (await third.recv())["code"] == "too_many_sockets"
        assert await third.closed_code() == 4009
        for c in clients:
            await c.close()


async def test_forged_token_gets_an_error_and_4001(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.send({"type": "auth", "token": "wrg_" + "A" * 43})
    assert (await c.recv())["code"] == "bad_token"
    assert await c.closed_code() == 4001
    await _still_serves(rt)


async def test_auth_comes_first_and_once(rt: Runtime) -> None:
    _, token = await new_user(rt, f"ani{random.randrange(10**9)}")
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 100)
    await c.send({"type": "auth", "token": token})
    assert (await c.recv())["code"] == "auth_first"
    await c.close()


async def _signed_in(runtime: Runtime, token: str) -> WsClient:
    c = await WsClient.open(ws_url(runtime))
    await c.send({"type": "auth", "token": token})
    assert (await c.recv())["type"] == "authed"
    await c.subscribe("s", *MONAS, 100)
    return c


async def test_logout_closes_that_sessions_sockets(rt: Runtime) -> None:
    handle = f"sari{random.randrange(10**9)}"
    _, token = await new_user(rt, handle)
    _, other_token = await new_user(rt, handle + "x")
    mine, other = await _signed_in(rt, token), await _signed_in(rt, other_token)
    transport = httpx.ASGITransport(app=build_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        r = await http.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    # Closed by the control message (immediately), not by the periodic re-check.
    assert await mine.closed_code() == 4002
    await other.send({"type": "ping"})
    assert (await other.recv())["type"] == "pong"
    await other.close()


async def test_role_change_closes_the_users_sockets(rt: Runtime) -> None:
    user_id, token = await new_user(rt, f"lurah{random.randrange(10**9)}", "official")
    c = await _signed_in(rt, token)
    async with rt.pool.acquire() as conn:
        await users_db.set_role(conn, user_id, "citizen")
    await rt.realtime.user_changed(user_id)
    assert await c.closed_code() == 4002


async def test_revocation_reaches_a_gateway_in_another_process_over_redis(
    pg_admin_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A logout handled by one runtime closes the socket held by another that shares Redis."""
    async with started_runtime(pg_admin_url, redis_url, tmp_path / "a") as web:
        url = web.settings.database_url
        assert url is not None
        holder_parts = Parts(web=False, gateway=True, relay=False)
        async with started_runtime(
            pg_admin_url, redis_url, tmp_path / "b", holder_parts, url.reveal()
        ) as holder:
            user_id, token = await new_user(web, "dewi")
            c = await _signed_in(holder, token)
            async with web.pool.acquire() as conn:
                await users_db.revoke_all_tokens(conn, user_id)
            await web.realtime.tokens_revoked(user_id)
            assert await c.closed_code() == 4002
