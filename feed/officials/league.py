"""The public league: GET /api/league?level=&period= (level: an area level, or `agency` for the city
agencies) and GET /api/areas/{id}/stats, as JSON or (Accept: text/csv) CSV. Figures and the ranking formula
are described in docs/officials.md."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import league as league_db
from feed.core.context import runtime_of
from feed.core.endpoint import query_of
from feed.core.errors import invalid
from feed.core.parse import path_id
from feed.officials.routing import area_or_404
from feed.officials.shapes import AGENCY_LEVEL, LeagueParams, PeriodParams

COLUMNS = (
    "rank",
    "area_id",
    "name",
    "code",
    "level",
    "population",
    "officials",
    "reports",
    "clocks",
    "ack_median_s",
    "ack_p90_s",
    "resolve_median_s",
    "resolve_p90_s",
    "decided",
    "within_sla",
    "within_sla_share",
    "resolved",
    "reopened",
    "reopen_rate",
    "reports_per_official",
    "reports_per_1000_residents",
    "workload_factor",
    "score",
)
# An agency's row: the same figures, keyed by the agency (no area id; no residents).
AGENCY_COLUMNS = tuple("agency_id" if c == "area_id" else c for c in COLUMNS)
_PERIOD = re.compile(r"^(\d{1,4})([hd])$")
MAX_PERIOD = timedelta(days=366)


def period(raw: str | None) -> timedelta:
    match = _PERIOD.match(raw or "30d")
    if match is None:
        raise invalid({"period": "like 30d or 12h"})
    value = timedelta(**{"days" if match.group(2) == "d" else "hours": int(match.group(1))})
    if not timedelta(0) < value <= MAX_PERIOD:
        raise invalid({"period": "between 1h and 366d"})
    return value


def row_json(row: Mapping[str, Any], columns: tuple[str, ...] = COLUMNS) -> dict[str, Any]:
    return {k: row[k] for k in columns}


def wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "").lower()


def as_csv(rows: list[dict[str, Any]], filename: str, columns: tuple[str, ...] = COLUMNS) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[k] is None else row[k] for k in columns])
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


async def league(request: Request) -> Response:
    runtime = runtime_of(request)
    query = query_of(request, LeagueParams)
    level, label = query.level, query.period
    span = period(label)
    now = runtime.clock()
    columns = AGENCY_COLUMNS if level == AGENCY_LEVEL else COLUMNS
    async with runtime.pool.acquire() as conn:
        if level == AGENCY_LEVEL:
            found = await league_db.agency_league(conn, now - span, now)
        else:
            found = await league_db.league(conn, level, now - span, now)
    rows = [row_json(r, columns) for r in found]
    if wants_csv(request):
        return as_csv(rows, f"league-{level}-{label}.csv", columns)
    return JSONResponse({"level": level, "period": label, "items": rows})


async def area_stats(request: Request) -> Response:
    runtime = runtime_of(request)
    area_id = path_id(request)
    label = query_of(request, PeriodParams).period
    span = period(label)
    now = runtime.clock()
    async with runtime.pool.acquire() as conn:
        area = await area_or_404(conn, area_id)
        rows = [row_json(r) for r in await league_db.league(conn, area["level"], now - span, now, area_id)]
    if wants_csv(request):
        return as_csv(rows, f"area-{area_id}-{label}.csv")
    return JSONResponse({"period": label, **rows[0]})
