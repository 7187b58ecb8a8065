"""A real Web Push service for the tests (RFC 8030's receiving side) and a client that plays the browser.

PushService answers `POST /push/{id}` over a real socket as Mozilla's and Google's services do (201 and a
Location, 413 over 4,096 bytes, 400 for a missing TTL or a bad Topic or Urgency, 404 for an unknown
subscription), records every attempt, and can be scripted per subscription: gone, throttled, failing, stalled.
BrowserClient makes the keys a browser makes, hands out its PushSubscription JSON and decrypts what arrives
(RFC 8291, with http_ece). verify_vapid checks an Authorization header as a push service must (RFC 8292).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.services import served_by_uvicorn

# What real services accept (RFC 8030 §7.2 lets them refuse more; Chrome's and Firefox's refuse over 4,096).
MAX_PAYLOAD = 4096
# A guard against hangs, not a timing assertion: a message normally arrives in milliseconds.
WAIT_S = 10.0
URGENCIES = ("very-low", "low", "normal", "high")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")  # RFC 8030 §5.4: at most 32 base64url characters
_RECORDED = ("ttl", "urgency", "topic", "content-encoding", "authorization", "crypto-key", "encryption")
_VAPID_MAX_AHEAD_S = 24 * 60 * 60  # RFC 8292 §2: exp no more than 24 hours from the request


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PushRequest:
    """One POST the service received, whatever it answered; `headers` has lower-case names."""

    sub_id: str
    endpoint: str
    body: bytes
    headers: dict[str, str]
    status: int
    received_at: float  # time.time() when the request's body had arrived

    @property
    def ttl(self) -> int | None:
        value = self.headers.get("ttl")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def urgency(self) -> str | None:
        return self.headers.get("urgency")

    @property
    def topic(self) -> str | None:
        return self.headers.get("topic")

    @property
    def content_encoding(self) -> str | None:
        return self.headers.get("content-encoding")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def crypto_key(self) -> str | None:
        return self.headers.get("crypto-key")

    def verify_vapid(self, public_key: str) -> dict[str, Any]:
        """verify_vapid on this request's own headers and endpoint."""
        assert self.authorization is not None, f"push to {self.endpoint} has no Authorization header"
        return verify_vapid(self.authorization, self.endpoint, public_key, crypto_key=self.crypto_key)


@dataclass
class _Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False


