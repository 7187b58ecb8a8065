"""The Starlette application: routes, error handlers and middleware; state lives on the Runtime."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from feed import accounts, categories, meta, webapp
from feed.errors import (
    DATABASE_DOWN,
    ApiError,
    api_error_handler,
    database_down_handler,
    http_error_handler,
    unexpected_handler,
)
from feed.middleware import BodyLimit


def routes() -> list[BaseRoute]:
    return [
        Route("/healthz", meta.healthz),
        Route("/readyz", meta.readyz),
        Route("/api/config", meta.config),
        Route("/api/categories", categories.list_categories),
        Route("/api/auth/register", accounts.register, methods=["POST"]),
        Route("/api/auth/login", accounts.login, methods=["POST"]),
        Route("/api/auth/logout", accounts.logout, methods=["POST"]),
        Route("/api/me", accounts.me),
        *webapp.routes(),
    ]


def build_app(runtime: Any) -> Starlette:
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
        middleware=[Middleware(BodyLimit, limit=runtime.settings.max_upload_bytes)],
    )
    app.state.runtime = runtime
    return app
