"""Health, readiness and client configuration; the public base of the absolute URLs the API emits."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from db import push as push_db
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import respond
from feed.core.shapes import Category
from kernel import vapid
from kernel.categories import as_json

_VAPID_PUBLIC: dict[str, str] = {}  # per database: the key is made once and never changes


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


class PushConfig(msgspec.Struct):
    vapid_public_key: str  # the browser's applicationServerKey: base64url, uncompressed P-256 point


class Config(msgspec.Struct):
    ws_url: str
    media_base_url: str | None
    tile_url: str
    categories: list[Category]
    feed: FeedLimits
    photos: PhotoLimits
    push: PushConfig


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
            "push": {"vapid_public_key": await vapid_public_key(runtime)},
        }
    )


async def vapid_public_key(runtime: AppRuntime) -> str:
    """The public half of the VAPID key the notify worker signs with (db.push.vapid_key)."""
    key = _VAPID_PUBLIC.get(runtime.dsn)
    if key is None:
        configured = runtime.settings.vapid_private_key
        async with runtime.pool.acquire() as conn:
            raw = await push_db.vapid_key(conn, configured.reveal() if configured else None)
        key = _VAPID_PUBLIC[runtime.dsn] = vapid.public_key(raw)
    return key