class PushService:
    """An RFC 8030 push service on 127.0.0.1 (plain http, a free port), as an async context manager.

    Answers, in order: a scripted `gone` (every time), then the next scripted one-off answer (throttle, fail,
    stall), then the protocol's checks (404 unknown subscription, 413, 400), else 201 and the message is kept.
    """

    def __init__(self, *, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self.origin = ""  # "http://127.0.0.1:<port>" once started
        self._subscriptions: set[str] = set()
        self._requests: list[PushRequest] = []
        self._gone: dict[str, int] = {}
        self._scripts: dict[str, deque[_Answer]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._release = asyncio.Event()
        self._closing = False
        self._stack: contextlib.AsyncExitStack | None = None

    async def __aenter__(self) -> PushService:
        app = Starlette(routes=[Route("/push/{sub_id}", self._receive, methods=["POST"])])
        stack = contextlib.AsyncExitStack()
        self.origin = await stack.enter_async_context(served_by_uvicorn(app))
        # Stalled requests must be answered before uvicorn stops, or its shutdown waits for them forever.
        stack.callback(self._close)
        self._stack = stack
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    # Subscriptions and scripts

    def subscribe(self) -> str:
        """A new subscription id; its endpoint is `endpoint(id)`. Pushes to ids never handed out get 404."""
        sub_id = b64url(os.urandom(12))
        self._subscriptions.add(sub_id)
        return sub_id

    def endpoint(self, sub_id: str) -> str:
        assert self.origin, "PushService is not running (use it as `async with PushService() as service`)"
        return f"{self.origin}/push/{sub_id}"

    def gone(self, sub_id: str, status: int = 410) -> None:
        """Every push to this subscription from now on is answered `status` (410 Gone, or 404)."""
        assert status in (404, 410), status
        self._gone[sub_id] = status

    def throttle(self, sub_id: str, retry_after: str = "1", times: int = 1) -> None:
        """The next `times` pushes are answered 429 with this Retry-After (seconds or an HTTP date)."""
        self._script(sub_id, times, _Answer(429, {"Retry-After": retry_after}))

    def fail(self, sub_id: str, status: int = 500, times: int = 1) -> None:
        """The next `times` pushes are answered `status` (a 5xx) without keeping the message."""
        self._script(sub_id, times, _Answer(status))

    def stall(self, sub_id: str, times: int = 1) -> None:
        """The next `times` pushes get no answer until `release()` or the service stops (sender timeouts)."""
        self._script(sub_id, times, _Answer(504, stall=True))

    def release(self) -> None:
        """Answer every push stalled so far (504); pushes scripted to stall after this stall again."""
        self._release.set()
        self._release = asyncio.Event()

    def _close(self) -> None:
        self._closing = True
        self.release()

    def _script(self, sub_id: str, times: int, answer: _Answer) -> None:
        assert times >= 1, times
        self._scripts.setdefault(sub_id, deque()).extend([answer] * times)

    # What arrived

    def requests(self, sub_id: str | None = None) -> list[PushRequest]:
        """Every POST received (to one subscription, or all), whatever it was answered, in arrival order."""
        return [r for r in self._requests if sub_id is None or r.sub_id == sub_id]

    def messages(self, sub_id: str | None = None) -> list[PushRequest]:
        """The pushes accepted (201), in arrival order."""
        return [r for r in self.requests(sub_id) if r.status == 201]

    async def wait_for(self, sub_id: str, count: int = 1, within: float = WAIT_S) -> list[PushRequest]:
        """The first `count` accepted messages for the subscription; AssertionError if they have not all come
        within `within` seconds."""
        await self._wait(lambda: len(self.messages(sub_id)) >= count, within, f"{count} message(s)", sub_id)
        return self.messages(sub_id)[:count]

    async def wait_for_attempts(
        self, sub_id: str, count: int = 1, within: float = WAIT_S
    ) -> list[PushRequest]:
        """Like wait_for, counting every attempt whatever it was answered: to see a sender retry."""
        await self._wait(lambda: len(self.requests(sub_id)) >= count, within, f"{count} attempt(s)", sub_id)
        return self.requests(sub_id)[:count]

    async def _wait(self, done: Callable[[], bool], within: float, what: str, sub_id: str) -> None:
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(done)
        except TimeoutError:
            answers = [r.status for r in self.requests(sub_id)]
            raise AssertionError(
                f"expected {what} pushed to {sub_id} within {within}s; the attempts got {answers}"
            ) from None

    # The HTTP side

    async def _receive(self, request: Request) -> Response:
        sub_id = request.path_params["sub_id"]
        body = await request.body()
        headers = {name: request.headers[name] for name in _RECORDED if name in request.headers}
        answer = self._answer(sub_id, body, headers)
        # Recorded before a stall, so a test can see the sender arrive, then release() it.
        pushed = PushRequest(sub_id, self.endpoint(sub_id), body, headers, answer.status, time.time())
        await self._record(pushed)
        if answer.stall and not self._closing:
            await self._release.wait()
        response_headers = dict(answer.headers)
        if answer.status == 201:
            response_headers["Location"] = f"{self.origin}/m/{next(self._ids)}"
        text = "" if answer.status == 201 else _REASONS.get(answer.status, "refused")
        return Response(text, status_code=answer.status, headers=response_headers)

    def _answer(self, sub_id: str, body: bytes, headers: dict[str, str]) -> _Answer:
        if sub_id in self._gone:
            return _Answer(self._gone[sub_id])
        script = self._scripts.get(sub_id)
        if script:
            return script.popleft()
        if sub_id not in self._subscriptions:
            return _Answer(404)
        if len(body) > self.max_payload:
            return _Answer(413)
        if not headers.get("ttl", "").isdigit():
            return _Answer(400, {"X-Reason": "TTL header missing or not a number of seconds"})
        if "urgency" in headers and headers["urgency"] not in URGENCIES:
            return _Answer(400, {"X-Reason": f"Urgency must be one of {URGENCIES}"})
        if "topic" in headers and not _TOPIC.fullmatch(headers["topic"]):
            return _Answer(400, {"X-Reason": "Topic must be 1 to 32 base64url characters"})
        if body and "content-encoding" not in headers:
            return _Answer(400, {"X-Reason": "a payload needs Content-Encoding"})
        return _Answer(201)

    async def _record(self, pushed: PushRequest) -> None:
        async with self._changed:
            self._requests.append(pushed)
            self._changed.notify_all()


_REASONS = {
    400: "bad request",
    404: "no such subscription",
    410: "subscription gone",
    413: "payload too large",
    429: "too many requests",
    500: "internal error",
    503: "unavailable",
    504: "stalled",
}


class BrowserClient:
    """Plays the browser: subscribes at the push service with a new P-256 key pair and 16-byte auth secret."""

    def __init__(self, service: PushService) -> None:
        self.service = service
        self.sub_id = service.subscribe()
        self.endpoint = service.endpoint(self.sub_id)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def subscription(self) -> dict[str, Any]:
        """PushSubscription.toJSON(), exactly as a browser gives it (a fresh dict each time)."""
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth_secret)},
            "expirationTime": None,
        }

    def decrypt_bytes(self, message: PushRequest | bytes) -> bytes:
        """The plaintext of an RFC 8291 aes128gcm body (a PushRequest's Content-Encoding must say so)."""
        if isinstance(message, PushRequest):
            assert message.content_encoding == "aes128gcm", (
                f"Content-Encoding is {message.content_encoding!r}, not aes128gcm (RFC 8291)"
            )
            message = message.body
        return bytes(
            http_ece.decrypt(
                message, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
            )
        )

    def decrypt(self, message: PushRequest | bytes) -> Any:
        """The plaintext, parsed if it is JSON (what a service worker's `event.data.json()` would see)."""
        plain = self.decrypt_bytes(message)
        try:
            return json.loads(plain)
        except ValueError:
            return plain

    async def receive(self, count: int = 1, within: float = WAIT_S) -> list[Any]:
        """The first `count` messages pushed to this browser, decrypted; AssertionError after `within` s."""
        return [self.decrypt(m) for m in await self.service.wait_for(self.sub_id, count, within)]


