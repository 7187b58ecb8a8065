"""GET /api/export?format=geojson|csv&from=&to=&area=&category=: public reports as open data, streamed from
a server-side cursor (db.export) so memory stays constant however many rows there are. Hidden, held and
deleted reports never appear; positions are the public ones (fuzzed for sensitive categories).

Every parameter is checked before the 200 is sent (bad ones are a 422). A stream that fails after that
cannot change its status: it is logged once and the connection is dropped without the chunked body's
terminator (core.errors.StreamBroken), so a client sees an incomplete body, never a complete-looking file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from db import export as export_db
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import query_of
from feed.core.errors import StreamBroken, invalid, log_unhandled
from feed.core.parse import BadMoment, moment
from feed.open311.shapes import ExportQuery

CSV_COLUMNS = [
    "id", "category", "status", "lat", "lon", "area_id", "area_name", "votes", "comments", "created_at",
    "updated_at", "text",
]  # fmt: skip
_CSV_KEYS = [
    "id", "category", "status", "pub_lat", "pub_lon", "area_id", "area_name", "vote_count", "comment_count",
    "created_at", "updated_at", "text",
]  # fmt: skip
BATCH = 200  # rows per chunk sent: small enough to start fast, large enough to keep writes few


def _moment(raw: str | None, name: str, errors: dict[str, str]) -> datetime | None:
    """The shared date parser (core.parse.moment): a bare date or local time is UTC, the API's one zone."""
    if not raw:
        return None
    try:
        return moment(raw)
    except BadMoment as exc:
        errors[name] = exc.problem
        return None


async def export(request: Request) -> StreamingResponse:
    runtime = runtime_of(request)
    q = query_of(request, ExportQuery)
    errors: dict[str, str] = {}
    fmt, category, area_id = q.format, q.category, q.area
    start = _moment(q.from_, "from", errors)
    end = _moment(q.to, "to", errors)
    if start and end and end < start:
        errors["to"] = "before from"
    if area_id is not None:
        async with runtime.pool.acquire() as conn:
            if not await export_db.area_exists(conn, area_id):
                errors["area"] = "no such area"
    if errors:
        raise invalid(errors)
    params = {"start": start, "end": end, "area_id": area_id, "category": category}
    if fmt == "csv":
        return StreamingResponse(
            _guarded(_csv(runtime, params), request),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="warga-reports.csv"'},
        )
    return StreamingResponse(_guarded(_geojson(runtime, params), request), media_type="application/geo+json")


async def _guarded(chunks: AsyncIterator[bytes], request: Request) -> AsyncIterator[bytes]:
    """The body, or, if it fails after the 200 went out: the failure logged once (bounded), then
    StreamBroken, on which the server closes the connection without the last chunk (docstring above)."""
    sent = 0
    try:
        async for chunk in chunks:
            yield chunk
            sent += len(chunk)
    except Exception as exc:
        log_unhandled(exc, f"in {request.url.path} after {sent} bytes were sent; connection dropped")
        raise StreamBroken(f"export failed after {sent} bytes") from exc


async def _rows(runtime: AppRuntime, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Batches of rows from the cursor; the connection is held only while the response streams."""
    async with runtime.pool.acquire() as conn, conn.transaction(readonly=True):
        batch = []
        async for row in export_db.public_reports(conn, **params):
            batch.append(row)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


async def _csv(runtime: AppRuntime, params: dict[str, Any]) -> AsyncIterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue().encode()
    async for batch in _rows(runtime, params):
        out.seek(0)
        out.truncate()
        for r in batch:
            writer.writerow([_csv_value(r, column) for column in _CSV_KEYS])
        yield out.getvalue().encode()


def _csv_value(row: Any, key: str) -> Any:
    value = row[key]
    # A cell starting with = + - @ is a formula to spreadsheets: quote it so opening the file runs nothing.
    if key == "text" and isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def feature(r: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": r["id"],
        "geometry": {"type": "Point", "coordinates": [r["pub_lon"], r["pub_lat"]]},
        "properties": {
            "category": r["category"],
            "status": r["status"],
            "text": r["text"],
            "area_id": r["area_id"],
            "area_name": r["area_name"],
            "votes": r["vote_count"],
            "comments": r["comment_count"],
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        },
    }


async def _geojson(runtime: AppRuntime, params: dict[str, Any]) -> AsyncIterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    first = True
    async for batch in _rows(runtime, params):
        parts = [json.dumps(feature(r), ensure_ascii=False) for r in batch]
        yield (("" if first else ",") + ",".join(parts)).encode()
        first = False
    yield b"]}"
