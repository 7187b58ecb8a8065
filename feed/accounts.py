"""Sign-up, sign-in, sign-out and "who am I"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import suspensions as suspensions_db
from db import users as users_db
from feed import auth
from feed.errors import ApiError, invalid
from feed.parse import no_unknown, read_json, text_field
from feed.serialize import iso

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.]{3,32}$")


async def issue_token(conn: asyncpg.Connection, user_id: int, ttl_days: int) -> str:
    token = auth.new_token()
    expires = datetime.now(UTC) + timedelta(days=ttl_days)
    await users_db.insert_token(conn, auth.token_digest(token), user_id, expires)
    return token


def _credentials(data: dict[str, object]) -> tuple[str, str]:
    no_unknown(data, {"handle", "password"})
    errors: dict[str, str] = {}
    handle = text_field(data, "handle", errors, max_len=32)
    raw = data.get("password")
    password = raw if isinstance(raw, str) else ""
    if not isinstance(raw, str):
        errors["password"] = "required" if raw is None else "must be a string"
    if errors:
        raise invalid(errors)
    return handle, password


async def register(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    handle, password = _credentials(await read_json(request, runtime.settings.max_json_bytes))
    errors = {}
    if not HANDLE_RE.match(handle):
        errors["handle"] = "3-32 letters, digits, '_' or '.'"
    if not 8 <= len(password) <= 256:
        errors["password"] = "must be 8-256 characters"
    if errors:
        raise invalid(errors)
    await runtime.limits.check(request, "register")
    password_hash = auth.hash_password(password)  # before the transaction: argon2 is deliberately slow
    async with runtime.pool.acquire() as conn, conn.transaction():
        row = await users_db.create(conn, handle, password_hash)
        if row is None:
            raise ApiError(409, "handle_taken", "That handle is taken.", {"handle": "taken"})
        token = await issue_token(conn, row["id"], runtime.settings.token_ttl_days)
    user = auth.User.from_row(row)
    return JSONResponse({"user": user.public(), "token": token}, status_code=201)


async def login(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    handle, password = _credentials(await read_json(request, runtime.settings.max_json_bytes))
    await runtime.limits.check(request, "login")
    async with runtime.pool.acquire() as conn:
        row = await users_db.by_handle_with_hash(conn, handle)
    if not auth.verify_password(row["password_hash"] if row else None, password) or row is None:
        raise ApiError(401, "bad_credentials", "Wrong handle or password.")
    user = auth.User.from_row(row)
    if user.suspended:
        raise await _suspended(runtime, user.id)
    async with runtime.pool.acquire() as conn:
        if auth.needs_rehash(row["password_hash"]):
            await users_db.set_password_hash(conn, user.id, auth.hash_password(password))
        token = await issue_token(conn, user.id, runtime.settings.token_ttl_days)
    return JSONResponse({"token": token, "user": user.public()})


async def _suspended(runtime: Any, user_id: int) -> ApiError:
    """403 `suspended` telling the account holder (the password was right) why, until when, and whether
    they may still appeal (POST /api/appeals, once per suspension)."""
    async with runtime.pool.acquire() as conn:
        row = await suspensions_db.refusal_details(conn, user_id)
    if row is None:  # suspended_until set without a suspensions row (a manual edit): no more to tell
        return ApiError(403, "suspended", "Your account is suspended.")
    return ApiError(
        403,
        "suspended",
        f"Your account is suspended until {iso(row['ends_at'])}: {row['reason']}",
        {
            "reason": row["reason"],
            "suspended_until": iso(row["ends_at"]) or "",
            "appeal": "already_appealed" if row["appealed"] else "allowed",
        },
    )


async def logout(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    token = auth.bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "Sign in first.")
    async with runtime.pool.acquire() as conn:
        user_id = await users_db.revoke_token(conn, auth.token_digest(token))
    if user_id is None:
        raise ApiError(401, "unauthorized", "The token is invalid or expired.")
    # After the write: live sockets opened with this token are closed (realtime issue).
    await runtime.realtime.tokens_revoked(user_id)
    return JSONResponse({"ok": True})


async def me(request: Request) -> JSONResponse:
    user = await auth.require_user(request)
    return JSONResponse({"user": user.public()})
