"""The status workflow: officials move a report along (POST /api/posts/{id}/status), citizens reopen it
(POST /api/posts/{id}/reopen), everyone reads its timeline (GET /api/posts/{id}/timeline).

    open / reopened / forwarded ──► acknowledged ──► in_progress ──► resolved
              │                          │                │
              └──────────────────────────┴────────────────┴──► rejected (reason) | forwarded (to_area|agency)
    resolved / rejected ──(reporter or a voter, within 14 days, reason)──► reopened

Every step is one transaction: check (who, which transition, proof) → write the post, its clocks and a
timeline step → the outbox event `post.updated` with "cause": "post.status" and the step, last.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import posts as posts_db
from db import status as status_db
from db.owners import owner_keys
from feed.core.auth import User, current_user, require_user
from feed.core.context import runtime_of
from feed.core.endpoint import convert, json_body
from feed.core.errors import ApiError, invalid, not_found
from feed.core.outbox import emit
from feed.core.parse import path_id, read_json
from feed.core.privacy import visible_post, visible_to
from feed.core.serialize import iso, photo_json, post_json
from feed.core.uploads import process_photo, read_multipart
from feed.officials.routing import may_act, resolve_agency, resolve_area, start_clock
from feed.officials.shapes import SETTABLE, Reopen, StatusChange
from kernel import geo

_FROM_START = frozenset(SETTABLE)
NEXT: dict[str, frozenset[str]] = {
    "open": _FROM_START,
    "reopened": _FROM_START,
    "forwarded": _FROM_START,  # the new owner starts where a fresh report would
    "acknowledged": frozenset({"in_progress", "resolved", "rejected", "forwarded"}),
    "in_progress": frozenset({"resolved", "rejected", "forwarded"}),
    "resolved": frozenset(),  # only a citizen's reopen moves a closed report
    "rejected": frozenset(),
}
REOPEN_WINDOW = timedelta(days=14)
CAUSE = "post.status"


def step_json(row: Mapping[str, Any], storage: Any) -> dict[str, Any]:
    actor = {"id": row["actor_id"], "handle": row["actor_handle"]} if row["actor_id"] is not None else None
    return {
        "id": row["id"],
        "kind": row["kind"],
        "status": row["status"],
        "from_status": row["from_status"],
        "actor": actor,
        "note": row["note"],
        "reason": row["reason"],
        "photo": photo_json(row["photo"], storage) if row["photo"] else None,
        "from_area": row["from_area"],
        "to_area": row["to_area"],
        "from_agency": row["from_agency"],
        "to_agency": row["to_agency"],
        "detail": row["detail"],
        "created_at": iso(row["created_at"]),
    }


async def emit_step(
    conn: asyncpg.Connection,
    storage: Any,
    post_id: int,
    step_id: int,
    extra_areas: list[int],
    agency_id: int | None = None,
) -> dict[str, Any]:
    """The outbox event for a timeline step, last before commit. Its area_ids are the post's (new) area
    chain and owning agency plus `extra_areas` (a forward's old owner, so its screens see the report
    leave)."""
    row = await posts_db.get(conn, post_id)
    step = await status_db.step(conn, step_id)
    assert row is not None and step is not None
    step_body = step_json(step, storage)
    areas = await owner_keys(conn, row["area_id"], agency_id)
    areas += [a for a in extra_areas if a not in areas]
    extra = {"cause": CAUSE, "step": step_body}
    body = await emit(conn, storage, "post.updated", post_id, extra, areas=areas)
    return {"post": body, "step": step_body}


# --- POST /api/posts/{id}/status ----------------------------------------------------------------------
async def _read(request: Request) -> tuple[dict[str, Any], UploadFile | None]:
    settings = runtime_of(request).settings
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        return await read_json(request, settings.max_json_bytes), None
    if kind == "multipart/form-data":
        data, uploads = await read_multipart(request)
        if len(uploads) > 1:
            raise invalid({"photo": "at most 1 proof photo"})
        return data, uploads[0] if uploads else None
    raise ApiError(415, "unsupported_media_type", "Send application/json or multipart/form-data.")


def _illegal(current: str, wanted: str) -> ApiError:
    allowed = sorted(NEXT.get(current, ()))
    return ApiError(
        409,
        "illegal_transition",
        f"A {current} report cannot become {wanted}; allowed: {', '.join(allowed) or 'none (reopen it)'}.",
        {"status": f"not allowed from {current}"},
    )


async def _check(conn: asyncpg.Connection, user: User, state: Any, wanted: str) -> asyncpg.Record:
    """404 for what the caller may not see, 403 for another owner's report, 409 for an unknown status or an
    illegal move: in that order, so only those who may act learn about the workflow."""
    if state is None or not visible_to(state, user):
        raise not_found("post")
    if not await may_act(conn, user, state["area_id"], state["agency_id"]):
        raise ApiError(
            403,
            "forbidden",
            "Only officials of the report's owner (its area or above, or the agency it was forwarded to) "
            "and admins may.",
        )
    if wanted not in SETTABLE:
        # An unknown status is a conflict with the workflow, not a malformed field (issue #5).
        raise ApiError(
            409, "unknown_status", f"Unknown status {wanted!r}.", {"status": "one of " + ", ".join(SETTABLE)}
        )
    if wanted not in NEXT.get(state["status"], ()):
        raise _illegal(state["status"], wanted)
    return state


async def change_status(request: Request) -> JSONResponse:
    try:
        return await _change_status(request)
    finally:
        await request.close()


async def _change_status(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    data, upload = await _read(request)
    change = convert(data, StatusChange)
    wanted, note, reason, lat, lon = change.status, change.note, change.reason, change.lat, change.lon
    async with runtime.pool.acquire() as conn:
        # Checked before the slow photo work (so nobody makes us decode photos for nothing) and again
        # under the row lock below.
        state = await _check(conn, user, await status_db.post_state(conn, post_id), wanted)
        to_area, to_agency = await _forward_target(conn, state, wanted, msgspec.to_builtins(change))
    if wanted == "rejected" and reason is None:
        raise invalid({"reason": "required to reject"})
    if wanted == "resolved":
        missing = {k: "required to resolve" for k, v in (("note", note), ("photo", upload)) if v is None}
        if missing:
            raise invalid(missing, "Resolving needs a note and a proof photo.")
    processed = variants = None
    if upload is not None:
        processed, variants = await process_photo(runtime, upload)
    proof = None
    if wanted == "resolved":
        assert processed is not None
        proof = processed.gps or ((lat, lon) if lat is not None and lon is not None else None)
        if proof is None:
            raise invalid(
                {"photo": "has no GPS position; send the device's lat and lon"}, "No proof position."
            )
        away = geo.distance_m(state["lat"], state["lon"], proof[0], proof[1])
        radius = runtime.settings.resolve_proof_radius_m
        if away > radius:
            raise invalid(
                {"photo": f"taken {away:.0f} m from the report; must be within {radius:g} m"},
                "The proof was not taken at the report.",
            )
    photo = None
    if processed is not None and variants is not None:
        photo = {
            "width": processed.width,
            "height": processed.height,
            "blurhash": processed.blurhash,
            "variants": variants,
        }
    async with runtime.pool.acquire() as conn, conn.transaction():
        state = await _check(conn, user, await status_db.lock_post(conn, post_id), wanted)
        now = runtime.clock()
        old_area, old_agency = state["area_id"], state["agency_id"]
        old_owner = await owner_keys(conn, old_area, old_agency)
        clock = await status_db.running(conn, post_id)
        new_area, new_agency = old_area, old_agency
        if clock is not None and wanted in ("acknowledged", "in_progress", "resolved", "rejected"):
            await status_db.acknowledge(conn, clock["id"], now)
        if clock is not None and wanted in ("resolved", "rejected", "forwarded"):
            await status_db.end(conn, clock["id"], wanted, now)
        if wanted == "forwarded":
            # To an agency: the report keeps its area (whose officials still hear of it); back to an
            # area: the agency lets go.
            new_area, new_agency = (old_area, to_agency) if to_agency is not None else (to_area, None)
            await start_clock(
                conn, runtime.settings, post_id, new_area, state["category"], now, agency_id=new_agency
            )
        await status_db.set_status(conn, post_id, wanted, new_area, now, new_agency)
        step_id = await status_db.add_step(
            conn,
            post_id=post_id,
            kind="status",
            actor_id=user.id,
            from_status=state["status"],
            status=wanted,
            now=now,
            note=note,
            reason=reason,
            photo=photo,
            proof=proof,
            from_area=old_area if wanted == "forwarded" and old_agency is None else None,
            to_area=to_area,
            from_agency=old_agency if wanted == "forwarded" else None,
            to_agency=to_agency,
        )
        body = await emit_step(conn, runtime.storage, post_id, step_id, old_owner, new_agency)
    return JSONResponse(body)


async def _forward_target(
    conn: asyncpg.Connection, state: Any, wanted: str, data: dict[str, Any]
) -> tuple[int | None, int | None]:
    """(to_area, to_agency) of a forward: exactly one is given, and it is not the current owner."""
    area_ref, agency_ref = data.get("to_area"), data.get("to_agency")
    if wanted != "forwarded":
        refs = (("to_area", area_ref), ("to_agency", agency_ref))
        extra = {k: "only for forwarded" for k, v in refs if v is not None}
        if extra:
            raise invalid(extra)
        return None, None
    if area_ref is not None and agency_ref is not None:
        raise invalid({"to_agency": "give to_area or to_agency, not both"})
    if agency_ref is not None:
        agency = (await resolve_agency(conn, agency_ref, "to_agency"))["id"]
        if agency == state["agency_id"]:
            raise invalid({"to_agency": "the report is already there"})
        return None, agency
    if area_ref is None:
        raise invalid({"to_area": "required (or to_agency)"})
    area = (await resolve_area(conn, area_ref, "to_area"))["id"]
    if area == state["area_id"] and state["agency_id"] is None:
        raise invalid({"to_area": "the report is already there"})
    return area, None


# --- POST /api/posts/{id}/reopen ------------------------------------------------------------------------
async def reopen(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    reason = (await json_body(request, Reopen)).reason
    async with runtime.pool.acquire() as conn, conn.transaction():
        state = await status_db.lock_post(conn, post_id)
        if state is None or not visible_to(state, user):
            raise not_found("post")
        if state["author_id"] != user.id and not await status_db.is_voter(conn, post_id, user.id):
            raise ApiError(
                403, "forbidden", "Only the reporter and those who upvoted it may reopen a report."
            )
        if state["status"] not in ("resolved", "rejected"):
            raise ApiError(409, "not_closed", f"A {state['status']} report is still open.", {})
        now = runtime.clock()
        closed_at = await status_db.last_closed_at(conn, post_id)
        if closed_at is not None and now - closed_at > REOPEN_WINDOW:
            raise ApiError(409, "reopen_window_closed", "A report may be reopened within 14 days only.")
        last = await status_db.last_ended(conn, post_id)
        if last is not None:
            await status_db.mark_reopened(conn, last["id"], now)
        # A new clock for the same owner: the agency that closed it, or else the area.
        if state["area_id"] is not None or state["agency_id"] is not None:
            await start_clock(
                conn,
                runtime.settings,
                post_id,
                state["area_id"],
                state["category"],
                now,
                agency_id=state["agency_id"],
            )
        await status_db.set_status(conn, post_id, "reopened", state["area_id"], now, state["agency_id"])
        step_id = await status_db.add_step(
            conn,
            post_id=post_id,
            kind="reopened",
            actor_id=user.id,
            from_status=state["status"],
            status="reopened",
            now=now,
            reason=reason,
        )
        body = await emit_step(conn, runtime.storage, post_id, step_id, [], state["agency_id"])
    return JSONResponse(body)


# --- GET /api/posts/{id}/timeline -----------------------------------------------------------------------
async def timeline(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await current_user(request)
    async with runtime.pool.acquire() as conn:
        row = await visible_post(conn, post_id, user)
        steps = await status_db.steps(conn, post_id)
        clocks = await status_db.assignments(conn, post_id)
    first_area = clocks[0]["area_id"] if clocks else None
    created = {
        "id": None,
        "kind": "created",
        "status": "open",
        "from_status": None,
        "actor": {"id": row["author_id"], "handle": row["author_handle"]},
        "note": None,
        "reason": None,
        "photo": None,
        "from_area": None,
        "to_area": first_area,
        "from_agency": None,
        "to_agency": None,
        "detail": None,
        "created_at": iso(clocks[0]["started_at"]) if clocks else row["created_at"],
    }
    return JSONResponse(
        {
            "post": post_json(row, runtime.storage),
            "items": [created, *(step_json(s, runtime.storage) for s in steps)],
            "clocks": [clock_record(c) for c in clocks],
        }
    )


def clock_record(row: Mapping[str, Any]) -> dict[str, Any]:
    def seconds(end: datetime | None) -> float | None:
        return None if end is None else (end - row["started_at"]).total_seconds()

    return {
        "area_id": row["area_id"],
        "agency_id": row["agency_id"],
        "started_at": iso(row["started_at"]),
        "ack_due_at": iso(row["ack_due_at"]),
        "resolve_due_at": iso(row["resolve_due_at"]),
        "acknowledged_at": iso(row["acknowledged_at"]),
        "resolved_at": iso(row["resolved_at"]),
        "ended_at": iso(row["ended_at"]),
        "outcome": row["outcome"],
        "reopened_at": iso(row["reopened_at"]),
        "time_to_acknowledge_s": seconds(row["acknowledged_at"]),
        "time_to_resolve_s": seconds(row["resolved_at"]),
    }
