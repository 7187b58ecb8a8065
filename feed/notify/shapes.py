"""The notify domain's request and response shapes (msgspec): the browser's PushSubscription as it gives it,
and follows."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from feed.core.shapes import Cursor, page_size

# Push services' endpoints are a few hundred characters; keys are base64url: p256dh 65 bytes, auth 16.
Endpoint = Annotated[str, Meta(min_length=1, max_length=2048, description="The push service's URL.")]
Key = Annotated[str, Meta(min_length=1, max_length=256, pattern="^[A-Za-z0-9_-]+=*$")]
FOLLOWS_LIMIT, FOLLOWS_MAX_LIMIT = 50, 200


class SubscriptionKeys(msgspec.Struct):
    p256dh: Key  # the browser's P-256 public key, base64url (uncompressed point)
    auth: Key  # the browser's 16-byte auth secret, base64url


class PushSubscriptionBody(msgspec.Struct):
    """PushSubscription.toJSON() as the browser gives it, unchanged (unknown members are ignored: browsers
    may add some)."""

    endpoint: Endpoint
    keys: SubscriptionKeys
    expirationTime: int | float | None = None


class Unsubscribe(msgspec.Struct):
    endpoint: Endpoint


class Subscribed(msgspec.Struct):
    endpoint: str
    created: bool  # false: this endpoint was known already (a repeat answers 200)


class Following(msgspec.Struct):
    post_id: int
    following: bool


class Follow(msgspec.Struct):
    post_id: int
    followed_at: str


class FollowsParams(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, page_size(FOLLOWS_MAX_LIMIT)] = FOLLOWS_LIMIT
    before: Cursor = None
