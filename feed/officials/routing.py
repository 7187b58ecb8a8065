"""Officials: routing a new post to its area (and starting that area's clock), who may act for a report's
owner (an area, or a city agency), and the officials' inbox (GET /api/officials/inbox)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import agencies as agencies_db
from db import areas as areas_db
from db import officials as officials_db
from db import status as status_db
from feed.core import privacy
from feed.core.auth import User, require_role
from feed.core.context import runtime_of
from feed.core.endpoint import query_of
from feed.core.errors import invalid, not_found
from feed.core.serialize import iso, post_json
from feed.officials import boundaries, sla
from feed.officials.areas import area_json
from feed.officials.shapes import InboxParams, PageParams


async def start_clock(
    conn: asyncpg.Connection,
    settings: Any,
    post_id: int,
    area_id: int | None,
    category: str,
    now: datetime,
    agency_id: int | None = None,
) -> int:
    """A new owner's clock (an area's, or an agency's when agency_id is given), with the category's SLA
    as of now."""
    ack_due, resolve_due = sla.for_category(settings.sla, category).due(now)
    return await status_db.start_assignment(
        conn,
        post_id=post_id,
        area_id=None if agency_id is not None else area_id,
        agency_id=agency_id,
        category=category,
        started_at=now,
        ack_due_at=ack_due,
        resolve_due_at=resolve_due,
    )


async def route_new_post(
    conn: asyncpg.Connection,
    settings: Any,
    post_id: int,
    lat: float,
    lon: float,
    category: str,
    now: datetime,
) -> int | None:
    """In the creating transaction: the deepest area containing the EXACT position owns the post and its
    clock starts. Outside every area: area_id stays NULL and the post waits in the admins' queue."""
    area_id = await boundaries.deepest_area_for(conn, lat, lon)
    if area_id is not None:
        await status_db.set_area(conn, post_id, area_id)
        await start_clock(conn, settings, post_id, area_id, category, now)
    return area_id


async def may_act(
    conn: asyncpg.Connection, user: User, area_id: int | None, agency_id: int | None = None
) -> bool:
    """Admins act everywhere (and alone on unrouted posts). While an agency owns a report, its officials
    act on it (the area handed it over); otherwise officials of its area and above."""
    if user.role == "admin":
        return True
    if user.role != "official":
        return False
    if agency_id is not None:
        return await agencies_db.serves(conn, user.id, agency_id)
    if area_id is None:
        return False
    return await officials_db.covers(conn, user.id, area_id)


async def area_chain_ids(conn: asyncpg.Connection, area_id: int | None) -> list[int]:
    if area_id is None:
        return []
    return [r["id"] for r in await areas_db.chain(conn, area_id)]


async def resolve_area(conn: asyncpg.Connection, ref: Any, field: str = "area") -> asyncpg.Record:
    """An area given by id (number) or code (string); 422 naming the field otherwise."""
    row = None
    if isinstance(ref, int) and not isinstance(ref, bool) and 0 < ref < 2**63:
        row = await areas_db.brief(conn, ref)
    elif isinstance(ref, str) and ref.strip():
        text = ref.strip()
        row = await areas_db.by_code(conn, text)
        if row is None and text.isdigit() and 0 < int(text) < 2**63:
            row = await areas_db.brief(conn, int(text))
    elif ref is None:
        raise invalid({field: "required"})
    if row is None:
        raise invalid({field: "no such area (give its id or code)"})
    return row


async def resolve_agency(conn: asyncpg.Connection, ref: Any, field: str = "agency") -> asyncpg.Record:
    """An agency given by its code; 422 naming the field otherwise."""
    if ref is None:
        raise invalid({field: "required"})
    row = await agencies_db.by_code(conn, ref.strip()) if isinstance(ref, str) and ref.strip() else None
    if row is None:
        raise invalid({field: "no such agency (give its code, see GET /api/agencies)"})
    return row


# --- The inbox -------------------------------------------------------------------------------------------
def _encode(due: datetime | None, post_id: int) -> str:
    micros = "" if due is None else str(int(due.timestamp() * 1_000_000))
    return base64.urlsafe_b64encode(f"i1:{micros}:{post_id}".encode()).decode().rstrip("=")


