"""Per-request bookkeeping: the client's address (X-Forwarded-For / Forwarded believed from trusted proxies
only, kernel/proxies.py), a request id (accepted from X-Request-ID or made), an access log line, and
Prometheus latency by route template (never by raw path: ids would explode the label set)."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feed.core.context import runtime_of
from feed.core.errors import ApiError
from kernel import logs, metrics, proxies

access_log = logging.getLogger("warga.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def _route_template(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "?"))
    return "unmatched"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """Every line of one header, joined with "," (how repeated lines combine); None if absent."""
    return proxies.joined(v.decode("latin-1") for k, v in headers if k == name)


def resolve_client(scope: Scope, trusted: proxies.Trusted) -> Scope:
    """The scope with `client` set to the resolved address (the TCP peer unless it is a trusted proxy) and,
    from a trusted proxy, `scheme` from X-Forwarded-Proto; the peer is kept as `warga.peer`. Done once, here,
    so the rate limiter, the logs and every handler reading `request.client` see the same address."""
    client = scope.get("client")
    peer = client[0] if client else None
    if not trusted or not proxies.peer_is_trusted(peer, trusted):
        return scope
    headers = scope["headers"]
    address = proxies.client_address(
        peer, _header(headers, b"x-forwarded-for"), _header(headers, b"forwarded"), trusted
    )
    changed: dict[str, object] = {"warga.peer": peer}
    if address != peer:
        changed["client"] = (address, 0)
    proto = (_header(headers, b"x-forwarded-proto") or "").rpartition(",")[2].strip().lower()
    if proto in ("http", "https"):
        changed["scheme"] = proto
    return {**scope, **changed}


def _trusted(scope: Scope) -> proxies.Trusted:
    runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
    spec = getattr(getattr(runtime, "settings", None), "trusted_proxies", ())
    return proxies.parse_trusted(tuple(spec)) if spec else ()


class Observability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = resolve_client(scope, _trusted(scope))
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
        token = logs.request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            metrics.http_requests.labels(route, method, str(status)).inc()
            metrics.http_latency.labels(route, method).observe(elapsed)
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                    "route": route,
                    "client": client[0] if client else None,
                },
            )
            logs.request_id.reset(token)


# --- GET /metrics access (issue #18): not public. Without WARGA_METRICS_TOKEN it is a 404 like any unknown
# path; with it, only `Authorization: Bearer <that token>` gets the text, anything else a 401.
# docs/operations.md "Where to scrape".
async def metrics_endpoint(request: Request) -> Response:
    expected = runtime_of(request).settings.metrics_token
    if not expected:
        raise ApiError(404, "not_found", "Not Found")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    matches = hmac.compare_digest(presented.strip().encode(), expected.reveal().encode())
    if scheme.lower() != "bearer" or not matches:
        challenge = {"WWW-Authenticate": "Bearer"}
        raise ApiError(401, "unauthorized", "Metrics need the metrics token.", headers=challenge)
    return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
