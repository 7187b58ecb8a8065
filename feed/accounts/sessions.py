"""Sign-up, sign-in (throttled per address and per handle), sign-out, sign-out everywhere, a password change,
and "who am I". Passwords follow NIST SP 800-63B (feed/core/auth.py: password_problem)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from db import suspensions as suspensions_db
from db import users as users_db
from feed.accounts.shapes import Credentials, PasswordChange, Revoked
from feed.core import auth, ratelimit
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import json_body, respond
from feed.core.errors import ApiError, invalid
from feed.core.serialize import iso

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.]{3,32}$")


async def issue_token(conn: asyncpg.Connection, user_id: int, ttl_days: int) -> str:
    token = auth.new_token()
    expires = datetime.now(UTC) + timedelta(days=ttl_days)
    await users_db.insert_token(conn, auth.token_digest(token), user_id, expires)
    return token


async def _credentials(request: Request) -> tuple[str, str]:
    body = await json_body(request, Credentials)
    return body.handle, body.password


async def register(request: Request) -> Response:
    runtime = runtime_of(request)
    handle, password = await _credentials(request)
    errors = {}
    if not HANDLE_RE.match(handle):
        errors["handle"] = "3-32 letters, digits, '_' or '.'"
    if problem := auth.password_problem(password, handle):
        errors["password"] = problem
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
    return respond({"user": user.public(), "token": token}, 201)


def _handle_key(handle: str) -> bytes:
    """What the per-handle throttle is keyed by: a digest, so mistyped handles are not stored."""
    return hashlib.sha256(handle.strip().lower().encode()).digest()


async def _claim_attempt(runtime: AppRuntime, handle: str) -> bytes:
    """Count one password attempt on this handle, or refuse it: 429 `rate_limited` with Retry-After while
    the handle is backing off (feed/core/ratelimit.py: 5 free failures in a row, then 1 s doubling to 15 min).
    Every handle is counted alike, taken or not, so the answers never tell whether an account exists."""
    key = _handle_key(handle)
    async with runtime.pool.acquire() as conn:
        wait = await users_db.claim_sign_in(
            conn, key, ratelimit.sign_in_backoffs(), ratelimit.SIGN_IN_FORGET_S
        )
        if secrets.randbelow(256) == 0:  # now and then: forget handles idle for a day
            await users_db.prune_sign_in_failures(conn, ratelimit.SIGN_IN_FORGET_S)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many failed sign-ins for this handle; try again in {retry} s.",
            headers={"Retry-After": str(retry)},
        )
    return key


async def authenticate(runtime: AppRuntime, handle: str, password: str) -> asyncpg.Record:
    """The user row for a handle and password, for every endpoint that takes a password instead of a token
    (sign-in, appeals). Throttled per handle (429 with Retry-After, above); a wrong password and an unknown
    handle are the same 401 `bad_credentials`, after the same argon2 work; a success resets the count."""
    key = await _claim_attempt(runtime, handle)
    async with runtime.pool.acquire() as conn:
        row = await users_db.by_handle_with_hash(conn, handle)
    if not auth.verify_password(row["password_hash"] if row else None, password) or row is None:
        raise ApiError(401, "bad_credentials", "Wrong handle or password.")
    async with runtime.pool.acquire() as conn:
        await users_db.sign_in_succeeded(conn, key)
    return row


async def login(request: Request) -> Response:
    runtime = runtime_of(request)
    handle, password = await _credentials(request)
    await runtime.limits.check(request, "login")
    row = await authenticate(runtime, handle, password)
    user = auth.User.from_row(row)
    if user.suspended:
        raise await _suspended(runtime, user.id)
    async with runtime.pool.acquire() as conn:
        if auth.needs_rehash(row["password_hash"]):
            await users_db.set_password_hash(conn, user.id, auth.hash_password(password))
        token = await issue_token(conn, user.id, runtime.settings.token_ttl_days)
    return respond({"token": token, "user": user.public()})


async def _suspended(runtime: AppRuntime, user_id: int) -> ApiError:
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


async def logout(request: Request) -> Response:
    runtime = runtime_of(request)
    token = auth.bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "Sign in first.")
    async with runtime.pool.acquire() as conn:
        user_id = await users_db.revoke_token(conn, auth.token_digest(token))
    if user_id is None:
        raise ApiError(401, "unauthorized", "The token is invalid or expired.")
    # After the write: live sockets opened with this token are closed (realtime issue).
    await runtime.realtime.tokens_revoked(user_id)
    return respond({"ok": True})


async def me(request: Request) -> Response:
    user = await auth.require_user(request)
    return respond({"user": user.public()})


async def logout_everywhere(request: Request) -> Response:
    """Revoke every token of the caller's account (this one too) and close its live sockets."""
    runtime = runtime_of(request)
    user = await auth.current_user(request)
    if user is None:
        raise ApiError(401, "unauthorized", "Sign in first.")
    async with runtime.pool.acquire() as conn:
        revoked = await users_db.revoke_all_tokens(conn, user.id)
    await runtime.realtime.tokens_revoked(user.id)  # after the write: every gateway re-checks and closes
    return respond(Revoked(True, revoked))


async def change_password(request: Request) -> Response:
    """PUT /api/me/password {current, new}: the new password follows the same rules as at sign-up; the
    current one is checked like a sign-in (throttled per handle). Every other token of the account is
    revoked and its sockets closed; the caller's token stays signed in."""
    runtime = runtime_of(request)
    user = await auth.require_user(request)
    body = await json_body(request, PasswordChange)
    current, new = body.current, body.new
    if problem := auth.password_problem(new, user.handle):
        raise invalid({"new": problem})
    await runtime.limits.check(request, "login", user.id)
    key = await _claim_attempt(runtime, user.handle)
    async with runtime.pool.acquire() as conn:
        stored = await users_db.password_hash_of(conn, user.id)
    if not auth.verify_password(stored, current):
        raise invalid({"current": "is not your current password"})
    if new == current:
        raise invalid({"new": "is your current password"})
    new_hash = auth.hash_password(new)  # before the transaction: argon2 is deliberately slow
    token = auth.bearer_token(request)
    assert token is not None  # require_user found a user by it
    async with runtime.pool.acquire() as conn:
        async with conn.transaction():
            await users_db.set_password_hash(conn, user.id, new_hash)
            revoked = await users_db.revoke_other_tokens(conn, user.id, auth.token_digest(token))
        await users_db.sign_in_succeeded(conn, key)
    await runtime.realtime.tokens_revoked(user.id)
    return respond(Revoked(True, revoked))
