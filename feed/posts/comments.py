"""Comments: add one to a post, page through a post's comments, delete one's own."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from starlette.requests import Request
from starlette.responses import Response

from db import comments as comments_db
from db import posts as posts_db
from feed.core.auth import current_user, require_user
from feed.core.context import runtime_of
from feed.core.endpoint import json_body, query_of, respond
from feed.core.errors import ApiError, not_found
from feed.core.outbox import emit
from feed.core.parse import path_id
from feed.core.privacy import lock_visible_comment, visible_to
from feed.core.serialize import NO_UPPER_BOUND, comment_json, decode_cursor, id_page
from feed.posts.reports import lock_open_post
from feed.posts.shapes import CommentsParams, NewComment
from feed.trust import idempotency


async def create_comment(request: Request) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    body = await json_body(request, NewComment)
    text = body.text
    key = idempotency.key_of(request)
    rhash = idempotency.request_hash(f"POST /api/posts/{post_id}/comments", msgspec.to_builtins(body))
    replayed = await idempotency.stored(runtime, user.id, key, rhash)
    if replayed is not None:
        return replayed
    await runtime.limits.check(request, "comment", user.id)

    async def work(conn: asyncpg.Connection) -> tuple[int, dict[str, Any], idempotency.Finish]:
        await lock_open_post(conn, post_id)
        comment_id = await comments_db.insert(conn, post_id, user.id, text)
        await posts_db.add_comments(conn, post_id, 1)
        row = await comments_db.get(conn, comment_id)
        assert row is not None
        body = comment_json(row)

        async def finish(conn: asyncpg.Connection) -> None:
            await emit(conn, runtime.storage, "comment.created", post_id, comment_id=comment_id)

        return 201, body, finish

    return await idempotency.once(runtime, user.id, key, rhash, work)


async def list_comments(request: Request) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    query = query_of(request, CommentsParams)
    limit, before = query.limit, decode_cursor(query.before)
    user = await current_user(request)
    staff = user is not None and user.is_staff
    async with runtime.pool.acquire() as conn:
        post = await posts_db.state(conn, post_id)
        if post is None or not visible_to(post, user):
            raise not_found("post")
        rows = await comments_db.page(conn, post_id, before or NO_UPPER_BOUND, limit + 1, staff=staff)
    return respond(id_page(rows, limit, comment_json))


async def delete_comment(request: Request) -> Response:
    runtime = runtime_of(request)
    comment_id = path_id(request)
    user = await require_user(request)
    async with runtime.pool.acquire() as conn, conn.transaction():
        post, comment = await lock_visible_comment(conn, comment_id, user)
        if comment["author_id"] != user.id:
            raise ApiError(403, "forbidden", "Only the author may delete a comment.")
        await comments_db.mark_deleted(conn, comment_id)
        if comment["hidden_at"] is None:  # a hidden comment already left the count
            await posts_db.add_comments(conn, post["id"], -1)
        # No comment.deleted type in the event contract: the post's new count goes out as post.updated.
        await emit(conn, runtime.storage, "post.updated", post["id"], {"deleted_comment_id": comment_id})
    return Response(status_code=204)
