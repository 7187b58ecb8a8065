"""Logs are JSON with a request id and never a token; metrics are exposed per route template."""

from __future__ import annotations

import io
import json
import logging

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from feed.observability import Observability, metrics_endpoint
from warga import logs


async def _echo(request: Request) -> JSONResponse:
    logging.getLogger("warga.test").info("saw header %s", request.headers.get("authorization"))
    return JSONResponse({"id": request.path_params["id"]})


def _app() -> Starlette:
    return Starlette(
        routes=[Route("/things/{id}", _echo), Route("/metrics", metrics_endpoint)],
        middleware=[Middleware(Observability)],
    )


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
        text = (await c.get("/metrics")).text
    samples = {
        (s.name, s.labels.get("route"), s.labels.get("status")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("warga_http_requests_total", "/things/{id}", "200")] >= 3
    assert not any(route == "/things/1" for _, route, _ in samples)
    assert ("warga_ws_open_sockets", None, None) in samples
