"""The Starlette application: routes, error handlers and middleware; state lives on the Runtime."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from feed import openapi
from feed.accounts import sessions as accounts
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
from feed.officials import admin, agencies, areas, league, status
from feed.officials import routing as officials
from feed.open311 import export
from feed.open311 import georeport as open311
from feed.posts import categories, comments, nearby, votes
from feed.posts import photos as media_routes
from feed.posts import reports as posts
from feed.trust import appeals, duplicates, flags, moderation, queue, suspensions
from feed.webapp import pages as webapp


def routes() -> list[BaseRoute]:
    return [
        Route("/healthz", meta.healthz),
        Route("/readyz", meta.readyz),
        Route("/api/config", meta.config),
        Route("/api/categories", categories.list_categories),
        Route("/api/auth/register", accounts.register, methods=["POST"]),
        Route("/api/auth/login", accounts.login, methods=["POST"]),
        Route("/api/auth/logout", accounts.logout, methods=["POST"]),
        Route("/api/auth/logout-everywhere", accounts.logout_everywhere, methods=["POST"]),
        Route("/api/me/password", accounts.change_password, methods=["PUT"]),
        Route("/api/me", accounts.me),
        Route("/api/posts", posts.create, methods=["POST"]),
        Route("/api/photos/locate", posts.locate_photo, methods=["POST"]),
        Route("/api/posts/{id}", posts.get_post, methods=["GET"]),
        Route("/api/posts/{id}", posts.delete_post, methods=["DELETE"]),
        Route("/api/feed", nearby.feed, methods=["GET"]),
        Route("/api/posts/{id}/vote", votes.vote, methods=["PUT"]),
        Route("/api/posts/{id}/vote", votes.unvote, methods=["DELETE"]),
        Route("/api/posts/{id}/comments", comments.list_comments, methods=["GET"]),
        Route("/api/posts/{id}/comments", comments.create_comment, methods=["POST"]),
        Route("/api/comments/{id}", comments.delete_comment, methods=["DELETE"]),
        Route("/api/posts/{id}/hide", moderation.hide_post, methods=["POST"]),
        Route("/api/posts/{id}/unhide", moderation.unhide_post, methods=["POST"]),
        Route("/api/comments/{id}/hide", moderation.hide_comment, methods=["POST"]),
        Route("/api/comments/{id}/unhide", moderation.unhide_comment, methods=["POST"]),
        Route("/api/moderation/log", moderation.log, methods=["GET"]),
        Route("/media/{key:path}", media_routes.media, methods=["GET"]),
        Route("/api/areas", areas.lookup, methods=["GET"]),
        Route("/api/areas/{id}", areas.detail, methods=["GET"]),
        Route("/api/areas/{id}/stats", league.area_stats, methods=["GET"]),
        Route("/api/league", league.league, methods=["GET"]),
        Route("/api/officials/inbox", officials.inbox, methods=["GET"]),
        Route("/api/admin/officials", admin.add_official, methods=["POST"]),
        Route("/api/admin/officials", admin.remove_official, methods=["DELETE"]),
        Route("/api/admin/unrouted", officials.unrouted, methods=["GET"]),
        Route("/api/agencies", agencies.list_agencies, methods=["GET"]),
        Route("/api/agencies/{code}/stats", agencies.agency_stats, methods=["GET"]),
        Route("/api/admin/agencies", admin.add_agency, methods=["POST"]),
        Route("/api/posts/{id}/status", status.change_status, methods=["POST"]),
        Route("/api/posts/{id}/reopen", status.reopen, methods=["POST"]),
        Route("/api/posts/{id}/timeline", status.timeline, methods=["GET"]),
        # Trust and safety (docs/trust.md).
        Route("/api/posts/{id}/flag", flags.flag_post, methods=["POST"]),
        Route("/api/comments/{id}/flag", flags.flag_comment, methods=["POST"]),
        Route("/api/moderation/queue", queue.list_queue, methods=["GET"]),
        Route("/api/moderation/queue/{kind}/{id}", queue.resolve, methods=["POST"]),
        Route("/api/admin/users/{id}/suspend", suspensions.suspend, methods=["POST"]),
        Route("/api/appeals", appeals.create, methods=["POST"]),
        Route("/api/appeals", appeals.list_appeals, methods=["GET"]),
        Route("/api/appeals/{id}/decision", appeals.decide, methods=["POST"]),
        Route("/api/posts/{id}/merge", duplicates.merge, methods=["POST"]),
        Route("/api/posts/{id}/duplicates", duplicates.for_post, methods=["GET"]),
        Route("/openapi.json", openapi.spec, methods=["GET"]),
        # Open311 GeoReport v2 and open data (docs/open311.md).
        *open311_routes(),
        Route("/api/export", export.export, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *webapp.routes(),
    ]


def open311_routes() -> list[BaseRoute]:
    v2 = "/open311/v2"
    return [
        Route(v2 + "/discovery.{fmt}", open311.discovery, methods=["GET"]),
        Route(v2 + "/services.{fmt}", open311.services, methods=["GET"]),
        Route(v2 + "/services/{service_code}.{fmt}", open311.service_definition, methods=["GET"]),
        Route(v2 + "/requests.{fmt}", open311.create_request, methods=["POST"]),
        Route(v2 + "/requests.{fmt}", open311.list_requests, methods=["GET"]),
        Route(v2 + "/requests/{id}.{fmt}", open311.get_request, methods=["GET"]),
        Route(v2 + "/tokens/{token}.{fmt}", open311.get_token, methods=["GET"]),
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
