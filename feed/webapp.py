"""The web app: static files shipped inside the package (no build step on the server), served compressed.

`/` is index.html with the map tile URL filled in and a Content-Security-Policy that allows only our own
scripts; `/static/*` is feed/static (ES modules, CSS, vendored Leaflet; see feed/static/vendor/README.md).
"""

from __future__ import annotations

import gzip
import html
from functools import lru_cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
_TILE_META = '<meta name="warga-tile-url" content="">'

# Scripts only from us (no inline script at all); photos and map tiles may come from a CDN or tile server,
# and the websocket may live on its own port or host.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https: http:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Vary": "Accept-Encoding",
}


@lru_cache(maxsize=4)
def _page(tile_url: str) -> tuple[bytes, bytes]:
    """index.html with the tile URL filled in, plain and gzipped; built once per tile URL."""
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    filled = f'<meta name="warga-tile-url" content="{html.escape(tile_url, quote=True)}">'
    body = text.replace(_TILE_META, filled).encode()
    return body, gzip.compress(body, mtime=0)


async def index(request: Request) -> Response:
    # The tile server is an operator's choice (WARGA_TILE_URL); empty = OpenStreetMap.
    tile_url = request.app.state.runtime.settings.tile_url
    plain, packed = _page(tile_url)
    headers = dict(HEADERS)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/html; charset=utf-8", headers=headers)
    return Response(plain, media_type="text/html; charset=utf-8", headers=headers)


def routes() -> list[BaseRoute]:
    return [
        Route("/", index),
        Mount("/static", app=GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=512), name="static"),
    ]
