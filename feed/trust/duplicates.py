"""Duplicates: suggest open posts like a new one (within `duplicate_radius_m`, same category, last
`duplicate_days` days) in the create response, and merge a duplicate into its original.

Distances are measured from the new report's exact position to each candidate's PUBLIC position, so a
fuzzed report is never located through suggestions. warga has no follow feature: a post's followers are its
voters and its reporter. A merge therefore carries the duplicate's voters over to the original (one vote per
person), counts the duplicate's reporter as a voter of the original (their support, and so they hear of it),
marks the duplicate status "merged" with merged_into, and announces `post.merged` to both posts' subscribers.
The duplicate's running response clock ends with outcome "merged" (a timeline step says why): the original
carries the report now, so the duplicate neither escalates nor turns overdue, and the league counts it as
neither resolved nor late.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import duplicates as duplicates_db
from db import moderation as moderation_db
from db import posts as posts_db
from db import status as status_db
from db import votes as votes_db
from feed.core.auth import require_user
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import json_body
from feed.core.errors import ApiError, invalid, not_found
from feed.core.outbox import emit
from feed.core.parse import path_id
from feed.officials.routing import may_act
from feed.trust.shapes import Merge
from kernel import geo

MAX_SUGGESTIONS = 5


async def suggest(
    conn: asyncpg.Connection, runtime: AppRuntime, post_id: int, category: str, lat: float, lon: float
) -> list[dict[str, Any]]:
    s = runtime.settings
    # The cover is a superset of the disk; the exact distance below does the rest.
    cells = geo.cover(lat, lon, s.duplicate_radius_m, geo.FINE_RES)
    rows = await duplicates_db.candidates(conn, cells, category, s.duplicate_days, post_id, 50)
    found = []
    for row in rows:
        distance = geo.distance_m(lat, lon, row["pub_lat"], row["pub_lon"])
        if distance > s.duplicate_radius_m:
            continue
        photo = row["first_photo"]
        found.append(
            {
                "id": row["id"],
                "text": row["text"][:140],
                "distance_m": round(distance, 1),
                "votes": row["vote_count"],
                "thumb_url": runtime.storage.url(photo["thumb"]["key"]) if photo else None,
            }
        )
    found.sort(key=lambda d: d["distance_m"])
    return found[:MAX_SUGGESTIONS]


MERGERS = ("official", "moderator", "admin")


async def for_post(request: Request) -> JSONResponse:
    """GET /api/posts/{id}/duplicates — the suggestions for an existing report, for those who may merge it
    (the web app's "merge into…" list). Same rules as merge: officials of the report's area (or above),
    moderators and admins; measured from the exact position, so only they may ask."""
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    if user.role not in MERGERS:
        raise ApiError(403, "forbidden", "Only officials and moderators merge reports.")
    async with runtime.pool.acquire() as conn:
        row = await posts_db.get(conn, post_id)
        if row is None or any(row[k] is not None for k in ("deleted_at", "hidden_at", "held_at")):
            raise not_found("post")
        if not user.is_staff and not await may_act(conn, user, row["area_id"], row["agency_id"]):
            raise ApiError(403, "forbidden", "Officials merge reports of their own areas only.")
        found = await suggest(conn, runtime, post_id, row["category"], row["lat"], row["lon"])
    return JSONResponse({"items": found})


async def merge(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    merge_body = await json_body(request, Merge)
    into, reason = merge_body.into, merge_body.reason
    if into == post_id:
        raise invalid({"into": "a different post"})
    if user.role not in MERGERS:
        raise ApiError(403, "forbidden", "Only officials and moderators merge reports.")
    async with runtime.pool.acquire() as conn, conn.transaction():
        # Lock both rows in id order: two merges of the same pair cannot deadlock.
        first, second = sorted((post_id, into))
        locked = {first: await posts_db.lock(conn, first), second: await posts_db.lock(conn, second)}
        dup, orig = locked[post_id], locked[into]
        if dup is None or any(dup[k] is not None for k in ("deleted_at", "hidden_at", "held_at")):
            raise not_found("post")
        if orig is None or any(orig[k] is not None for k in ("deleted_at", "hidden_at", "held_at")):
            raise invalid({"into": "no such open post"})
        dup_row = await posts_db.get(conn, post_id)
        orig_row = await posts_db.get(conn, into)
        assert dup_row is not None and orig_row is not None
        if dup_row["status"] == "merged" or orig_row["status"] == "merged":
            raise ApiError(409, "already_merged", "One of these posts is already merged.")
        if not user.is_staff and not (
            await may_act(conn, user, dup_row["area_id"], dup_row["agency_id"])
            and await may_act(conn, user, orig_row["area_id"], orig_row["agency_id"])
        ):
            raise ApiError(403, "forbidden", "Officials merge reports of their own areas only.")
        await votes_db.add(conn, into, dup_row["author_id"])  # the reporter follows the original now
        count = await duplicates_db.move_votes(conn, post_id, into)
        await duplicates_db.mark_merged(conn, post_id, into)
        await _stop_clock(conn, runtime, user.id, dup_row["status"], post_id, into, reason)
        await moderation_db.record(conn, user.id, "merge", "post", post_id, reason or f"merged into {into}")
        merged = {"merged": {"from": post_id, "into": into, "votes": count}}
        # Both posts' subscribers hear it: the duplicate's reporters and voters learn where it went.
        await emit(conn, runtime.storage, "post.merged", post_id, merged, actor_id=user.id)
        body = await emit(conn, runtime.storage, "post.merged", into, merged, actor_id=user.id)
    return JSONResponse({"post": body, **merged})


async def _stop_clock(
    conn: asyncpg.Connection,
    runtime: AppRuntime,
    actor_id: int,
    was: str,
    post_id: int,
    into: int,
    reason: str | None,
) -> None:
    """End the duplicate's running clock as "merged" and put the merge on its public timeline."""
    now = runtime.clock()
    clock = await status_db.running(conn, post_id)
    if clock is not None:
        await status_db.end(conn, clock["id"], "merged", now)
    await status_db.add_step(
        conn,
        post_id=post_id,
        kind="status",
        actor_id=actor_id,
        from_status=was,
        status="merged",
        now=now,
        reason=reason or f"merged into {into}",
    )
