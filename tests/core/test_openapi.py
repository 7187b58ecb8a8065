"""GET /openapi.json: OpenAPI 3.1, and every route of the app is described with every method it takes."""

from __future__ import annotations

import re
from typing import Any

import httpx
from starlette.routing import Route

from feed.app import routes


def _spec_path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)  # {key:path} -> {key}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_every_route_is_in_the_spec(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["openapi"].startswith("3.1")
    checked = 0
    for route in routes():
        if not isinstance(route, Route):
            continue  # mounts (static files) are not API endpoints
        path = _spec_path(route.path)
        assert path in spec["paths"], f"{path} missing from /openapi.json"
        for method in (route.methods or set()) - {"HEAD"}:
            assert method.lower() in spec["paths"][path], f"{method} {path} missing from /openapi.json"
            checked += 1
    assert checked >= 25


async def test_spec_has_no_stray_paths_and_refs_resolve(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    served = {_spec_path(r.path) for r in routes() if isinstance(r, Route)}
    assert set(spec["paths"]) == served
    schemas = spec["components"]["schemas"]
    refs = _refs(spec)
    assert refs and all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)
    for item in spec["paths"].values():
        for op in (v for k, v in item.items() if k != "parameters"):
            assert op["responses"] and op["summary"]
