"""The Origin allow-list, checked before a websocket is accepted.

Browsers always send Origin on a websocket handshake, so a page on another site cannot open a socket in the
user's name. Configured origins (WARGA_ALLOWED_ORIGINS, e.g. `https://warga.example`) are matched exactly;
with none configured, the request's own host (any port) and localhost are allowed. A request without Origin
comes from a non-browser client (a mobile app, a script) and is allowed: it carries no ambient credentials,
since auth is an explicit message.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_LOCAL = frozenset({"localhost", "127.0.0.1", "::1"})


def _hostname(url: str) -> str | None:
    """The host of a well-formed `scheme://host[:port]` (or `//host[:port]`), else None. urlsplit alone
    reads `http://127.0.0.1:8000.evil.example` as host 127.0.0.1: the port must parse too."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username is not None:
        return None
    return parts.hostname


def allowed(origin: str | None, host_header: str | None, configured: tuple[str, ...]) -> bool:
    if origin is None:
        return True
    if configured:
        return origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in configured}
    name = _hostname(origin)
    if name is None:
        return False
    own = _hostname("//" + host_header) if host_header else None
    return name in _LOCAL or (own is not None and name == own)
