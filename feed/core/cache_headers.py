"""ASGI middleware: no shared or browser cache keeps a response that depends on who asked.

`Cache-Control: no-store` (replacing whatever the route set, unless that already says no-store) on every
response to a request that
- carries credentials: an Authorization header, or an Open311 `api_key` in the query string;
- is not a GET or HEAD (logins and registrations answer with a token; writes answer with the caller's view);
- was answered for a signed-in user (feed.core.auth.current_user found one, whatever carried the credential).
Everything else — the anonymous feed, categories, config, public photos, the web app — keeps its own
caching headers, plus `Vary: Authorization`, so a cache never answers a signed-in request with a stored
anonymous response.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = b"no-store"
_CACHEABLE_METHODS = frozenset({"GET", "HEAD"})


def _has_credentials(scope: Scope) -> bool:
    if any(name == b"authorization" for name, _ in scope["headers"]):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return "api_key" in query and any(k == "api_key" for k, _ in parse_qsl(query, keep_blank_values=True))


class CacheHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _has_credentials(scope) or scope["method"] not in _CACHEABLE_METHODS
        # The same dict as request.state further in (Starlette keeps it in scope["state"]), created here so
        # the user current_user caches there is visible when the response starts.
        state = scope.setdefault("state", {})

        async def send_with_cache_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if (private or state.get("user") is not None) and not _says_no_store(headers):
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"expires")]
                    headers.append((b"cache-control", NO_STORE))
                else:
                    headers = _vary_authorization(headers)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cache_headers)


def _says_no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    """The route already forbade storing it (e.g. `private, no-store` on a withheld photo): keep its words."""
    return any(k.lower() == b"cache-control" and NO_STORE in v.lower() for k, v in headers)


def _vary_authorization(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            parts = {p.strip().lower() for p in value.split(b",")}
            if b"authorization" in parts or b"*" in parts:
                return headers
            headers[i] = (name, value + b", Authorization")
            return headers
    return [*headers, (b"vary", b"Authorization")]
