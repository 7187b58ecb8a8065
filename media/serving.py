"""Response headers for stored photos, wherever they are served from (warga's /media route or a CDN)."""

from __future__ import annotations

MEDIA_HEADERS: dict[str, str] = {
    # Never let a browser guess a type: a stored file is the image type we encoded, nothing else.
    "X-Content-Type-Options": "nosniff",
    # Opened directly, a photo runs in a sandbox: no script, no same-origin access, even if it were HTML.
    "Content-Security-Policy": "sandbox",
    # Keys are content hashes, so an object never changes: cache it forever.
    "Cache-Control": "public, max-age=31536000, immutable",
    # Photos may be shown by pages on another origin (the app served from a different host than the CDN).
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Referrer-Policy": "no-referrer",
}


def media_headers(content_type: str) -> dict[str, str]:
    """MEDIA_HEADERS plus the stored Content-Type, for a 200 response."""
    return {**MEDIA_HEADERS, "Content-Type": content_type}
