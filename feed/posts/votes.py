"""Votes: PUT /api/posts/{id}/vote and DELETE — idempotent, one per user, exact under concurrency."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import posts as posts_db
from db import votes as votes_db
from feed.core.auth import require_user
from feed.core.context import runtime_of
from feed.core.endpoint import respond
from feed.core.outbox import emit
from feed.core.parse import path_id
from feed.posts.reports import lock_open_post
from feed.posts.shapes import Vote


async def _set_vote(request: Request, on: bool) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    await runtime.limits.check(request, "vote", user.id)
    async with runtime.pool.acquire() as conn, conn.transaction():
        # The post row lock serialises voters on one post, so the counter moves by exactly the number
        # of votes that really changed; the primary key makes a repeated vote a no-op.
        state = await lock_open_post(conn, post_id)
        changed = await (votes_db.add if on else votes_db.remove)(conn, post_id, user.id)
        count: int = state["vote_count"]
        if changed:
            count = await posts_db.add_votes(conn, post_id, 1 if on else -1)
            await emit(conn, runtime.storage, "vote.changed", post_id)
    return respond(Vote(count, on))


async def vote(request: Request) -> Response:
    return await _set_vote(request, True)


async def unvote(request: Request) -> Response:
    return await _set_vote(request, False)
