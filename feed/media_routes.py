"""GET /media/{key}: stored photo variants, served with media/'s safety and caching headers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from feed.errors import not_found
from media.serving import MEDIA_HEADERS


async def media(request: Request) -> Response:
    runtime = request.app.state.runtime
    key = request.path_params["key"]
    # Keys are content-addressed names the store made; anything path-like is refused before storage sees it.
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in key.split("/")):
        raise not_found("photo")
    found = await runtime.storage.read(key)
    if found is None:
        raise not_found("photo")
    data, content_type = found
    return Response(data, media_type=content_type, headers=MEDIA_HEADERS)
