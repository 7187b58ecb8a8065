"""The shapes every domain shares, declared once as msgspec Structs: the error, a post, a comment, a page.
The OpenAPI document (feed/core/openapi.py) and the encoding both come from these declarations."""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from msgspec import Meta

from feed.core.auth import ROLES
from feed.core.errors import invalid
from kernel.categories import CATEGORIES

T = TypeVar("T")

DateTime = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]  # ISO 8601 UTC text, made by SQL
CategoryCode = Annotated[str, Meta(extra_json_schema={"enum": sorted(CATEGORIES)})]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
PositiveId = Annotated[int, Meta(ge=1, le=2**63 - 1)]


def page_size(high: int) -> Meta:
    return Meta(ge=1, le=high, description="Page size.")


def strip_text(shape: msgspec.Struct, *names: str) -> None:
    """Strip the named text fields (their declared lengths bound what was sent); blank is refused as
    empty was, a 422 naming the field."""
    for name in names:
        value = getattr(shape, name)
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise invalid({name: "must not be empty"})
            setattr(shape, name, value)


def check_category(code: str | None, name: str = "category") -> None:
    if code is not None and code not in CATEGORIES:
        raise invalid({name: "unknown category (see GET /api/categories)"})


def coordinate(value: float) -> float:
    # PostgreSQL float8 maths raises "underflow" on values like 1e-300 (sin, cos, products); nothing warga
    # measures is smaller than a micrometre, so such a value is zero.
    return 0.0 if abs(value) < 1e-12 or not math.isfinite(value) else value


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    fields: dict[str, str]


class Error(msgspec.Struct):
    """Every 4xx and 5xx: {"error": {"code", "message", "fields"}} (feed/core/errors.py renders it)."""

    error: ErrorDetail


class Ok(msgspec.Struct):
    ok: bool


class User(msgspec.Struct):
    """An account as others may see it (feed.core.auth.User.public)."""

    id: int
    handle: str
    role: Annotated[str, Meta(extra_json_schema={"enum": list(ROLES)})]
    display_name: str | None


class Author(msgspec.Struct):
    id: int
    handle: str


class Category(msgspec.Struct):
    code: CategoryCode
    name_id: str
    name_en: str
    sensitive: bool
    attributes: Annotated[
        list[dict[str, Any]],
        Meta(description="The category's extra questions, as Open311 service definition attributes."),
    ]


class Photo(msgspec.Struct):
    thumb_url: str
    display_url: str
    width: int
    height: int
    blurhash: str | None


class Post(msgspec.Struct, kw_only=True):
    """A post as clients see it (feed.core.serialize.post_json builds it; events carry the same)."""

    id: int
    text: str
    category: CategoryCode
    lat: Annotated[float, Meta(description="Public position (may be fuzzed for sensitive categories).")]
    lon: float
    status: str
    author: Author
    created_at: DateTime
    updated_at: DateTime
    votes: int
    comments: Annotated[int, Meta(description="Visible comments only.")]
    photos: Annotated[list[Photo], Meta(max_length=4)]
    hidden: Annotated[bool, Meta(description="Only ever true for moderators and admins.")]
    area_id: int | None
    attributes: Annotated[dict[str, Any], Meta(description="Answers to the category's questions.")]
    merged_into: Annotated[
        int | None, Meta(description="A merged duplicate's original (status 'merged'); null otherwise.")
    ]


class Suggestion(msgspec.Struct):
    """A possible duplicate of a report: nearby, same category, recent (feed/trust/duplicates.py)."""

    id: int
    text: str
    distance_m: float
    votes: int
    thumb_url: str | None


class Exact(msgspec.Struct):
    lat: float
    lon: float


class Comment(msgspec.Struct):
    id: int
    post_id: int
    text: str
    author: Author
    created_at: DateTime
    hidden: bool


Binary = Annotated[str, Meta(extra_json_schema={"format": "binary"})]  # a file part of a multipart body
Cursor = Annotated[str | None, Meta(description="Opaque cursor: the `next` of the previous page.")]


class Page(msgspec.Struct, Generic[T]):
    """One page of a list, newest first; `next` is the opaque cursor of the following page."""

    items: list[T]
    next: str | None


class Items(msgspec.Struct, Generic[T]):
    items: list[T]


class NoQuery(msgspec.Struct, forbid_unknown_fields=True):
    """No query parameters: any is refused as unknown."""
