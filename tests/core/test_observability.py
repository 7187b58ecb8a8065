"""Logs are JSON with a request id and never a token; metrics are exposed per route template."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as redis
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from feed.app import build_app
from feed.core.observability import Observability, metrics_endpoint
from kernel import logs, metrics
from kernel.settings import Secret, Settings
from tests import services
from tests.photo_samples import phone_jpeg
from tests.realtime_client import MONAS, WsClient, emit, fake_post, started_runtime, until, ws_url
from warga.runtime import warn_without_autovacuum

# GET /metrics answers only this bearer token, and only when WARGA_METRICS_TOKEN is set (tests/
# test_cache_and_metrics.py checks the refusals).
METRICS_TOKEN = "observability-test-scrape-token"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def _echo(request: Request) -> JSONResponse:
    logging.getLogger("warga.test").info("saw header %s", request.headers.get("authorization"))
    return JSONResponse({"id": request.path_params["id"]})


def _app() -> Starlette:
    app = Starlette(
        routes=[Route("/things/{id}", _echo), Route("/metrics", metrics_endpoint)],
        middleware=[Middleware(Observability)],
    )
    app.state.runtime = SimpleNamespace(settings=Settings(metrics_token=Secret(METRICS_TOKEN)))
    return app


async def test_request_id_json_logs_and_no_token() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("info", stream)
    try:
        transport = httpx.ASGITransport(app=_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/things/7", headers={"Authorization": "Bearer wrg_supersecretvalue123"})
            r2 = await c.get("/things/8", headers={"X-Request-ID": "abc-123"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert r.status_code == 200 and len(r.headers["x-request-id"]) == 16
    assert r2.headers["x-request-id"] == "abc-123"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert "wrg_supersecretvalue123" not in stream.getvalue()
    assert any(line["msg"] == "saw header Bearer ***" for line in lines)
    access = [line for line in lines if line["logger"] == "warga.access"]
    assert [a["route"] for a in access] == ["/things/{id}", "/things/{id}"]
    assert access[0]["request_id"] == r.headers["x-request-id"]
    assert access[1]["request_id"] == "abc-123"


async def test_metrics_by_route_template() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for i in range(3):
            await c.get(f"/things/{i}")
        text = (await c.get("/metrics", headers=SCRAPE)).text
    samples = {
        (s.name, s.labels.get("route"), s.labels.get("status")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("warga_http_requests_total", "/things/{id}", "200")] >= 3
    assert not any(route == "/things/1" for _, route, _ in samples)
    assert ("warga_ws_open_sockets", None, None) in samples


# -- the whole process: every series an operator needs exists and moves when its thing happens ---------


def _scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _until(condition: Callable[[], bool]) -> None:
    """Wait for something the process does in the background (a hang guard, not a timing assertion)."""
    await until(condition, "the process did it", timeout_s=60)


async def test_every_operator_series_exists_and_moves(
    pg_admin_url: str, redis_url: str, tmp_path: Any
) -> None:
    async with started_runtime(
        pg_admin_url, redis_url, tmp_path, ws_queue_bytes=64 * 1024, metrics_token=Secret(METRICS_TOKEN)
    ) as runtime:
        transport = httpx.ASGITransport(app=build_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
                return _scrape((await http.get("/metrics", headers=SCRAPE)).text)

            before = await scrape()
            for _ in range(3):
                assert (await http.get("/api/categories")).status_code == 200
            gateway, relay = runtime.realtime.gateway, runtime.realtime.relay
            assert gateway is not None and relay is not None
            fast = await WsClient.open(ws_url(runtime))
            await fast.subscribe("s", *MONAS, 500)
            during = await scrape()

            # A socket that never reads: its backlog passes ws_queue_bytes and it is closed with 4008.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", gateway.port))
            slow = await WsClient.open(ws_url(runtime), sock=sock, max_queue=1)
            await slow.subscribe("s", *MONAS, 500)
            big = "x" * 20_000
            for _ in range(200):
                for _ in range(10):
                    await emit(runtime.pool, "post.created", fake_post(*MONAS, text=big))
                if any(client.closing for client in gateway._clients):
                    break
            last = await emit(runtime.pool, "post.created", fake_post(*MONAS))
            await fast.events_until("s", last)
            assert await slow.closed_code() == 4008

            # The broker's pub/sub connection dropped (as when Redis restarts): it reconnects and says so.
            broker = runtime.realtime.broker
            admin = redis.Redis.from_url(redis_url)
            ids = [c["id"] for c in await admin.client_list() if c.get("name") == broker.client_name]
            await admin.client_kill_filter(_id=ids[0])
            await admin.aclose()
            await _until(lambda: broker.reconnects > 0)

            # A photo in the pool: the queue gauge counts it while it is there, and the histogram times it.
            job = asyncio.create_task(runtime.photos.process(phone_jpeg()))
            await asyncio.sleep(0)  # process() counts the photo before its first await
            photo_during = await scrape()
            await job
            await fast.close()
            await _until(lambda: gateway.connections == 0)
            after = await scrape()

    route = {"route": "/api/categories", "method": "GET"}
    assert _value(after, "warga_http_requests_total", **route, status="200") >= (
        _value(before, "warga_http_requests_total", **route, status="200") + 3
    )
    assert _value(after, "warga_http_request_duration_seconds_count", **route) >= (
        _value(before, "warga_http_request_duration_seconds_count", **route) + 3
    )
    assert _value(after, "warga_http_request_duration_seconds_bucket", **route, le="+Inf") >= 3
    assert _value(during, "warga_ws_open_sockets") == _value(before, "warga_ws_open_sockets") + 1
    assert _value(after, "warga_ws_open_sockets") == _value(before, "warga_ws_open_sockets")
    for name in ("warga_ws_queue_drops_total", "warga_ws_slow_client_closes_total"):
        assert _value(after, name) >= _value(before, name) + 1, name
    for name in ("warga_ws_events_delivered_total", "warga_relay_published_total"):
        assert _value(after, name) >= _value(before, name) + 2, name
    assert _value(after, "warga_relay_lag_seconds") > 0
    assert (
        _value(after, "warga_broker_reconnects_total") >= _value(before, "warga_broker_reconnects_total") + 1
    )
    assert _value(photo_during, "warga_photo_queue") == _value(before, "warga_photo_queue") + 1
    assert _value(after, "warga_photo_queue") == _value(before, "warga_photo_queue")
    assert _value(after, "warga_photo_processing_seconds_count") >= (
        _value(before, "warga_photo_processing_seconds_count") + 1
    )


async def test_tokens_and_passwords_never_reach_logs_or_metrics(app: Any) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("debug", stream)  # the most a process ever logs
    password = "Sekret-Pa55word-Jakarta"
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.post("/api/auth/register", json={"handle": "leaky", "password": password})
            assert r.status_code == 201
            token = r.json()["token"]
            r = await http.post("/api/auth/login", json={"handle": "leaky", "password": password})
            token2 = r.json()["token"]
            bad = await http.post("/api/auth/login", json={"handle": "leaky", "password": password + "x"})
            assert bad.status_code == 401
            auth = {"Authorization": f"Bearer {token}"}
            assert (await http.get("/api/me", headers=auth)).status_code == 200
            # A token where one does not belong (the URL) and a refused one: both are logged paths.
            await http.get(f"/api/feed?lat=-6.2&lon=106.8&token={token2}", headers=auth)
            await http.get("/api/me", headers={"Authorization": f"Bearer {token2}x"})
            assert (await http.post("/api/auth/logout", headers=auth)).status_code in (200, 204)
            runtime = app.state.runtime
            configured = runtime.settings
            runtime.settings = configured.with_(metrics_token=Secret(METRICS_TOKEN))
            try:
                exposition = (await http.get("/metrics", headers=SCRAPE)).text
            finally:
                runtime.settings = configured
            assert "warga_http_requests_total" in exposition
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    logged = stream.getvalue()
    assert "warga.access" in logged  # the logs did capture the requests
    for secret in (password, token, token2, token[4:], token2[4:]):
        assert secret not in logged
        assert secret not in exposition


def test_processes_without_the_http_api_serve_metrics_on_their_own_port() -> None:
    port = services.free_port()
    server = metrics.serve(port, "127.0.0.1")
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        server.shutdown()
        server.server_close()
    assert "warga_ws_open_sockets" in text and "warga_relay_lag_seconds" in text
    assert "warga_gc_pause_seconds_bucket" in text


async def test_start_warns_when_the_server_never_analyzes(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The machine's PostgreSQL in CI runs with autovacuum off and the embedded one with it on: across the
    suite's two runs both answers are checked against the server's own pg_settings."""
    conn = await asyncpg.connect(database_url)
    try:
        off = await conn.fetchval("SELECT setting = 'off' FROM pg_settings WHERE name = 'autovacuum'")
        with caplog.at_level(logging.WARNING, logger="warga"):
            warned = await warn_without_autovacuum(conn)
    finally:
        await conn.close()
    assert warned is off
    said = [r.getMessage() for r in caplog.records if "autovacuum off" in r.getMessage()]
    assert len(said) == (1 if off else 0)
