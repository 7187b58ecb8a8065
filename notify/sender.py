"""One Web Push request (RFC 8030) and what its answer means: the payload encrypted for the browser (RFC
8291 aes128gcm, by pywebpush and http_ece), a VAPID signature for the push service's origin (RFC 8292, by
py_vapid), TTL, Urgency and Topic; sent through the egress guard (kernel/egress.py), which resolves, checks
and pins the push service's address at connect time, and never follows a redirect."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from py_vapid import VapidException
from pywebpush import WebPusher

from kernel import egress, vapid
from notify.message import MAX_PAYLOAD_BYTES

VAPID_LIFETIME_S = 12 * 3600  # RFC 8292 caps exp at 24 h; tokens are reused per origin for half of that
TOPIC_PREFIX = "warga-post-"  # + the post id: ≤ 32 URL-safe characters, one notification per report


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | retry | gone (the subscription is dead) | failed (do not retry) | refused (egress)
    detail: str = ""
    retry_after_s: float | None = None  # the push service's Retry-After, when it gave one


def topic(post_id: int) -> str:
    return f"{TOPIC_PREFIX}{post_id}"


def encrypt(payload: Mapping[str, Any], endpoint: str, p256dh: str, auth: str) -> bytes:
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if len(plaintext) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(plaintext)} bytes is over {MAX_PAYLOAD_BYTES}")
    pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
    body: bytes = pusher.encode(plaintext, "aes128gcm")["body"]
    return body


class PushSender:
    """Sends through one guarded httpx client; signs VAPID tokens per push-service origin."""

    def __init__(self, client: httpx.AsyncClient, vapid_key: bytes, subject: str, ttl_s: int) -> None:
        self._client = client
        self._signer = vapid.signer(vapid_key)
        self._subject = subject
        self._ttl_s = ttl_s
        self._tokens: dict[str, tuple[str, float]] = {}  # origin -> (Authorization, good until)

    async def send(self, delivery: Mapping[str, Any], *, allow_private: bool) -> Outcome:
        endpoint = delivery["endpoint"]
        try:
            egress.check_url(endpoint, allow_private=allow_private)  # the address: when connecting
            body = encrypt(delivery["payload"], endpoint, delivery["p256dh"], delivery["auth"])
        except egress.EgressRefused as exc:
            return Outcome("refused", str(exc))
        except ValueError as exc:  # keys that no longer decode, a payload over the limit
            return Outcome("failed", str(exc))
        try:
            authorization = self._authorization(endpoint)
        except VapidException as exc:  # an origin py_vapid cannot name in `aud` (an IPv6 literal)
            return Outcome("failed", str(exc))
        headers = {
            "Authorization": authorization,
            "TTL": str(self._ttl_s),
            "Urgency": delivery["urgency"],
            "Topic": topic(delivery["post_id"]),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        try:
            answer = await self._client.post(endpoint, content=body, headers=headers)
        except egress.EgressRefused as exc:
            return Outcome("refused", str(exc))
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken TLS: try again later
            return Outcome("retry", type(exc).__name__)
        return _meaning(answer)

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        now = time.time()
        cached = self._tokens.get(origin)
        if cached is not None and cached[1] > now:
            return cached[0]
        claims = {"aud": origin, "sub": self._subject, "exp": int(now) + VAPID_LIFETIME_S}
        value: str = self._signer.sign(claims)["Authorization"]
        self._tokens[origin] = (value, now + VAPID_LIFETIME_S / 2)
        return value


def _meaning(answer: httpx.Response) -> Outcome:
    status = answer.status_code
    if status in (200, 201, 202):
        return Outcome("sent")
    if status in (404, 410):
        return Outcome("gone", f"HTTP {status}")
    if status == 429 or status >= 500:
        return Outcome("retry", f"HTTP {status}", retry_after(answer.headers.get("retry-after")))
    return Outcome("failed", f"HTTP {status}")  # 400, 401/403 (VAPID refused), 413: retrying cannot help


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
