"""The accounts domain's request and response shapes, declared once (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from feed.core.auth import MAX_PASSWORD, MIN_PASSWORD
from feed.core.shapes import User, strip_text

MAX_HANDLE = 32
Password = Annotated[
    str,
    Meta(
        description=f"A new one: {MIN_PASSWORD}-{MAX_PASSWORD} characters, not among the 10,000 most common "
        "passwords, not the handle (feed/core/auth.py: password_problem, which words the refusal)"
    ),
]


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    handle: Annotated[
        str, Meta(min_length=1, max_length=MAX_HANDLE, description="Registering: letters, digits, '_' or '.'")
    ]
    password: Password

    def __post_init__(self) -> None:
        strip_text(self, "handle")


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current: str
    new: Password


class Session(msgspec.Struct):
    user: User
    token: str


class Me(msgspec.Struct):
    user: User


class Revoked(msgspec.Struct):
    ok: bool
    revoked: Annotated[int, Meta(ge=0)]
