"""Health, readiness and client configuration."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from feed.categories import as_json


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    try:
        async with runtime.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
    except Exception as exc:  # readiness reports any failure to reach the database as "not ready"
        return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"ok": True, "database": "up", "broker": runtime.realtime.broker_name})


async def config(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
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
