"""Admins appoint officials to areas: POST /api/admin/officials {handle, area} and DELETE with the same body
(area = id or code). `warga official assign HANDLE AREA` does the same from the shell."""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import officials as officials_db
from db import users as users_db
from feed.areas import area_json
from feed.auth import require_role
from feed.errors import ApiError, invalid
from feed.officials import resolve_area
from feed.parse import no_unknown, read_json, text_field


class AssignError(ValueError):
    """Refused, with the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def assign(conn: asyncpg.Connection, handle: str, area_ref: Any) -> tuple[Any, Any, bool]:
    """Make the user an official of the area: (user, area, newly assigned). A citizen becomes an official;
    moderators and admins keep their role (an admin acts everywhere anyway)."""
    async with conn.transaction():
        user = await users_db.by_handle_with_hash(conn, handle)
        if user is None:
            raise AssignError("handle", "no such user")
        try:
            area = await resolve_area(conn, area_ref)
        except ApiError:
            raise AssignError("area", "no such area (give its id or code)") from None
        if user["role"] == "citizen":
            await users_db.set_role(conn, user["id"], "official")
        created = await officials_db.assign(conn, user["id"], area["id"])
    return user, area, created


async def _body(request: Request) -> tuple[str, Any]:
    data = await read_json(request, request.app.state.runtime.settings.max_json_bytes)
    no_unknown(data, {"handle", "area"})
    errors: dict[str, str] = {}
    handle = text_field(data, "handle", errors, max_len=64)
    if data.get("area") is None:
        errors["area"] = "required"
    if errors:
        raise invalid(errors)
    return handle, data["area"]


async def add_official(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    await require_role(request, "admin")
    handle, area_ref = await _body(request)
    async with runtime.pool.acquire() as conn:
        try:
            user, area, created = await assign(conn, handle, area_ref)
        except AssignError as exc:
            raise invalid({exc.field: str(exc)}) from None
    if user["role"] == "citizen":
        await runtime.realtime.user_changed(user["id"])  # the role changed: its sockets re-authenticate
    body = {"user": {"id": user["id"], "handle": user["handle"]}, "area": area_json(area), "created": created}
    return JSONResponse(body, status_code=201 if created else 200)


async def remove_official(request: Request) -> Response:
    runtime = request.app.state.runtime
    await require_role(request, "admin")
    handle, area_ref = await _body(request)
    async with runtime.pool.acquire() as conn:
        user = await users_db.by_handle_with_hash(conn, handle)
        if user is None:
            raise invalid({"handle": "no such user"})
        area = await resolve_area(conn, area_ref)
        if not await officials_db.unassign(conn, user["id"], area["id"]):
            raise ApiError(404, "not_found", "That user is not an official of that area.")
    return Response(status_code=204)
