"""The web app: static files shipped inside the package (no build step on the server), served compressed.

`/` is index.html with the map tile URL filled in and a Content-Security-Policy that allows only our own
scripts, images only from us, the tile server and the media base, and connections only to us and the
websocket that /api/config advertises; `/static/*` is static/ (ES modules, CSS, vendored Leaflet; see
static/vendor/README.md).
"""

from __future__ import annotations

import gzip
import html
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from feed.core.context import runtime_of
from feed.core.endpoint import endpoint

STATIC = Path(__file__).parent / "static"
_TILE_META = '<meta name="warga-tile-url" content="">'
# map.js's default when settings.tile_url is empty (and /api/config's).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# A host CSP can name: DNS labels or an IPv4 address (CSP has no syntax for IPv6 literals).
_HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def source_of(url: str, schemes: tuple[str, ...]) -> str | None:
    """The CSP source expression for the origin of `url` ("https://cdn.example.org:8443"), or None when
    `url` is on this server (relative: covered by 'self') or is not a URL of one of `schemes`.

    A tile template's `{s}` (or any placeholder) in the leftmost host label becomes `*`
    (`https://{s}.tile.example.org/...` → `https://*.tile.example.org`). A host CSP cannot spell (an IPv6
    literal, a placeholder further right) falls back to the bare scheme ("wss:"), wider but still working.
    """
    url = url.strip()
    if not url or (url.startswith("/") and not url.startswith("//")):
        return None
    parts = urlsplit(url if "://" in url or url.startswith("//") else "//" + url)
    scheme = parts.scheme.lower()
    if scheme and scheme not in schemes:
        return None
    prefix = f"{scheme}://" if scheme else ""
    netloc = parts.netloc.rsplit("@", 1)[-1]
    host, port = netloc, ""
    if not netloc.endswith("]") and re.search(r":[0-9]+$", netloc):
        host, port = netloc.rsplit(":", 1)
        port = ":" + port
    labels = host.split(".")
    if labels and _PLACEHOLDER.search(labels[0]):
        labels[0] = "*"
    wildcard = labels[0] == "*" and len(labels) > 1
    name = ".".join(labels[1:] if wildcard else labels)
    if not host or not _HOST.match(name) or _PLACEHOLDER.search(name):
        return f"{scheme}:" if scheme else None
    return prefix + ("*." if wildcard else "") + name + port


@lru_cache(maxsize=64)
def csp(ws_url: str, tile_url: str, media_base_url: str) -> str:
    """The page's Content-Security-Policy for where its socket, tiles and photos live.

    Scripts only from us (no inline script, no inline event handler, no eval). Images from us (photos under
    /media, Leaflet's icons), the tile server, the media base, `data:` (Leaflet's empty image for a cancelled
    tile; the page's empty favicon) and `blob:` (the report form's photo previews). Connections to us and the
    websocket /api/config advertises (ws_public_url, or this request's host on the websocket port). Inline
    styles stay allowed as before (docs/webapp.md, "Content-Security-Policy").
    """
    images = ["'self'", "data:", "blob:"]
    for url in (tile_url or OSM_TILES, media_base_url):
        source = source_of(url, ("https", "http"))
        if source and source not in images:
            images.append(source)
    connect = ["'self'"]
    socket = source_of(ws_url, ("wss", "ws"))
    if socket:
        connect.append(socket)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src " + " ".join(images),
            "connect-src " + " ".join(connect),
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


HEADERS = {
    "Cache-Control": "no-cache",
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
    runtime = runtime_of(request)
    settings = runtime.settings
    tile_url = settings.tile_url
    plain, packed = _page(tile_url)
    headers = dict(HEADERS)
    # The socket's origin is the one /api/config hands this same request (feed/core/meta.py).
    headers["Content-Security-Policy"] = csp(
        runtime.realtime.ws_url(request), tile_url, settings.media_base_url
    )
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/html; charset=utf-8", headers=headers)
    return Response(plain, media_type="text/html; charset=utf-8", headers=headers)


# The service worker's own policy: it fetches nothing and imports nothing.
SW_CSP = "default-src 'none'"


@lru_cache(maxsize=1)
def _worker() -> tuple[bytes, bytes]:
    body = (STATIC / "sw.js").read_bytes()
    return body, gzip.compress(body, mtime=0)


async def service_worker(request: Request) -> Response:
    """static/sw.js at the site root, so its scope may be the whole site (docs/notifications.md)."""
    plain, packed = _worker()
    headers = dict(HEADERS)
    headers["Content-Security-Policy"] = SW_CSP
    headers["Service-Worker-Allowed"] = "/"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript; charset=utf-8", headers=headers)
    return Response(plain, media_type="text/javascript; charset=utf-8", headers=headers)


def routes() -> list[BaseRoute]:
    return [
        endpoint(
            "/",
            "GET",
            index,
            summary="The web app",
            tag="meta",
            media={"text/html": None},
            description="HTML page",
        ),
        endpoint(
            "/sw.js",
            "GET",
            service_worker,
            summary="The web app's service worker (Web Push)",
            tag="meta",
            media={"text/javascript": None},
            description="JavaScript",
        ),
        Mount("/static", app=GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=512), name="static"),
    ]
