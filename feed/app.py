"""The Starlette application: routes, error handlers and middleware; state lives on the Runtime."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from feed import openapi
from feed.accounts import routes as accounts
from feed.core import meta
from feed.core.cache_headers import CacheHeaders
from feed.core.context import AppRuntime
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
from feed.officials import routes as officials
from feed.open311 import routes as open311
from feed.posts import routes as posts
from feed.trust import routes as trust
from feed.webapp import pages as webapp


def routes() -> list[BaseRoute]:
    """Every route, each domain's from its own routes.py; the web app's catch-all mount last."""
    return [
        Route("/healthz", meta.healthz),
        Route("/readyz", meta.readyz),
        Route("/api/config", meta.config),
        *accounts.routes(),
        *posts.routes(),
        *officials.routes(),
        *trust.routes(),  # docs/trust.md
        *open311.routes(),  # Open311 GeoReport v2 and open data (docs/open311.md)
        Route("/openapi.json", openapi.spec, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
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
