"""Flags: any signed-in user flags a post or comment once, with a reason. Each flag carries a weight; when the
pending flags on a target weigh `flag_threshold` (default 3.0) or more it is hidden pending review (reason
"flags", logged with no actor: the system did it) and waits in the moderation queue.

Weight (fixed when the flag is made):
    0 for a citizen account younger than a day or with no published report (visible: not held, hidden
      or deleted) -- such a flag is recorded and shown to moderators but hides nothing;
    else base   = 0.5 if the account is younger than 7 days, else 1.0
         record = (1 + upheld) / (1 + rejected)   over the flagger's resolved flags
         weight = clamp(base * record, 0.25, 2.0)
So three flags from established accounts hide a post, six from week-old ones, two from proven flaggers;
someone whose flags keep being rejected counts a quarter, and no number of fresh sign-ups hides anything.
Officials, moderators and admins are appointed, not signed up: the zero rule is for citizens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import comments as comments_db
from db import flags as flags_db
from db import moderation as moderation_db
from db import posts as posts_db
from feed.core.auth import User, require_user
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import json_body
from feed.core.errors import ApiError
from feed.core.outbox import emit
from feed.core.parse import path_id
from feed.core.privacy import lock_visible_comment, lock_visible_post
from feed.trust.shapes import NewFlag

YOUNG = timedelta(days=7)
UNPROVEN = timedelta(days=1)  # younger than this, a citizen's flag weighs nothing
MIN_WEIGHT, MAX_WEIGHT = 0.25, 2.0


def weight(account_age: timedelta, upheld: int, rejected: int, proven: bool = True) -> float:
    """`proven`: the account may weigh at all (not a citizen, or a citizen with a published report); a day
    old is checked here."""
    if not proven or account_age < UNPROVEN:
        return 0.0
    base = 0.5 if account_age < YOUNG else 1.0
    return max(MIN_WEIGHT, min(MAX_WEIGHT, base * (1 + upheld) / (1 + rejected)))


async def _flagger(request: Request) -> tuple[User, str, str | None]:
    """Who flags, why and with what note, metered: one rate limit for flags on posts and on comments."""
    user = await require_user(request)
    flag = await json_body(request, NewFlag)
    await runtime_of(request).limits.check(request, "flag", user.id)
    return user, flag.reason, flag.note


async def _weigh(conn: asyncpg.Connection, user: User) -> float:
    upheld, rejected, published = await flags_db.standing(conn, user.id)
    proven = user.role != "citizen" or published
    return weight(datetime.now(UTC) - user.created_at, upheld, rejected, proven)


def _flag_json(
    flag_id: int, kind: str, target_id: int, reason: str, w: float, hidden: bool
) -> dict[str, Any]:
    return {
        "id": flag_id,
        "target_type": kind,
        "target_id": target_id,
        "reason": reason,
        "weight": round(w, 2),
        "hidden": hidden,
    }


async def _record(
    conn: asyncpg.Connection,
    runtime: AppRuntime,
    user: User,
    kind: str,
    target_id: int,
    post_id: int,
    reason: str,
    note: str | None,
    already_hidden: bool,
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Write one user's flag on a locked target and weigh the pending total against the threshold.
    Returns the response body, the moderators' event payload, and whether the target must now be hidden."""
    w = await _weigh(conn, user)
    flag_id = await flags_db.insert(
        conn,
        target_type=kind,
        target_id=target_id,
        post_id=post_id,
        user_id=user.id,
        reason=reason,
        note=note,
        weight=w,
    )
    if flag_id is None:
        raise ApiError(409, "already_flagged", f"You have already flagged this {kind}.")
    total = await flags_db.pending_weight(conn, kind, target_id)
    hide = not already_hidden and total >= runtime.settings.flag_threshold
    body = _flag_json(flag_id, kind, target_id, reason, w, hide or already_hidden)
    extra = {"flag": {**body, "note": note, "user": {"id": user.id, "handle": user.handle}, "total": total}}
    return body, extra, hide


async def flag_post(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user, reason, note = await _flagger(request)
    async with runtime.pool.acquire() as conn, conn.transaction():
        state = await lock_visible_post(conn, post_id, user)
        body, extra, hide = await _record(
            conn, runtime, user, "post", post_id, post_id, reason, note, state["hidden_at"] is not None
        )
        if hide:
            await posts_db.set_hidden(conn, post_id, "flags")
            await moderation_db.record(conn, None, "hide", "post", post_id, "flags")
            await emit(conn, runtime.storage, "flag.created", post_id, extra)
            # A held post was never public: the outbox tells only its author (ids) and staff.
            await emit(conn, runtime.storage, "post.hidden", post_id, {"reason": "flags"})
        else:
            await emit(conn, runtime.storage, "flag.created", post_id, extra)
    return JSONResponse(body, status_code=201)


async def flag_comment(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    comment_id = path_id(request)
    user, reason, note = await _flagger(request)
    async with runtime.pool.acquire() as conn, conn.transaction():
        post, comment = await lock_visible_comment(conn, comment_id, user)
        body, extra, hide = await _record(
            conn,
            runtime,
            user,
            "comment",
            comment_id,
            post["id"],
            reason,
            note,
            comment["hidden_at"] is not None,
        )
        if hide:
            await comments_db.set_hidden(conn, comment_id, "flags")
            await posts_db.add_comments(conn, post["id"], -1)
            await moderation_db.record(conn, None, "hide", "comment", comment_id, "flags")
            row = await comments_db.get(conn, comment_id)
            assert row is not None
            await emit(conn, runtime.storage, "flag.created", post["id"], extra)
            await emit(conn, runtime.storage, "comment.hidden", post["id"], comment_id=comment_id)
        else:
            await emit(conn, runtime.storage, "flag.created", post["id"], extra)
    return JSONResponse(body, status_code=201)
