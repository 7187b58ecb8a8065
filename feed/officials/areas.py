"""Areas over HTTP: which areas contain a point (deepest first), and one area with its place in the tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from db import areas as areas_db
from feed.core.context import runtime_of
from feed.core.endpoint import query_of
from feed.core.errors import not_found
from feed.core.parse import path_id
from feed.officials import boundaries
from feed.officials.shapes import Point


def area_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "level": row["level"],
        "code": row["code"],
        "parent_id": row["parent_id"],
        "population": row["population"],
    }


async def lookup(request: Request) -> JSONResponse:
    """GET /api/areas?lat=&lon= → {"items": [kelurahan, kecamatan, kota]}; empty outside every area."""
    point = query_of(request, Point)
    lat, lon = point.lat, point.lon
    async with runtime_of(request).pool.acquire() as conn:
        deepest = await boundaries.deepest_area_for(conn, lat, lon)
        chain = await areas_db.chain(conn, deepest) if deepest is not None else []
    return JSONResponse({"items": [area_json(row) for row in chain]})


async def detail(request: Request) -> JSONResponse:
    """GET /api/areas/{id} → the area with its bbox, GeoJSON geometry, parent and children."""
    area_id = path_id(request)
    async with runtime_of(request).pool.acquire() as conn:
        row = await areas_db.get(conn, area_id)
        if row is None:
            raise not_found("area")
        parent = await areas_db.brief(conn, row["parent_id"]) if row["parent_id"] is not None else None
        children = await areas_db.children(conn, area_id)
    bbox = None
    if row["min_lat"] is not None:
        bbox = {k: row[k] for k in ("min_lat", "max_lat", "min_lon", "max_lon")}
    return JSONResponse(
        {
            **area_json(row),
            "bbox": bbox,
            "geometry": row["geometry"],
            "parent": area_json(parent) if parent is not None else None,
            "children": [area_json(c) for c in children],
        }
    )
