"""PUT and DELETE /api/posts/{id}/follow, GET /api/me/follows: whose progress a user wants pushed to them.
Only a post the caller may see can be followed (feed.core.privacy.visible_post); the notify worker checks
again, when it sends, that the follower may still see it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from db import follows as follows_db
from feed.core.auth import require_user
from feed.core.context import runtime_of
from feed.core.endpoint import query_of, respond
from feed.core.parse import path_id
from feed.core.privacy import visible_post
from feed.core.serialize import NO_UPPER_BOUND, decode_cursor, id_page, iso
from feed.notify.shapes import Following, FollowsParams


async def _set_follow(request: Request, on: bool) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    async with runtime.pool.acquire() as conn:
        await visible_post(conn, post_id, user)
        await (follows_db.add if on else follows_db.remove)(conn, user.id, post_id)
    return respond(Following(post_id, on))


async def follow(request: Request) -> Response:
    return await _set_follow(request, True)


async def unfollow(request: Request) -> Response:
    return await _set_follow(request, False)


async def my_follows(request: Request) -> Response:
    runtime = runtime_of(request)
    user = await require_user(request)
    query = query_of(request, FollowsParams)
    before = decode_cursor(query.before) or NO_UPPER_BOUND
    async with runtime.pool.acquire() as conn:
        rows = await follows_db.of_user(conn, user.id, before, query.limit + 1)
    return respond(id_page(rows, query.limit, _follow_json))


def _follow_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"post_id": row["id"], "followed_at": iso(row["created_at"])}