def _decode(raw: str | None) -> tuple[datetime | None, int] | None:
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        tag, micros, post_id = text.split(":")
        if tag != "i1" or not 0 < int(post_id) < 2**63:
            raise ValueError(text)
        due = datetime.fromtimestamp(int(micros) / 1_000_000, UTC) if micros else None
        return due, int(post_id)
    except (binascii.Error, ValueError, OverflowError):
        raise invalid({"cursor": "not a valid cursor"}) from None


def clock_json(row: Any, now: datetime) -> dict[str, Any]:
    due = row["due_at"]
    return {
        "agency": row["agency_code"],
        "started_at": iso(row["clock_started_at"]),
        "ack_due_at": iso(row["ack_due_at"]),
        "resolve_due_at": iso(row["resolve_due_at"]),
        "acknowledged_at": iso(row["clock_acknowledged_at"]),
        "due_at": iso(due),
        "overdue": due is not None and due < now,
        "overdue_s": max(0, int((now - due).total_seconds())) if due is not None else 0,
    }


async def inbox(request: Request) -> JSONResponse:
    """GET /api/officials/inbox?status=&overdue=&limit=&cursor= — posts in the caller's areas and below
    (unless an agency owns them), and posts owned by the caller's agencies.

    Newest first; with overdue=true only posts past their running deadline, most overdue first. Admins see
    every routed post (the unrouted ones are GET /api/admin/unrouted)."""
    runtime = runtime_of(request)
    user = await require_role(request, "official", "admin")
    query = query_of(request, InboxParams)
    status, overdue, limit, cursor = query.status, query.overdue, query.limit, _decode(query.cursor)
    now = runtime.clock()
    after_due, after_id = cursor if cursor else (None, 2**63 - 1 if not overdue else 0)
    async with runtime.pool.acquire() as conn:
        rows = await officials_db.inbox(
            conn,
            user_id=None if user.role == "admin" else user.id,
            status=status,
            now=now,
            overdue=overdue,
            limit=limit + 1,
            after_due=after_due if overdue else None,
            after_id=after_id,
        )
        mine = await officials_db.areas_of(conn, user.id)
        my_agencies = await agencies_db.agencies_of(conn, user.id)
    page = rows[:limit]
    # Everything in an inbox is in the caller's areas or owned by its agencies (or the caller is an admin):
    # the audience that must find the spot, so may locate a fuzzed report exactly (feed.core.privacy).
    items = [{"post": _with_exact(post_json(r, runtime.storage), r), **clock_json(r, now)} for r in page]
    nxt = None
    if len(rows) > limit:
        last = page[-1]
        nxt = _encode(last["due_at"] if overdue else None, last["id"])
    return JSONResponse(
        {
            "items": items,
            "areas": [area_json(a) for a in mine],
            "agencies": [agency_json(a) for a in my_agencies],
            "next": nxt,
        }
    )


async def unrouted(request: Request) -> JSONResponse:
    """GET /api/admin/unrouted?limit=&cursor= — the fallback queue: posts outside every area, newest first.
    An admin dispatches one with POST /api/posts/{id}/status {"status": "forwarded", "to_area": …}."""
    runtime = runtime_of(request)
    await require_role(request, "admin")
    query = query_of(request, PageParams)
    limit, cursor = query.limit, _decode(query.cursor)
    async with runtime.pool.acquire() as conn:
        rows = await officials_db.unrouted(conn, cursor[1] if cursor else 2**63 - 1, limit + 1)
    page = rows[:limit]
    nxt = _encode(None, page[-1]["id"]) if len(rows) > limit else None
    return JSONResponse({"items": [post_json(r, runtime.storage) for r in page], "next": nxt})


def _with_exact(body: dict[str, Any], row: Any) -> dict[str, Any]:
    if privacy.is_fuzzed(row):
        body["exact"] = {"lat": row["lat"], "lon": row["lon"]}
    return body


def agency_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "code": row["code"], "name": row["name"], "categories": list(row["categories"])}


async def area_or_404(conn: asyncpg.Connection, area_id: int) -> asyncpg.Record:
    row = await areas_db.brief(conn, area_id)
    if row is None:
        raise not_found("area")
    return row
