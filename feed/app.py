"""The Starlette application: routes, error handlers and middleware; state lives on the Runtime."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from feed.accounts import routes as accounts
from feed.core import meta, openapi
from feed.core.cache_headers import CacheHeaders
from feed.core.context import AppRuntime
from feed.core.endpoint import endpoint
from feed.core.errors import (
    DATABASE_DOWN,
    ApiError,
    api_error_handler,
    database_down_handler,
    http_error_handler,
    unexpected_handler,
)
from feed.core.middleware import BodyLimit
from feed.core.observability import Observability, metrics_endpoint
from feed.core.shapes import Ok
from feed.notify import routes as notify
from feed.officials import routes as officials
from feed.open311 import routes as open311
from feed.posts import routes as posts
from feed.trust import routes as trust
from feed.webapp import pages as webapp


def routes() -> list[BaseRoute]:
    """Every route, each domain's from its own routes.py; the web app's catch-all mount last."""
    return [
        endpoint("/healthz", "GET", meta.healthz, summary="Liveness", tag="meta", response=Ok),
        endpoint(
            "/readyz",
            "GET",
            meta.readyz,
            summary="Readiness (database reachable)",
            tag="meta",
            response=meta.Ready,
            also={503: meta.Ready},
        ),
        endpoint(
            "/api/config",
            "GET",
            meta.config,
            summary="Client configuration (websocket URL, limits)",
            tag="meta",
            response=meta.Config,
        ),
        *accounts.routes(),
        *posts.routes(),
        *officials.routes(),
        *trust.routes(),  # docs/trust.md
        *notify.routes(),  # Web Push subscriptions and follows (docs/notifications.md)
        *open311.routes(),  # Open311 GeoReport v2 and open data (docs/open311.md)
        endpoint(
            "/openapi.json",
            "GET",
            openapi.document,
            summary="This document",
            tag="meta",
            response=dict[str, Any],
        ),
        endpoint(
            "/metrics",
            "GET",
            metrics_endpoint,
            summary="Prometheus metrics (text exposition format); needs Authorization: Bearer "
            "<WARGA_METRICS_TOKEN>, 404 when no token is configured",
            tag="meta",
            auth="required",
            media={"text/plain": str},
            description="metrics",
            errors=(401, 404),
        ),
        *webapp.routes(),
    ]


def build_app(runtime: AppRuntime) -> Starlette:
    handlers: dict[Any, Any] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
        Exception: unexpected_handler,
    }
    for exc_type in DATABASE_DOWN:
        handlers[exc_type] = database_down_handler
    app = Starlette(
        routes=routes(),
        exception_handlers=handlers,
        middleware=[
            Middleware(Observability),
            Middleware(CacheHeaders),  # no-store for what depends on the caller (core/cache_headers.py)
            Middleware(BodyLimit, limit=runtime.settings.max_upload_bytes),
        ],
    )
    app.state.runtime = runtime
    return app
