"""Moderation: staff hide and unhide posts and comments, each action logged and emitted in one transaction."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import comments as comments_db
from db import moderation as moderation_db
from db import posts as posts_db
from feed.core.auth import STAFF_ROLES, User, require_role
from feed.core.context import runtime_of
from feed.core.endpoint import convert, query_of, respond
from feed.core.outbox import emit
from feed.core.parse import path_id, read_json
from feed.core.privacy import lock_visible_comment, lock_visible_post
from feed.core.serialize import NO_UPPER_BOUND, comment_json, decode_cursor, id_page, log_json, post_json
from feed.trust.shapes import HideReason, LogParams, UnhideReason


async def _staff(request: Request) -> User:
    return await require_role(request, *sorted(STAFF_ROLES))


async def _reason(request: Request, *, required: bool) -> str | None:
    """The {reason} body: required to hide; optional (body may be empty) to unhide."""
    settings = runtime_of(request).settings
    empty = (
        request.headers.get("content-length") in (None, "0") and "transfer-encoding" not in request.headers
    )
    if empty and not required:
        return None
    data = await read_json(request, settings.max_json_bytes)
    if required:
        return convert(data, HideReason).reason
    return convert(data, UnhideReason).reason


async def _set_post_hidden(request: Request, hide: bool) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await _staff(request)
    reason = await _reason(request, required=hide)
    async with runtime.pool.acquire() as conn, conn.transaction():
        state = await lock_visible_post(conn, post_id, user)  # staff: any post not deleted
        if (state["hidden_at"] is not None) == hide:  # already so: nothing to log or announce
            row = await posts_db.get(conn, post_id)
            assert row is not None
            return JSONResponse(post_json(row, runtime.storage))
        if hide:
            await posts_db.set_hidden(conn, post_id, reason or "")
        else:
            await posts_db.clear_hidden(conn, post_id)
        await moderation_db.record(conn, user.id, "hide" if hide else "unhide", "post", post_id, reason)
        extra = {"reason": reason} if hide else {}
        body = await emit(conn, runtime.storage, "post.hidden" if hide else "post.unhidden", post_id, extra)
    return JSONResponse(body)


async def hide_post(request: Request) -> JSONResponse:
    return await _set_post_hidden(request, True)


async def unhide_post(request: Request) -> JSONResponse:
    return await _set_post_hidden(request, False)


async def _set_comment_hidden(request: Request, hide: bool) -> JSONResponse:
    runtime = runtime_of(request)
    comment_id = path_id(request)
    user = await _staff(request)
    reason = await _reason(request, required=hide)
    async with runtime.pool.acquire() as conn, conn.transaction():
        # Staff: any comment not deleted, hidden or not, on a post not deleted.
        post, comment = await lock_visible_comment(conn, comment_id, user)
        if (comment["hidden_at"] is not None) != hide:
            if hide:
                await comments_db.set_hidden(conn, comment_id, reason or "")
            else:
                await comments_db.clear_hidden(conn, comment_id)
            # Hidden comments do not count: the post's comment_count is what the public can read.
            await posts_db.add_comments(conn, post["id"], -1 if hide else 1)
            await moderation_db.record(
                conn, user.id, "hide" if hide else "unhide", "comment", comment_id, reason
            )
            row = await comments_db.get(conn, comment_id)
            assert row is not None
            event = "comment.hidden" if hide else "comment.unhidden"
            await emit(conn, runtime.storage, event, post["id"], comment_id=comment_id)
        else:
            row = await comments_db.get(conn, comment_id)
            assert row is not None
    return JSONResponse(comment_json(row))


async def hide_comment(request: Request) -> JSONResponse:
    return await _set_comment_hidden(request, True)


async def unhide_comment(request: Request) -> JSONResponse:
    return await _set_comment_hidden(request, False)


async def log(request: Request) -> Response:
    runtime = runtime_of(request)
    await _staff(request)
    query = query_of(request, LogParams)
    limit, before = query.limit, decode_cursor(query.before)
    async with runtime.pool.acquire() as conn:
        rows = await moderation_db.page(conn, before or NO_UPPER_BOUND, limit + 1)
    return respond(id_page(rows, limit, log_json))
