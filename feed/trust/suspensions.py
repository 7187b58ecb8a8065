"""Suspensions: a moderator or admin suspends a user for some days with a reason. In one transaction the user
is marked suspended, every token revoked, the action logged and (hide_content) every visible post and comment
of theirs hidden, each with its own event; after commit their live sockets are closed. A suspended user
cannot post, comment, vote or flag (403 `suspended`) and cannot sign in; they may appeal once per suspension
(feed.trust.appeals). Moderators cannot suspend staff; only admins can suspend a moderator, nobody an admin.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse

from db import comments as comments_db
from db import moderation as moderation_db
from db import posts as posts_db
from db import suspensions as suspensions_db
from db import users as users_db
from feed.core.context import runtime_of
from feed.core.endpoint import json_body
from feed.core.errors import ApiError, not_found
from feed.core.outbox import emit
from feed.core.parse import path_id
from feed.core.serialize import iso
from feed.trust.queue import staff
from feed.trust.shapes import Suspend


async def suspend(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    user_id = path_id(request)
    actor = await staff(request)
    body = await json_body(request, Suspend)
    reason, days, hide = body.reason, body.days, body.hide_content
    ends_at = datetime.now(UTC) + timedelta(days=days)
    hidden_posts: list[int] = []
    hidden_comments = 0
    async with runtime.pool.acquire() as conn, conn.transaction():
        target = await suspensions_db.lock_user(conn, user_id)
        if target is None:
            raise not_found("user")
        if (
            target["id"] == actor.id
            or target["role"] == "admin"
            or (target["role"] == "moderator" and actor.role != "admin")
        ):
            raise ApiError(403, "forbidden", "You may not suspend this account.")
        suspension_id = await suspensions_db.suspend(conn, user_id, actor.id, reason, ends_at, hide)
        await users_db.revoke_all_tokens(conn, user_id)
        await moderation_db.record(conn, actor.id, "suspend", "user", user_id, f"{reason} ({days} d)")
        # (type, post, moderators' reason, comment): the reason reaches staff alone (feed.core.outbox)
        events: list[tuple[str, int, dict[str, object], int | None]] = []
        if hide:
            for post_id in await suspensions_db.visible_posts_of(conn, user_id):
                await posts_db.set_hidden(conn, post_id, "suspended: " + reason)
                await moderation_db.record(conn, actor.id, "hide", "post", post_id, "suspended: " + reason)
                hidden_posts.append(post_id)
                events.append(("post.hidden", post_id, {"reason": "suspended: " + reason}, None))
            for c in await suspensions_db.visible_comments_of(conn, user_id):
                await posts_db.lock(conn, c["post_id"])
                await comments_db.set_hidden(conn, c["id"], "suspended: " + reason)
                await posts_db.add_comments(conn, c["post_id"], -1)
                await moderation_db.record(conn, actor.id, "hide", "comment", c["id"], "suspended: " + reason)
                hidden_comments += 1
                events.append(("comment.hidden", c["post_id"], {}, c["id"]))
        # The events last, right before commit (db.events).
        for type_, post_id, extra, comment_id in events:
            await emit(conn, runtime.storage, type_, post_id, extra, comment_id=comment_id)
    await runtime.realtime.tokens_revoked(user_id)
    return JSONResponse(
        {
            "suspension": {
                "id": suspension_id,
                "user_id": user_id,
                "reason": reason,
                "ends_at": iso(ends_at),
            },
            "hidden_posts": len(hidden_posts),
            "hidden_comments": hidden_comments,
        }
    )
