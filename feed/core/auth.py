"""Passwords (argon2id), bearer tokens (random, stored as sha256) and who the caller is."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from db import users as users_db
from feed.core.context import runtime_of
from feed.core.errors import ApiError
from kernel.tokens import token_digest
from kernel.visibility import STAFF_ROLES

ROLES = ("citizen", "official", "moderator", "admin")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the handle is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("warga-timing-equaliser")


@dataclass(frozen=True)
class User:
    id: int
    handle: str
    role: str
    display_name: str | None
    created_at: datetime
    suspended_until: datetime | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"],
            handle=row["handle"],
            role=row["role"],
            display_name=row["display_name"],
            created_at=row["created_at"],
            suspended_until=row["suspended_until"],
        )

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > datetime.now(UTC)

    def public(self) -> dict[str, object]:
        return {"id": self.id, "handle": self.handle, "role": self.role, "display_name": self.display_name}


# NIST SP 800-63B: at least 8 characters, no composition rules, and not a commonly used password. The list
# is the 10,000 most common (feed/core/data/common_passwords.txt says where it comes from), compared
# case- and surrounding-space-insensitively, as the list is lowercased.
MIN_PASSWORD, MAX_PASSWORD = 8, 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").split("\n")
    start = 0
    while start < len(lines) and lines[start].startswith("#"):  # the header (source and licence)
        start += 1
    return frozenset(line for line in lines[start:] if line)


def password_problem(password: str, handle: str | None = None) -> str | None:
    """Why this password may not be set (the `password` field's message), or None if it may."""
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"must be at most {MAX_PASSWORD} characters"
    folded = password.strip().lower()
    if folded in common_passwords():
        return "is one of the most common passwords; choose another"
    if handle is not None and folded == handle.strip().lower():
        return "must not be your handle"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    return "wrg_" + secrets.token_urlsafe(32)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Authorization must be 'Bearer <token>'.")
    return token.strip()


async def user_for_token(conn: asyncpg.Connection, token: str) -> User | None:
    row = await users_db.user_for_token(conn, token_digest(token))
    return User.from_row(row) if row else None


async def current_user(request: Request) -> User | None:
    """The signed-in caller, None if anonymous; a bad or expired token is a 401, never anonymous."""
    if "user" in request.state._state:
        cached: User | None = request.state.user
        return cached
    token = bearer_token(request)
    user = None
    if token is not None:
        async with runtime_of(request).pool.acquire() as conn:
            user = await user_for_token(conn, token)
        if user is None:
            raise ApiError(401, "unauthorized", "The token is invalid or expired.")
    request.state.user = user
    return user


async def require_user(request: Request) -> User:
    user = await current_user(request)
    if user is None:
        raise ApiError(401, "unauthorized", "Sign in first.")
    if user.suspended:
        raise ApiError(403, "suspended", "Your account is suspended.")
    return user


async def require_role(request: Request, *roles: str) -> User:
    user = await require_user(request)
    if user.role not in roles:
        raise ApiError(403, "forbidden", "Your role may not do this.")
    return user
