"""The posts domain's request and response shapes, declared once (msgspec): the routes document them, the
handlers decode and answer through them."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from feed.core.shapes import (
    Binary,
    CategoryCode,
    Cursor,
    Exact,
    Latitude,
    Longitude,
    Post,
    Suggestion,
    check_category,
    coordinate,
    page_size,
    strip_text,
)
from feed.core.uploads import MAX_PHOTOS

MAX_TEXT = 2000
DEFAULT_RADIUS_M, MAX_RADIUS_M = 2000, 10_000
FEED_LIMIT, FEED_MAX_LIMIT = 20, 100
COMMENTS_LIMIT, COMMENTS_MAX_LIMIT = 20, 100
PostText = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]
Status = Annotated[str, Meta(pattern="^[a-z_]{1,32}$", description="Only this status (e.g. open).")]


class NewPostBody(msgspec.Struct, forbid_unknown_fields=True):
    """A new report as JSON (or the text fields of a multipart one). lat/lon may be left out with
    location_from_photo true: the first GPS-tagged photo gives the position."""

    text: PostText
    category: CategoryCode
    lat: Latitude | None = None
    lon: Longitude | None = None
    location_from_photo: bool | None = None
    # Checked after decoding (categories.check_attributes: each category has its own questions).
    attributes: Annotated[
        Any,
        Meta(
            description="Answers to the category's questions (GET /api/categories), or that object as JSON "
            "text; if given, the required ones must be answered.",
            extra_json_schema={"type": ["object", "string", "null"]},
        ),
    ] = None

    def __post_init__(self) -> None:
        strip_text(self, "text")
        check_category(self.category)
        self.lat = None if self.lat is None else coordinate(self.lat)
        self.lon = None if self.lon is None else coordinate(self.lon)


class NewPostWithPhotos(msgspec.Struct):
    """POST /api/posts as multipart/form-data: NewPostBody's fields as text parts, and 1-4 `photo` files."""

    text: PostText
    category: CategoryCode
    photo: Annotated[list[Binary], Meta(min_length=1, max_length=MAX_PHOTOS)]
    lat: Annotated[str, Meta(description="A number from -90 to 90.")] = ""
    lon: Annotated[str, Meta(description="A number from -180 to 180.")] = ""
    location_from_photo: Annotated[str, Meta(extra_json_schema={"enum": ["true", "false"]})] = "false"
    attributes: Annotated[str, Meta(description="The `attributes` object as JSON text.")] = ""


class CreatedPost(Post, kw_only=True):
    """The post, plus what applies only sometimes: suggestions, a hold, the author's exact position."""

    possible_duplicates: list[Suggestion] | UnsetType = UNSET
    exact: Exact | UnsetType = UNSET
    position_approximate: bool | UnsetType = UNSET
    held: bool | UnsetType = UNSET
    message: str | UnsetType = UNSET
    held_reason: str | UnsetType = UNSET


class PostDetail(Post, kw_only=True):
    voted_by_me: bool
    exact: Annotated[
        Exact | UnsetType, Meta(description="A fuzzed post's true position, to those who may.")
    ] = UNSET


class OnePhoto(msgspec.Struct):
    photo: Binary


class Located(msgspec.Struct):
    lat: float
    lon: float


class FeedParams(msgspec.Struct, forbid_unknown_fields=True):
    lat: Latitude
    lon: Longitude
    radius_m: Annotated[float, Meta(ge=1, le=MAX_RADIUS_M, description="Radius in metres.")] = (
        DEFAULT_RADIUS_M
    )
    category: Annotated[CategoryCode | None, Meta(description="Only this category.")] = None
    status: Status | None = None
    limit: Annotated[int, page_size(FEED_MAX_LIMIT)] = FEED_LIMIT
    before: Cursor = None

    def __post_init__(self) -> None:
        check_category(self.category)
        self.lat, self.lon = coordinate(self.lat), coordinate(self.lon)


class FeedItem(Post, kw_only=True):
    distance_m: Annotated[float, Meta(description="Great-circle distance from the point.")]
    voted_by_me: Annotated[bool, Meta(description="Always false when anonymous.")]


class Vote(msgspec.Struct):
    votes: int
    voted: bool


class NewComment(msgspec.Struct, forbid_unknown_fields=True):
    text: PostText

    def __post_init__(self) -> None:
        strip_text(self, "text")


class CommentsParams(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, page_size(COMMENTS_MAX_LIMIT)] = COMMENTS_LIMIT
    before: Cursor = None