def verify_vapid(
    authorization: str, endpoint: str, public_key: str, *, crypto_key: str | None = None
) -> dict[str, Any]:
    """The claims of a valid RFC 8292 `vapid t=<JWT>, k=<key>` header (or the draft `WebPush <JWT>` with the
    key in Crypto-Key's p256ecdsa), signed by `public_key` (base64url, uncompressed P-256) for `endpoint`'s
    origin. Raises AssertionError saying what is wrong."""
    token, key = _vapid_token_and_key(authorization, crypto_key)
    assert _key_bytes(key) == _key_bytes(public_key), (
        f"VAPID key {key!r} is not the server's public key {public_key!r}"
    )
    header, claims = _verified_jwt(token, key)
    assert header.get("alg") == "ES256", f"VAPID JWT alg is {header.get('alg')!r}, not ES256"
    origin = _origin(endpoint)
    aud = claims.get("aud")
    assert aud == origin, f"VAPID aud {aud!r} is not the endpoint's origin {origin!r}"
    exp, now = claims.get("exp"), time.time()
    assert isinstance(exp, int), f"VAPID exp {exp!r} is not an integer"
    assert exp > now, f"VAPID exp {exp} is in the past (now {now:.0f})"
    assert exp <= now + _VAPID_MAX_AHEAD_S, f"VAPID exp {exp} is more than 24 h ahead (now {now:.0f})"
    sub = claims.get("sub")
    assert isinstance(sub, str) and _contact(sub), f"VAPID sub {sub!r} is not a mailto: or https: URL"
    return claims


def _vapid_token_and_key(authorization: str, crypto_key: str | None) -> tuple[str, str]:
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() == "vapid":
        params = _params(rest, ",")
        assert "t" in params and "k" in params, f"vapid Authorization lacks t= or k=: {authorization!r}"
        return params["t"], params["k"]
    assert scheme.lower() == "webpush", f"Authorization scheme {scheme!r} is neither vapid nor WebPush"
    assert crypto_key, "a WebPush Authorization needs a Crypto-Key header with p256ecdsa="
    params = _params(crypto_key.replace(";", ","), ",")
    assert "p256ecdsa" in params, f"Crypto-Key has no p256ecdsa=: {crypto_key!r}"
    return rest.strip(), params["p256ecdsa"]


def _params(text: str, separator: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in text.split(separator) if part.strip())
    return {name.strip().lower(): value.strip().strip('"') for name, _, value in pairs}


def _key_bytes(key: str) -> bytes:
    try:
        raw = unb64url(key.strip())
    except (ValueError, binascii.Error):
        raise AssertionError(f"VAPID key {key!r} is not base64url") from None
    assert len(raw) == 65 and raw[0] == 4, f"VAPID key {key!r} is not an uncompressed P-256 point"
    return raw


def _verified_jwt(token: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    assert len(parts) == 3, f"VAPID token is not a JWS compact serialization: {token!r}"
    try:
        header, claims = json.loads(unb64url(parts[0])), json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise AssertionError(f"VAPID token is not base64url JSON: {token!r}") from None
    assert len(signature) == 64, f"ES256 signature is {len(signature)} bytes, not 64 (r || s)"
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _key_bytes(key))
    try:
        public.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("VAPID token's ES256 signature does not verify with its key") from None
    assert isinstance(header, dict) and isinstance(claims, dict), "VAPID JWT header or claims not an object"
    return header, claims


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _contact(sub: str) -> bool:
    parts = urlsplit(sub)
    if parts.scheme == "mailto":
        return "@" in parts.path
    return parts.scheme == "https" and bool(parts.netloc)
