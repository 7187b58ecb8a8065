"""POST and DELETE /api/push/subscriptions: a signed-in browser registers (or drops) its push endpoint, which
the server will POST to; so the endpoint passes the egress guard (kernel/egress.py) here, and again when the
notify worker connects."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response

from db import push as push_db
from feed.core.auth import require_user
from feed.core.context import runtime_of
from feed.core.endpoint import json_body, respond
from feed.core.errors import ApiError, invalid, not_found
from feed.notify.shapes import PushSubscriptionBody, Subscribed, Unsubscribe
from kernel import egress

P256_POINT_BYTES, AUTH_SECRET_BYTES = 65, 16
# Every notification is one POST per subscription: without a cap, one account could make the server send
# thousands of requests per event to a public host of its choosing. A person has a few browsers.
MAX_PER_USER = 20


async def subscribe(request: Request) -> Response:
    runtime = runtime_of(request)
    user = await require_user(request)
    body = await json_body(request, PushSubscriptionBody)
    _check_keys(body.keys.p256dh, body.keys.auth)
    try:
        await egress.check(body.endpoint, allow_private=runtime.settings.push_allow_private)
    except egress.EgressRefused as exc:
        raise invalid({"endpoint": str(exc)}) from None
    async with runtime.pool.acquire() as conn, conn.transaction():
        count = await push_db.lock_and_count(conn, user.id)  # one subscriber per account at a time
        if count >= MAX_PER_USER and not await push_db.known(conn, body.endpoint):
            raise ApiError(
                409,
                "too_many_subscriptions",
                f"At most {MAX_PER_USER} browsers per account; remove one first.",
                {"endpoint": "too many subscriptions"},
            )
        created = await push_db.subscribe(conn, user.id, body.endpoint, body.keys.p256dh, body.keys.auth)
    return respond(Subscribed(body.endpoint, created), 201 if created else 200)


async def unsubscribe(request: Request) -> Response:
    runtime = runtime_of(request)
    user = await require_user(request)
    body = await json_body(request, Unsubscribe)
    async with runtime.pool.acquire() as conn:
        if not await push_db.unsubscribe(conn, user.id, body.endpoint):
            raise not_found("subscription")
    return Response(status_code=204)


def _check_keys(p256dh: str, auth: str) -> None:
    """The keys must decode to what RFC 8291 needs, or nothing could ever be encrypted for them."""
    point, secret = _b64url(p256dh), _b64url(auth)
    if point is None or len(point) != P256_POINT_BYTES or point[0] != 4:
        raise invalid({"keys.p256dh": "not an uncompressed P-256 public key (base64url)"})
    if secret is None or len(secret) != AUTH_SECRET_BYTES:
        raise invalid({"keys.auth": "not a 16-byte auth secret (base64url)"})


def _b64url(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except ValueError:
        return None
