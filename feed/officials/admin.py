"""Admins appoint officials to areas or city agencies: POST /api/admin/officials {handle, area | agency} and
DELETE with the same body (area = id or code, agency = code), and keep the agency list: POST
/api/admin/agencies {code, name, categories}. `warga official assign|remove HANDLE AREA` (or `--agency CODE`)
and `warga agency add` do the same from the shell."""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import agencies as agencies_db
from db import officials as officials_db
from db import users as users_db
from feed.core.auth import require_role
from feed.core.context import runtime_of
from feed.core.endpoint import convert, json_body
from feed.core.errors import ApiError, invalid
from feed.core.parse import read_json
from feed.officials.areas import area_json
from feed.officials.routing import agency_json, resolve_agency, resolve_area
from feed.officials.shapes import Assignment, NewAgency
from kernel.categories import CATEGORIES


class AssignError(ValueError):
    """Refused, with the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotAssigned(AssignError):
    """The user holds no such assignment (404 over HTTP)."""


async def assign(
    conn: asyncpg.Connection, handle: str, area_ref: Any, *, agency: bool = False
) -> tuple[Any, Any, bool]:
    """Make the user an official of the area (or, with agency=True, of the agency whose code area_ref is):
    (user, area or agency, newly assigned). A citizen becomes an official; moderators and admins keep their
    role (an admin acts everywhere anyway)."""
    async with conn.transaction():
        user = await users_db.by_handle_with_hash(conn, handle)
        if user is None:
            raise AssignError("handle", "no such user")
        place = await _place(conn, area_ref, agency)
        if user["role"] == "citizen":
            await users_db.set_role(conn, user["id"], "official")
        if agency:
            created = await agencies_db.assign(conn, user["id"], place["id"])
        else:
            created = await officials_db.assign(conn, user["id"], place["id"])
    return user, place, created


async def unassign(conn: asyncpg.Connection, handle: str, ref: Any, *, agency: bool = False) -> Any:
    """Remove the user's assignment to the area (or agency): the user, or AssignError. The caller tells
    the gateways (Realtime.user_changed), which withdraw its live subscriptions there."""
    user = await users_db.by_handle_with_hash(conn, handle)
    if user is None:
        raise AssignError("handle", "no such user")
    place = await _place(conn, ref, agency)
    if agency:
        removed = await agencies_db.unassign(conn, user["id"], place["id"])
    else:
        removed = await officials_db.unassign(conn, user["id"], place["id"])
    if not removed:
        raise NotAssigned("agency" if agency else "area", "that user is not an official there")
    return user


async def _place(conn: asyncpg.Connection, ref: Any, agency: bool) -> Any:
    try:
        return await (resolve_agency(conn, ref) if agency else resolve_area(conn, ref))
    except ApiError:
        if agency:
            raise AssignError("agency", "no such agency (give its code)") from None
        raise AssignError("area", "no such area (give its id or code)") from None


async def _body(request: Request) -> tuple[str, Any, bool]:
    """(handle, area or agency reference, whether it is an agency)."""
    body = await json_body(request, Assignment)
    if body.agency is not None:
        return body.handle, body.agency, True
    return body.handle, body.area, False


async def add_official(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    await require_role(request, "admin")
    handle, ref, agency = await _body(request)
    async with runtime.pool.acquire() as conn:
        try:
            user, place, created = await assign(conn, handle, ref, agency=agency)
        except AssignError as exc:
            raise invalid({exc.field: str(exc)}) from None
    if user["role"] == "citizen":
        await runtime.realtime.user_changed(user["id"])  # the role changed: its sockets re-authenticate
    body: dict[str, Any] = {"user": {"id": user["id"], "handle": user["handle"]}, "created": created}
    body["agency" if agency else "area"] = agency_json(place) if agency else area_json(place)
    return JSONResponse(body, status_code=201 if created else 200)


async def remove_official(request: Request) -> Response:
    runtime = runtime_of(request)
    await require_role(request, "admin")
    handle, ref, agency = await _body(request)
    async with runtime.pool.acquire() as conn:
        try:
            user = await unassign(conn, handle, ref, agency=agency)
        except NotAssigned:
            raise ApiError(404, "not_found", "That user is not an official there.") from None
        except AssignError as exc:
            raise invalid({exc.field: str(exc)}) from None
    # Its live area/agency subscriptions there end now, not at the next periodic re-check.
    await runtime.realtime.user_changed(user["id"])
    return Response(status_code=204)


# --- Agencies --------------------------------------------------------------------------------------------
AGENCY_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def agency_fields(data: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(code, name, categories) of an agency (NewAgency), or 422 naming the field."""
    body = convert(data, NewAgency)
    code, name, categories = body.code, body.name, body.categories or []
    errors: dict[str, str] = {}
    if set(code) - AGENCY_CODE_CHARS or not code[0].isalnum():
        errors["code"] = "letters, digits, '_', '.' or '-', starting with a letter or digit"
    if not all(c in CATEGORIES for c in categories):
        errors["categories"] = "a list of category codes"
    if errors:
        raise invalid(errors)
    return code, name, sorted(set(categories))


async def add_agency(request: Request) -> JSONResponse:
    """POST /api/admin/agencies {code, name, categories?}: 201 new, 200 updated (same code)."""
    runtime = runtime_of(request)
    await require_role(request, "admin")
    data = await read_json(request, runtime.settings.max_json_bytes)
    code, name, categories = agency_fields(data)
    async with runtime.pool.acquire() as conn:
        agency_id, created = await agencies_db.upsert(conn, code, name, categories)
        row = await agencies_db.by_id(conn, agency_id)
    return JSONResponse(agency_json(row), status_code=201 if created else 200)
