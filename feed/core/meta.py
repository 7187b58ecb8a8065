"""Health, readiness and client configuration; the public base of the absolute URLs the API emits."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from feed.core.context import runtime_of
from feed.core.endpoint import respond
from feed.core.shapes import Category
from kernel.categories import as_json


class Ready(msgspec.Struct, omit_defaults=True):
    ok: bool
    database: str  # "up", or the name of the error met reaching it
    broker: str | None = None


class FeedLimits(msgspec.Struct):
    default_radius_m: int
    max_radius_m: int
    max_limit: int


class PhotoLimits(msgspec.Struct):
    max_count: int
    max_bytes: int


class Config(msgspec.Struct):
    ws_url: str
    media_base_url: str | None
    tile_url: str
    categories: list[Category]
    feed: FeedLimits
    photos: PhotoLimits


def public_base(settings: Any) -> str:
    """Where clients reach this server, ending in "/" (Settings.public_base: never the Host header)."""
    base: str = settings.public_base
    return base


def absolute(settings: Any, url: str) -> str:
    """`url` as an absolute URL: already absolute (a CDN's media_base_url) as it is, else under public_base
    (keeping its path, so a public URL of https://example.org/warga gives https://example.org/warga/media/…)."""
    base = public_base(settings)
    if urlsplit(url).scheme:
        return url
    if url.startswith("//"):  # scheme-relative: the public URL's scheme
        return urlsplit(base).scheme + ":" + url
    return base + url.lstrip("/")


async def healthz(request: Request) -> Response:
    return respond({"ok": True})


async def readyz(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        async with runtime.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
    except Exception as exc:  # readiness reports any failure to reach the database as "not ready"
        return respond(Ready(False, type(exc).__name__), 503)
    return respond(Ready(True, "up", runtime.realtime.broker_name))


async def config(request: Request) -> Response:
    runtime = runtime_of(request)
    settings = runtime.settings
    return respond(
        {
            "ws_url": runtime.realtime.ws_url(request),
            "media_base_url": settings.media_base_url or None,
            "tile_url": settings.tile_url or "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "categories": as_json(settings.sensitive_categories),
            "feed": {"default_radius_m": 2000, "max_radius_m": 10000, "max_limit": 100},
            "photos": {"max_count": 4, "max_bytes": settings.max_photo_bytes},
        }
    )
