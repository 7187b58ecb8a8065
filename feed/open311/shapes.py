"""The open data domain's shapes, declared once (msgspec): the Open311 GeoReport v2 parameters and error list
(docs/open311.md; the spec's own error format, in .json or .xml) and the export's query."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from feed.core.errors import invalid
from feed.core.open311_xml import FORMATS
from feed.core.shapes import CategoryCode, check_category
from feed.trust.idempotency import MAX_KEY

EXPORT_FORMATS = ("geojson", "csv")
Format = Annotated[str, Meta(extra_json_schema={"enum": list(FORMATS)})]
IDEMPOTENCY = {
    "Idempotency-Key": f"1-{MAX_KEY} printable ASCII characters: a retry answers the first result."
}


class Discovery(msgspec.Struct):
    fmt: Format


class ServicePath(msgspec.Struct):
    service_code: str
    fmt: Format


class RequestPath(msgspec.Struct):
    id: str
    fmt: Format


class TokenPath(msgspec.Struct):
    token: str
    fmt: Format


class Open311Error(msgspec.Struct):
    code: int
    description: str


# Errors come in the format the path asked for; success answers too (their JSON follows the spec).
ERROR_MEDIA: dict[str, Any] = {"application/json": list[Open311Error], "text/xml": str}
ANSWER_MEDIA: dict[str, Any] = {"application/json": None, "text/xml": str}


class RequestsQuery(msgspec.Struct):
    """The spec's parameters, read by georeport.list_requests (its rules and error list are the spec's)."""

    service_request_id: Annotated[
        str, Meta(description="Comma list of ids; overrides every other parameter")
    ] = ""
    service_code: Annotated[str, Meta(description="Comma list of service codes")] = ""
    start_date: Annotated[str, Meta(description="ISO 8601; range at most 90 days (default: the last 90)")] = (
        ""
    )
    end_date: Annotated[str, Meta(description="ISO 8601")] = ""
    status: Annotated[str, Meta(description="open, closed or both (comma list)")] = ""
    page: Annotated[int, Meta(description="Extension: page number from 1")] = 1
    page_size: Annotated[int, Meta(description="Extension: 1-1000 (default 1000)")] = 1000


ServiceRequestForm = Annotated[
    dict[str, str],
    Meta(
        description="The spec's fields (api_key, service_code, lat/long or address_string…; docs/open311.md)"
    ),
]


class ExportQuery(msgspec.Struct):
    format: Annotated[
        str, Meta(extra_json_schema={"enum": list(EXPORT_FORMATS)}, description="Default geojson")
    ] = "geojson"
    from_: Annotated[str | None, Meta(description="ISO 8601: created at or after")] = msgspec.field(
        default=None, name="from"
    )
    to: Annotated[str | None, Meta(description="ISO 8601: created before")] = None
    area: Annotated[int, Meta(ge=1, le=2**63 - 1, description="Area id (its sub-areas included)")] | None = (
        None
    )
    category: Annotated[CategoryCode | None, Meta(description="Category code")] = None

    def __post_init__(self) -> None:
        if self.format not in EXPORT_FORMATS:
            raise invalid({"format": "geojson or csv"})
        check_category(self.category)
