"""The accounts domain's routes: register, sign in and out, the caller's own account, each declared with its
shapes (feed/accounts/shapes.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from feed.accounts import sessions
from feed.accounts.shapes import Credentials, Me, PasswordChange, Revoked, Session
from feed.core.endpoint import endpoint
from feed.core.shapes import Ok

TAG = "accounts"


def routes() -> list[BaseRoute]:
    return [
        endpoint(
            "/api/auth/register",
            "POST",
            sessions.register,
            summary="Create an account (password: 8-256 characters, not among the 10,000 most common)",
            tag=TAG,
            body=Credentials,
            response=Session,
            status=201,
            errors=(409, 429),
        ),
        endpoint(
            "/api/auth/login",
            "POST",
            sessions.login,
            summary="Sign in (throttled per address and per handle: 429 with Retry-After)",
            tag=TAG,
            body=Credentials,
            response=Session,
            errors=(401, 403, 429),
        ),
        endpoint(
            "/api/auth/logout",
            "POST",
            sessions.logout,
            summary="Revoke this token",
            tag=TAG,
            auth="required",
            response=Ok,
        ),
        endpoint(
            "/api/auth/logout-everywhere",
            "POST",
            sessions.logout_everywhere,
            summary="Revoke every token of this account (this one too) and close its live sockets",
            tag=TAG,
            auth="required",
            response=Revoked,
        ),
        endpoint(
            "/api/me/password",
            "PUT",
            sessions.change_password,
            summary="Change the password; every other token of the account is revoked and its sockets closed",
            tag=TAG,
            auth="required",
            body=PasswordChange,
            response=Revoked,
            errors=(403, 429),
        ),
        endpoint(
            "/api/me",
            "GET",
            sessions.me,
            summary="The signed-in account",
            tag=TAG,
            auth="required",
            response=Me,
        ),
    ]
