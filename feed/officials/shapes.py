"""The officials domain's request and response shapes, declared once (msgspec): areas, the league, inboxes,
agencies, the status of a report (docs/officials.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from feed.core.errors import invalid
from feed.core.shapes import Binary, Latitude, Longitude, Post, coordinate, page_size, strip_text
from feed.officials.boundaries import LEVELS

STATUSES = ("open", "acknowledged", "in_progress", "resolved", "rejected", "forwarded", "reopened")
SETTABLE = ("acknowledged", "in_progress", "resolved", "rejected", "forwarded")
AGENCY_LEVEL = "agency"
MAX_NOTE = 2000
MAX_REASON = 500
MAX_HANDLE = 64
MAX_AGENCY_CODE, MAX_AGENCY_NAME = 32, 200
LIMIT, MAX_LIMIT = 50, 200

Cursor = Annotated[str | None, Meta(description="Opaque cursor: the `next` of the previous page.")]
Period = Annotated[
    str, Meta(pattern="^[0-9]{1,4}[hd]$", description="e.g. 30d, 12h (1h to 366d)")  # league.period checks
]
Loose = dict[str, Any]  # an answer documented in docs/officials.md, not (yet) declared field by field


def _optional_text(shape: msgspec.Struct, *names: str) -> None:
    """An empty text is as if not given; a blank one is refused."""
    for name in names:
        if getattr(shape, name) == "":
            setattr(shape, name, None)
    strip_text(shape, *names)


class Area(msgspec.Struct):
    id: int
    name: str
    level: Annotated[str, Meta(extra_json_schema={"enum": list(LEVELS)})]
    code: str | None
    parent_id: int | None
    population: int | None


class AreaDetail(Area, kw_only=True):
    bbox: dict[str, float] | None
    geometry: Annotated[dict[str, Any] | None, Meta(description="GeoJSON")]
    parent: Area | None
    children: list[Area]


class Point(msgspec.Struct, forbid_unknown_fields=True):
    lat: Latitude
    lon: Longitude

    def __post_init__(self) -> None:
        self.lat, self.lon = coordinate(self.lat), coordinate(self.lon)


class InboxParams(msgspec.Struct, forbid_unknown_fields=True):
    status: Annotated[str | None, Meta(description="Only this status.")] = None
    overdue: Annotated[bool, Meta(description="Only overdue reports, most overdue first.")] = False
    limit: Annotated[int, page_size(MAX_LIMIT)] = LIMIT
    cursor: Cursor = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise invalid({"status": "one of " + ", ".join(STATUSES)})


class PageParams(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, page_size(MAX_LIMIT)] = LIMIT
    cursor: Cursor = None


class Unrouted(msgspec.Struct):
    items: list[Post]
    next: str | None


class LeagueParams(msgspec.Struct, forbid_unknown_fields=True):
    level: Annotated[
        str, Meta(extra_json_schema={"enum": [*LEVELS, AGENCY_LEVEL]}, description="Area level, or agency.")
    ] = "kelurahan"
    period: Period = "30d"

    def __post_init__(self) -> None:
        if self.level not in LEVELS and self.level != AGENCY_LEVEL:
            raise invalid({"level": "one of " + ", ".join((*LEVELS, AGENCY_LEVEL))})


class PeriodParams(msgspec.Struct, forbid_unknown_fields=True):
    period: Period = "30d"


class NoParams(msgspec.Struct, forbid_unknown_fields=True):
    pass


class Assignment(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of area (id or code) and agency (code)."""

    handle: Annotated[str, Meta(min_length=1, max_length=MAX_HANDLE)]
    area: int | str | None = None
    agency: str | None = None

    def __post_init__(self) -> None:
        strip_text(self, "handle")
        if (self.area is None) == (self.agency is None):
            raise invalid({"area": "give area or agency (exactly one)"})


class NewAgency(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=MAX_AGENCY_CODE)]
    name: Annotated[str, Meta(min_length=1, max_length=MAX_AGENCY_NAME)]
    categories: list[str] | None = None

    def __post_init__(self) -> None:
        strip_text(self, "code", "name")


class Agency(msgspec.Struct):
    id: int
    code: str
    name: str
    categories: list[str]


class AgencyWithOfficials(Agency, kw_only=True):
    officials: int


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    """An unknown `status` is a 409 (a conflict with the workflow), checked after who may act."""

    status: Annotated[str, Meta(extra_json_schema={"enum": list(SETTABLE)})]
    note: Annotated[str, Meta(max_length=MAX_NOTE)] | None = None
    reason: Annotated[str, Meta(max_length=MAX_REASON)] | None = None
    to_area: Annotated[int | str | None, Meta(description="forwarded: the new area (id or code)")] = None
    to_agency: Annotated[
        str | None, Meta(description="forwarded: a city agency (code), instead of to_area")
    ] = None
    lat: Annotated[
        Latitude | None, Meta(description="the official's device position, when the photo has no GPS")
    ] = None
    lon: Longitude | None = None

    def __post_init__(self) -> None:
        if not self.status:
            raise invalid({"status": "required"})
        _optional_text(self, "note", "reason")
        if (self.lat is None) != (self.lon is None):
            raise invalid({"lat" if self.lat is None else "lon": "give lat and lon together"})


class StatusChangeWithPhoto(msgspec.Struct):
    """POST /api/posts/{id}/status as multipart: StatusChange's fields as text parts and one proof `photo`."""

    status: Annotated[str, Meta(extra_json_schema={"enum": list(SETTABLE)})]
    note: Annotated[str, Meta(max_length=MAX_NOTE)] = ""
    reason: Annotated[str, Meta(max_length=MAX_REASON)] = ""
    to_area: str = ""
    to_agency: str = ""
    lat: str = ""
    lon: str = ""
    photo: Binary = ""


class Reopen(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON)]

    def __post_init__(self) -> None:
        strip_text(self, "reason")


class Timeline(msgspec.Struct):
    post: Post
    items: Annotated[list[dict[str, Any]], Meta(description="Created, status changes, reopens, escalations.")]
    clocks: list[dict[str, Any]]
