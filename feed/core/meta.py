"""Health, readiness and client configuration; the public base of the absolute URLs the API emits."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse

from feed.core.context import runtime_of
from kernel.categories import as_json


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


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        async with runtime.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
    except Exception as exc:  # readiness reports any failure to reach the database as "not ready"
        return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"ok": True, "database": "up", "broker": runtime.realtime.broker_name})


async def config(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    settings = runtime.settings
    return JSONResponse(
        {
            "ws_url": runtime.realtime.ws_url(request),
            "media_base_url": settings.media_base_url or None,
            "tile_url": settings.tile_url or "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "categories": as_json(settings.sensitive_categories),
            "feed": {"default_radius_m": 2000, "max_radius_m": 10000, "max_limit": 100},
            "photos": {"max_count": 4, "max_bytes": settings.max_photo_bytes},
        }
    )
