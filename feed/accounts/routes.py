"""The accounts domain's routes: register, sign in and out, the caller's own account."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from feed.accounts import sessions


def routes() -> list[BaseRoute]:
    return [
        Route("/api/auth/register", sessions.register, methods=["POST"]),
        Route("/api/auth/login", sessions.login, methods=["POST"]),
        Route("/api/auth/logout", sessions.logout, methods=["POST"]),
        Route("/api/auth/logout-everywhere", sessions.logout_everywhere, methods=["POST"]),
        Route("/api/me/password", sessions.change_password, methods=["PUT"]),
        Route("/api/me", sessions.me),
    ]
