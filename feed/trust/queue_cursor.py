"""The moderation queue's cursor: the snapshot time the paging started at and the last item's sort keys
(db.flags.queue pages by keyset over that snapshot). Opaque to clients; a tampered one is a 422."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from feed.core.errors import invalid

_TAG = "q2"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
KINDS = ("post", "comment")


def _micros(at: datetime) -> int:
    # Integer arithmetic, not timestamp() floats: the keyset compares to the microsecond.
    return (at - _EPOCH) // _MICRO


def _at(micros: str) -> datetime:
    return _EPOCH + int(micros) * _MICRO


def encode(as_of: datetime, weight: Decimal, at: datetime, kind: str, item_id: int) -> str:
    text = f"{_TAG}:{_micros(as_of)}:{weight}:{_micros(at)}:{kind}:{item_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


Keys = tuple[Decimal, datetime, str, int]


def decode(raw: str | None) -> tuple[datetime, Keys] | None:
    """(as_of, (weight, at, kind, id)) of the last item shown, or None for the first page."""
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        tag, as_of, weight, at, kind, item_id = text.split(":")
        if tag != _TAG or kind not in KINDS or not 0 < int(item_id) < 2**63:
            raise ValueError(text)
        number = Decimal(weight)
        if not number.is_finite():
            raise ValueError(text)
        return _at(as_of), (number, _at(at), kind, int(item_id))
    except (binascii.Error, ValueError, InvalidOperation, OverflowError):
        raise invalid({"cursor": "not a valid cursor"}) from None
