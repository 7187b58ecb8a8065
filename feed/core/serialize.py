"""The JSON shapes of posts, comments and moderation entries, and the opaque paging cursor.

post_json is the ONE builder of a post's JSON: HTTP responses and outbox event payloads both use it, so a
live client and a refetching client see the same thing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from feed.core.errors import invalid


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z', the one timestamp format of the API."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def photo_json(photo: Mapping[str, Any], storage: Any) -> dict[str, Any]:
    variants = photo["variants"]
    return {
        "thumb_url": storage.url(variants["thumb"]["key"]),
        "display_url": storage.url(variants["display"]["key"]),
        "width": photo["width"],
        "height": photo["height"],
        "blurhash": photo["blurhash"],
    }


def post_json(row: Mapping[str, Any], storage: Any) -> dict[str, Any]:
    """A post as clients see it; `row` comes from db.posts (POST_COLUMNS). lat/lon are the public position."""
    return {
        "id": row["id"],
        "text": row["text"],
        "category": row["category"],
        "lat": row["pub_lat"],
        "lon": row["pub_lon"],
        "status": row["status"],
        "author": {"id": row["author_id"], "handle": row["author_handle"]},
        "created_at": row["created_at"],  # already ISO 8601 UTC text (db.posts.ISO_UTC)
        "updated_at": row["updated_at"],
        "votes": row["vote_count"],
        "comments": row["comment_count"],
        "photos": [photo_json(p, storage) for p in row["photos"] or ()],
        "hidden": row["hidden_at"] is not None,
        "area_id": row["area_id"],
        "attributes": row["attributes"],  # answers to the category's questions (feed/posts/categories.py)
        # A merged duplicate names its original, so clients can link to where the discussion went on.
        "merged_into": row["merged_into"],
    }


def comment_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "post_id": row["post_id"],
        "text": row["text"],
        "author": {"id": row["author_id"], "handle": row["author_handle"]},
        "created_at": iso(row["created_at"]),
        "hidden": row["hidden_at"] is not None,
    }


def log_json(row: Mapping[str, Any]) -> dict[str, Any]:
    actor = None
    if row["actor_id"] is not None:
        actor = {"id": row["actor_id"], "handle": row["actor_handle"]}
    return {
        "id": row["id"],
        "actor": actor,
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "reason": row["reason"],
        "created_at": iso(row["created_at"]),
    }


# Cursors are opaque to clients (so the encoding may change) but are simply "the last id seen": ids only
# grow, so "id < cursor" neither repeats nor skips while new rows arrive above it.
_CURSOR_PREFIX = "c1:"
NO_UPPER_BOUND = 2**63 - 1  # "id < this" with no cursor: above every bigint id


def id_page(rows: Sequence[Mapping[str, Any]], limit: int, item: Callable[[Any], Any]) -> dict[str, Any]:
    """A page answer ({"items", "next"}) from rows read newest id first with limit + 1: the extra row, if it
    came, says a next page exists, which starts below the last item shown."""
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > limit else None
    return {"items": [item(r) for r in page], "next": next_cursor}


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, name: str = "before") -> int | None:
    if raw is None or raw == "":
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise invalid({name: "not a valid cursor"}) from None
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or not 0 < int(number) < 2**63:
        raise invalid({name: "not a valid cursor"})
    return int(number)
