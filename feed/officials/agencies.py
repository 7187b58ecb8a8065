"""City agencies over HTTP: the list (GET /api/agencies, whom a report can be forwarded to) and one agency's
league row (GET /api/agencies/{code}/stats, JSON or CSV)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import agencies as agencies_db
from db import league as league_db
from feed.core.context import runtime_of
from feed.core.endpoint import query_of
from feed.core.errors import not_found
from feed.officials.league import AGENCY_COLUMNS, as_csv, period, row_json, wants_csv
from feed.officials.routing import agency_json
from feed.officials.shapes import NoParams, PeriodParams


async def list_agencies(request: Request) -> JSONResponse:
    """GET /api/agencies → {"items": [{id, code, name, categories, officials}]}, by code."""
    query_of(request, NoParams)
    async with runtime_of(request).pool.acquire() as conn:
        rows = await agencies_db.all_agencies(conn)
    return JSONResponse({"items": [{**agency_json(r), "officials": r["officials"]} for r in rows]})


async def agency_stats(request: Request) -> Response:
    """GET /api/agencies/{code}/stats?period=30d — the agency's row of the agency league, with its rank."""
    runtime = runtime_of(request)
    label = query_of(request, PeriodParams).period
    span = period(label)
    now = runtime.clock()
    async with runtime.pool.acquire() as conn:
        agency = await agencies_db.by_code(conn, request.path_params["code"])
        if agency is None:
            raise not_found("agency")
        found = await league_db.agency_league(conn, now - span, now, agency["id"])
    rows = [row_json(r, AGENCY_COLUMNS) for r in found]
    if wants_csv(request):
        return as_csv(rows, f"agency-{agency['code']}-{label}.csv", AGENCY_COLUMNS)
    return JSONResponse({"period": label, **rows[0]})
