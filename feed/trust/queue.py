"""The moderation queue: flagged posts and comments and held posts, listed for moderators and resolved by
them (hide, restore, dismiss). Resolving marks the target's pending flags upheld or rejected, which is what
weighs each flagger's future flags (flags.py). Queue changes are announced on the moderation channel only.

Events: a post held on creation is `post.held` (moderation only); a held post a moderator restores is
published with `post.created` (everyone nearby hears of it as a new report, which for them it is); a post or
comment hidden by flags and restored is `post.unhidden` / `comment.unhidden`; every resolution is also
`queue.resolved` (moderation only).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import comments as comments_db
from db import flags as flags_db
from db import moderation as moderation_db
from db import posts as posts_db
from feed.core.auth import STAFF_ROLES, User, require_role
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import json_body, query_of
from feed.core.errors import ApiError, not_found
from feed.core.outbox import emit
from feed.core.serialize import comment_json, iso, post_json
from feed.trust import queue_cursor
from feed.trust.shapes import KINDS, QueueParams, Resolution


async def staff(request: Request) -> User:
    return await require_role(request, *sorted(STAFF_ROLES))


def _item_json(row: Any) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "id": row["id"],
        "post_id": row["post_id"],
        "flags": int(row["flags"]),
        "weight": round(float(row["weight"]), 2),
        "reasons": list(row["reasons"] or []),
        "held": row["kind"] == "post" and row["held_at"] is not None,
        "held_reason": row["held_reason"] if row["kind"] == "post" else None,
        "hidden": (row["post_hidden_at"] if row["kind"] == "post" else row["comment_hidden_at"]) is not None,
        "at": iso(row["at"]),
    }


async def list_queue(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    await staff(request)
    query = query_of(request, QueueParams)
    order, limit = query.order, query.limit
    # A keyset over a snapshot (db.flags.queue): paging while the queue is worked neither skips nor repeats.
    cursor = queue_cursor.decode(query.cursor)
    async with runtime.pool.acquire() as conn:
        as_of = cursor[0] if cursor else await flags_db.snapshot_time(conn)
        rows = await flags_db.queue(conn, order, limit + 1, as_of, cursor[1] if cursor else None)
        items = []
        for row in rows[:limit]:
            item = _item_json(row)
            post = await posts_db.get(conn, row["post_id"])
            assert post is not None
            item["post"] = post_json(post, runtime.storage)
            if row["kind"] == "comment":
                comment = await comments_db.get(conn, row["id"])
                item["comment"] = comment_json(comment) if comment is not None else None
            item["flag_list"] = [
                {
                    "user": {"id": f["user_id"], "handle": f["handle"]},
                    "reason": f["reason"],
                    "note": f["note"],
                    "weight": round(float(f["weight"]), 2),
                }
                for f in await flags_db.of_target(conn, row["kind"], row["id"])
                if f["outcome"] is None
            ]
            items.append(item)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = queue_cursor.encode(as_of, last["weight"], last["at"], last["kind"], last["id"])
    return JSONResponse({"items": items, "next": next_cursor})


async def resolve(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise not_found("queue item")
    raw_id = request.path_params["id"]
    if not raw_id.isdigit() or not 0 < int(raw_id) < 2**63:
        raise not_found("queue item")
    target_id = int(raw_id)
    user = await staff(request)
    body = await json_body(request, Resolution)
    action, reason = body.action, body.reason
    async with runtime.pool.acquire() as conn, conn.transaction():
        if kind == "post":
            result = await _resolve_post(conn, runtime, user, target_id, action, reason)
        else:
            result = await _resolve_comment(conn, runtime, user, target_id, action, reason)
    return JSONResponse(result)


async def _resolve_post(
    conn: asyncpg.Connection, runtime: AppRuntime, user: User, post_id: int, action: str, reason: str
) -> dict[str, Any]:
    state = await posts_db.lock(conn, post_id)
    if state is None or state["deleted_at"] is not None:
        raise not_found("post")
    held, hidden = state["held_at"] is not None, state["hidden_at"] is not None
    outcome = "upheld" if action == "hide" else "rejected"
    settled = await flags_db.resolve(conn, "post", post_id, outcome)
    if not settled and not held and not (hidden and action == "restore"):
        raise ApiError(409, "not_in_queue", "This post has no pending flags and is not held.")
    await moderation_db.record(conn, user.id, f"queue_{action}", "post", post_id, reason)
    extra = {"queue": {"kind": "post", "id": post_id, "action": action, "flags": settled}}
    if action == "hide" and not hidden:
        await posts_db.set_hidden(conn, post_id, reason)
        # A held post was never public: the outbox tells only its author (ids) and staff.
        return await emit(conn, runtime.storage, "post.hidden", post_id, {"reason": reason, **extra})
    if action == "restore":
        if hidden:
            await posts_db.clear_hidden(conn, post_id)
        if held:
            await posts_db.release(conn, post_id)
            await moderation_db.record(conn, user.id, "release", "post", post_id, reason)
            return await emit(conn, runtime.storage, "post.created", post_id, extra)
        if hidden:
            return await emit(conn, runtime.storage, "post.unhidden", post_id, extra)
    return await emit(conn, runtime.storage, "queue.resolved", post_id, extra)


async def _resolve_comment(
    conn: asyncpg.Connection, runtime: AppRuntime, user: User, comment_id: int, action: str, reason: str
) -> dict[str, Any]:
    post_id = await comments_db.post_of(conn, comment_id)
    post = await posts_db.lock(conn, post_id) if post_id is not None else None
    comment = await comments_db.lock(conn, comment_id)
    if post is None or comment is None or post["deleted_at"] is not None or comment["deleted_at"] is not None:
        raise not_found("comment")
    hidden = comment["hidden_at"] is not None
    settled = await flags_db.resolve(
        conn, "comment", comment_id, "upheld" if action == "hide" else "rejected"
    )
    if not settled and not (hidden and action == "restore"):
        raise ApiError(409, "not_in_queue", "This comment has no pending flags.")
    await moderation_db.record(conn, user.id, f"queue_{action}", "comment", comment_id, reason)
    extra: dict[str, Any] = {
        "queue": {"kind": "comment", "id": comment_id, "action": action, "flags": settled}
    }
    change = (action == "hide" and not hidden) or (action == "restore" and hidden)
    if change:
        if action == "hide":
            await comments_db.set_hidden(conn, comment_id, reason)
        else:
            await comments_db.clear_hidden(conn, comment_id)
        await posts_db.add_comments(conn, post["id"], -1 if action == "hide" else 1)
    row = await comments_db.get(conn, comment_id)
    assert row is not None
    event = "queue.resolved"
    if change:
        event = "comment.hidden" if action == "hide" else "comment.unhidden"
    await emit(conn, runtime.storage, event, post["id"], extra, comment_id=comment_id)
    return comment_json(row)
