"""Appeals: a suspended user appeals once per suspension; moderators list and decide appeals.

A suspended user's tokens are revoked and sign-in refuses them, so an appeal authenticates with the handle
and password in the body (`POST /api/appeals {handle, password, text}`): no token, limited or otherwise,
ever exists for a suspended account. Rate-limited per address and throttled per handle like a sign-in
(feed/accounts.authenticate). Lifting a suspension ends it at once (content hidden with it stays hidden:
moderators unhide what they choose).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import moderation as moderation_db
from db import suspensions as suspensions_db
from feed.accounts import sessions as accounts
from feed.core.context import runtime_of
from feed.core.endpoint import json_body, query_of, respond
from feed.core.errors import ApiError, not_found
from feed.core.parse import path_id
from feed.core.serialize import NO_UPPER_BOUND, decode_cursor, id_page, iso
from feed.trust.queue import staff
from feed.trust.shapes import AppealsParams, Decision, NewAppeal


def appeal_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "suspension_id": row["suspension_id"],
        "user": {"id": row["user_id"], "handle": row["handle"]},
        "text": row["text"],
        "suspension_reason": row["suspension_reason"],
        "suspended_until": iso(row["ends_at"]),
        "created_at": iso(row["created_at"]),
        "decision": row["decision"],
        "decision_reason": row["decision_reason"],
        "decided_at": iso(row["decided_at"]),
    }


async def create(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    body = await json_body(request, NewAppeal)
    handle, password, text = body.handle, body.password, body.text
    await runtime.limits.check(request, "login")
    # The same throttled check as a sign-in (per handle, 429 with Retry-After), so appeals cannot be used to
    # guess passwords; it does not refuse suspended accounts, which are the ones that appeal.
    row = await accounts.authenticate(runtime, handle, password)
    async with runtime.pool.acquire() as conn, conn.transaction():
        suspension = await suspensions_db.current(conn, row["id"])
        if suspension is None:
            raise ApiError(409, "not_suspended", "This account is not suspended.")
        appeal_id = await suspensions_db.insert_appeal(conn, suspension["id"], row["id"], text)
        if appeal_id is None:
            raise ApiError(409, "already_appealed", "This suspension has already been appealed.")
        await moderation_db.record(conn, row["id"], "appeal", "suspension", suspension["id"], None)
        appeal = await suspensions_db.lock_appeal(conn, appeal_id)
    return JSONResponse(appeal_json(appeal), status_code=201)


async def list_appeals(request: Request) -> Response:
    runtime = runtime_of(request)
    await staff(request)
    query = query_of(request, AppealsParams)
    limit, before, pending = query.limit, decode_cursor(query.before), query.pending
    async with runtime.pool.acquire() as conn:
        rows = await suspensions_db.appeals_page(conn, pending, before or NO_UPPER_BOUND, limit + 1)
    return respond(id_page(rows, limit, appeal_json))


async def decide(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    appeal_id = path_id(request)
    actor = await staff(request)
    body = await json_body(request, Decision)
    decision, reason = body.decision, body.reason
    async with runtime.pool.acquire() as conn, conn.transaction():
        appeal = await suspensions_db.lock_appeal(conn, appeal_id)
        if appeal is None:
            raise not_found("appeal")
        if appeal["decision"] is not None:
            raise ApiError(409, "already_decided", "This appeal was already decided.")
        await suspensions_db.decide_appeal(conn, appeal_id, decision, actor.id, reason)
        if decision == "lifted":
            await suspensions_db.lift(conn, appeal["suspension_id"], appeal["user_id"])
        await moderation_db.record(conn, actor.id, f"appeal_{decision}", "user", appeal["user_id"], reason)
        row = await suspensions_db.lock_appeal(conn, appeal_id)
    return JSONResponse(appeal_json(row))
