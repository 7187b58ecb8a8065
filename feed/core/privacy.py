"""Location privacy: sensitive categories are shown at a fixed offset from the truth, and only the people
responsible for a report see where it really is.

The offset is HMAC-SHA256(secret, post id) turned into a bearing and a distance between half and the whole
of `fuzz_radius_m`: one fixed point per post, so asking again (or a thousand times) never averages back to
the truth, and never a point so close to the truth that it gives it away. The secret comes from settings or
is generated once and kept in the database (db.secrets), so it survives restarts and is shared by every
process.

Who sees the exact position (decided here, documented in docs/trust.md): the author, the officials of the
post's area or an area above it, the officials of the agency it was forwarded to, and moderators and admins
(who review personal-data flags).

Who sees a post or comment at all is the kernel's rule (kernel.visibility); `visible_to` asks it for a REST
caller, and the lookups below answer 404 for what the caller may not see.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from typing import Any

import asyncpg

from db import agencies as agencies_db
from db import comments as comments_db
from db import officials as officials_db
from db import posts as posts_db
from db import secrets as secrets_db
from feed.core.auth import User
from feed.core.context import AppRuntime
from feed.core.errors import not_found
from kernel import visibility
from kernel.geo import EARTH_RADIUS_M

_KEYS: dict[str, bytes] = {}  # dsn -> secret: read once per process


def _audience(post: Any, user: User | None) -> str:
    if user is None:
        return visibility.PUBLIC
    return visibility.audience(user.id, user.role, post["author_id"])


def visible_to(row: Any, user: User | None) -> bool:
    """Whether a post (a row with author_id, deleted_at, hidden_at, held_at) exists for `user`: the one
    rule (kernel.visibility) that events and the websocket follow too."""
    return visibility.post_visible(row, _audience(row, user))


async def visible_post(conn: asyncpg.Connection, post_id: int, user: User | None) -> asyncpg.Record:
    """The post (db.posts.get: author, photos) if `user` may see it; else 404, as if it did not exist."""
    row = await posts_db.get(conn, post_id)
    if row is None or not visible_to(row, user):
        raise not_found("post")
    return row


async def lock_visible_post(conn: asyncpg.Connection, post_id: int, user: User) -> asyncpg.Record:
    """Lock the post (db.posts.lock: its state columns) if `user` may see it; else 404. For staff that is
    every post not deleted."""
    state = await posts_db.lock(conn, post_id)
    if state is None or not visible_to(state, user):
        raise not_found("post")
    return state


async def lock_visible_comment(
    conn: asyncpg.Connection, comment_id: int, user: User
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """Lock a comment `user` may see and its post, returning (post, comment); else 404 "comment". For staff
    that is every comment not deleted on a post not deleted; for others, hidden ones are gone too."""
    # Post first, then comment: every comment write takes them in this order, so none deadlock.
    post_id = await comments_db.post_of(conn, comment_id)
    post = await posts_db.lock(conn, post_id) if post_id is not None else None
    comment = await comments_db.lock(conn, comment_id)
    if post is None or comment is None:
        raise not_found("comment")
    if not visibility.comment_visible(comment, post, _audience(post, user)):
        raise not_found("comment")
    return post, comment


async def fuzz_key(runtime: AppRuntime, conn: asyncpg.Connection) -> bytes:
    configured = runtime.settings.fuzz_secret
    if configured:
        return bytes(configured.reveal(), "utf-8")
    key = _KEYS.get(runtime.dsn)
    if key is None:
        key = _KEYS[runtime.dsn] = await secrets_db.get_or_create(conn, "fuzz", secrets.token_bytes(32))
    return key


def is_sensitive(settings: Any, category: str) -> bool:
    return category in settings.sensitive_categories


def fuzzed(key: bytes, post_id: int, lat: float, lon: float, radius_m: float) -> tuple[float, float]:
    digest = hmac.new(key, f"warga-post:{post_id}".encode(), hashlib.sha256).digest()
    u1 = int.from_bytes(digest[:8], "big") / 2**64
    u2 = int.from_bytes(digest[8:16], "big") / 2**64
    bearing = 2 * math.pi * u1
    distance = radius_m * (0.5 + 0.5 * u2)
    dlat = math.degrees(distance * math.cos(bearing) / EARTH_RADIUS_M)
    dlon = math.degrees(
        distance * math.sin(bearing) / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat))))
    )
    new_lat = max(-90.0, min(90.0, lat + dlat))
    new_lon = (lon + dlon + 180.0) % 360.0 - 180.0
    return new_lat, new_lon


def is_fuzzed(row: Any) -> bool:
    return bool(row["lat"] != row["pub_lat"] or row["lon"] != row["pub_lon"])


async def may_see_exact(conn: asyncpg.Connection, user: User | None, row: Any) -> bool:
    if user is None:
        return False
    if user.id == row["author_id"] or user.is_staff:
        return True
    if user.role != "official":
        return False
    if row["area_id"] is not None and await officials_db.covers(conn, user.id, row["area_id"]):
        return True
    # The agency a report was forwarded to has to find the place too.
    return row["agency_id"] is not None and await agencies_db.serves(conn, user.id, row["agency_id"])


async def exact_for(conn: asyncpg.Connection, user: User | None, row: Any) -> dict[str, float] | None:
    """{"lat","lon"} for a fuzzed post the caller may locate exactly; None otherwise (or if not fuzzed)."""
    if not is_fuzzed(row) or not await may_see_exact(conn, user, row):
        return None
    return {"lat": row["lat"], "lon": row["lon"]}
