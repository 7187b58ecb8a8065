"""Response headers for stored photos, wherever they are served from (warga's /media route or a CDN).

Photos follow their post (docs/photos.md): a photo of a post that anyone may see is public and may be cached,
but only briefly, because a moderator may hide the post at any moment and a shared cache must stop serving it
soon after. A photo that only some callers may see (a held post to its author, a hidden one to staff) is
never stored by any cache.
"""

from __future__ import annotations

# Browsers keep a public photo 5 minutes; shared caches (CDN, proxy) 1 minute and never serve it stale
# (proxy-revalidate; no stale-while-revalidate / stale-if-error), so a hidden post's photo stops being served
# within PUBLIC_CACHE_BOUND_S of the hide even if nobody purges it. Keys are content hashes, so a
# revalidation (If-None-Match on the ETag) is answered 304 after the visibility check, without the bytes.
PUBLIC_CACHE_CONTROL = "public, max-age=300, s-maxage=60, proxy-revalidate"
PUBLIC_CACHE_BOUND_S = 60  # shared caches; a browser that already showed the photo may keep it 300 s
PRIVATE_CACHE_CONTROL = "private, no-store"

MEDIA_HEADERS: dict[str, str] = {
    # Never let a browser guess a type: a stored file is the image type we encoded, nothing else.
    "X-Content-Type-Options": "nosniff",
    # Opened directly, a photo runs in a sandbox: no script, no same-origin access, even if it were HTML.
    "Content-Security-Policy": "sandbox",
    # Public and briefly cacheable (see above): never `immutable`, whatever the key says about the bytes.
    "Cache-Control": PUBLIC_CACHE_CONTROL,
    # Photos may be shown by pages on another origin (the app served from a different host than the CDN).
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Referrer-Policy": "no-referrer",
}

# A photo served only because of who asks (staff, or a held post's author): no cache may keep it.
PRIVATE_MEDIA_HEADERS: dict[str, str] = {**MEDIA_HEADERS, "Cache-Control": PRIVATE_CACHE_CONTROL}


def media_headers(content_type: str) -> dict[str, str]:
    """MEDIA_HEADERS plus the stored Content-Type, for a 200 response."""
    return {**MEDIA_HEADERS, "Content-Type": content_type}
