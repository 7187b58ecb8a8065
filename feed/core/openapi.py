"""GET /openapi.json: the OpenAPI 3.1 document, derived from the routes: each `feed.core.endpoint` carries
its Operation and msgspec types, and their JSON Schemas come from msgspec. Routes not yet declared that way
are described by the hand-written LEGACY_PATHS / LEGACY_SCHEMAS below (shrinking to nothing, #19)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from feed.core.endpoint import Endpoint, Operation
from feed.core.shapes import Author, Comment, Error, Photo, PositiveId, Post, User


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Malformed body",
        401: "Not signed in, or the token is invalid or expired",
        403: "Not allowed for this account",
        404: "No such resource (or not visible to the caller)",
        409: "Conflict",
        413: "Body or photo too large",
        415: "Unsupported content type or photo format",
        422: "Invalid fields (see error.fields)",
        429: "Rate limited (see Retry-After)",
        503: "Temporarily unavailable; retry",
    }
    return {str(s): _json(_ref("Error"), words[s]) for s in statuses}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    auth: str = "none",
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    tag: str = "posts",
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if auth == "required":
        op["security"] = [{"bearer": []}]
    elif auth == "optional":
        op["security"] = [{"bearer": []}, {}]
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_CURSOR = _query("before", {"type": "string"}, "Opaque cursor: the `next` of the previous page.")


def _limit(default: int, high: int) -> dict[str, Any]:
    return _query(
        "limit", {"type": "integer", "minimum": 1, "maximum": high, "default": default}, "Page size."
    )


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": _ref(item)}, "next": {"type": ["string", "null"]}},
    }


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _text(max_len: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_len}


LEGACY_SCHEMAS: dict[str, Any] = {}

_OK = {"type": "object", "properties": {"ok": {"type": "boolean"}}}

LEGACY_PATHS: dict[str, Any] = {}

# Open311 GeoReport v2 (docs/open311.md): {fmt} is json or xml; errors are the spec's list of {code,
# description} in that format, not the app's error shape.
_FMT = {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]}}
_O311_ERR = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def _o311(summary: str, statuses: tuple[int, ...], **kw: Any) -> dict[str, Any]:
    both = {"application/json": {"schema": {}}, "text/xml": {"schema": {"type": "string"}}}
    errs = {"application/json": {"schema": _O311_ERR}, "text/xml": {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": both}}
    for s in statuses:
        responses[str(s)] = {"description": "Open311 error list", "content": errs}
    return _op(summary, responses, tag="open311", **kw)


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_O311_QUERY = [
    _query("service_request_id", {"type": "string"}, "Comma list of ids; overrides every other parameter"),
    _query("service_code", {"type": "string"}, "Comma list of service codes"),
    _query("start_date", {"type": "string"}, "ISO 8601; range at most 90 days (default: the last 90)"),
    _query("end_date", {"type": "string"}, "ISO 8601"),
    _query("status", {"type": "string"}, "open, closed or both (comma list)"),
    _query("page", {"type": "integer"}, "Extension: page number from 1"),
    _query("page_size", {"type": "integer"}, "Extension: 1-1000 (default 1000)"),
]
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "A retry with the same key answers the first request's result (24 h).",
}
_O311_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object"}},
    },
}
LEGACY_PATHS.update(
    {
        "/open311/v2/discovery.{fmt}": {
            "parameters": [_FMT],
            "get": _o311("Open311 discovery", (404,)),
        },
        "/open311/v2/services.{fmt}": {
            "parameters": [_FMT],
            "get": _o311("Open311 services (the report categories)", (404,)),
        },
        "/open311/v2/services/{service_code}.{fmt}": {
            "parameters": [_path("service_code"), _FMT],
            "get": _o311("Open311 service definition (attributes)", (404,)),
        },
        "/open311/v2/requests.{fmt}": {
            "parameters": [_FMT],
            "get": _o311("Open311 service requests (public reports)", (400, 404), params=_O311_QUERY),
            "post": _o311(
                "Create an Open311 service request (api_key required; `media` photo extension; "
                "address_string alone is placed approximately; Idempotency-Key honoured)",
                (400, 403, 404, 409, 413, 415, 422, 429),
                body=_O311_FORM,
                params=[_IDEMPOTENCY],
            ),
        },
        "/open311/v2/requests/{id}.{fmt}": {
            "parameters": [_path("id"), _FMT],
            "get": _o311("One Open311 service request", (404,)),
        },
        "/open311/v2/tokens/{token}.{fmt}": {
            "parameters": [_path("token"), _FMT],
            "get": _o311("The service request id for a token (a report that was held for review)", (404,)),
        },
        "/api/export": {
            "get": _op(
                "Open data: public reports streamed as GeoJSON or CSV (public positions only)",
                {
                    "200": {
                        "description": "Streamed export",
                        "content": {
                            "application/geo+json": {"schema": {"type": "object"}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors(422),
                },
                params=[
                    _query("format", {"type": "string", "enum": ["geojson", "csv"]}, "Default geojson"),
                    _query("from", {"type": "string"}, "ISO 8601: created at or after"),
                    _query("to", {"type": "string"}, "ISO 8601: created before"),
                    _query("area", {"type": "integer"}, "Area id (its sub-areas included)"),
                    _query("category", {"type": "string"}, "Category code"),
                ],
                tag="open data",
            )
        },
    }
)


# --- the derivation -----------------------------------------------------------------------------------
_REF = "#/components/schemas/{name}"
SHARED = (Post, Comment, Author, Photo, User)  # components always, whichever operation names them
_ERROR_WORDS = {
    400: "Malformed body",
    401: "Not signed in, or the token is invalid or expired",
    403: "Not allowed for this account",
    404: "No such resource (or not visible to the caller)",
    409: "Conflict",
    413: "Body or photo too large",
    415: "Unsupported content type or photo format",
    422: "Invalid fields (see error.fields)",
    429: "Rate limited (see Retry-After)",
    503: "Temporarily unavailable; retry",
}
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def build(routes: list[BaseRoute]) -> dict[str, Any]:
    """The document of these routes. Every type they name goes to msgspec in one call, so each Struct is
    one component however many operations use it."""
    types: list[Any] = [Error, *SHARED]
    pending: list[tuple[str, str, Operation, dict[str, int]]] = []
    paths: dict[str, dict[str, Any]] = {}

    def slot(kind: Any) -> int:
        types.append(kind)
        return len(types) - 1

    for route in routes:
        if isinstance(route, Endpoint):
            op = route.operation
            slots = {"path": slot(op.path_params or _default_path(route.path))}
            for name in ("body", "query", "response"):
                if getattr(op, name) is not None:
                    slots[name] = slot(getattr(op, name))
            slots |= {"form:" + media: slot(kind) for media, kind in op.forms.items()}
            slots |= {"media:" + media: slot(kind) for media, kind in op.media.items() if kind is not None}
            slots |= {f"also:{status}": slot(kind) for status, kind in op.also.items()}
            pending.append((_PARAM.sub(r"{\1}", route.path), route.method.lower(), op, slots))
        elif isinstance(route, Route):
            path = _PARAM.sub(r"{\1}", route.path)
            paths.setdefault(path, {}).update(LEGACY_PATHS.get(path, {}))
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    for path, method, op, slots in pending:
        paths.setdefault(path, {})[method] = _operation(op, slots, schemas, components)
    components = {name: shape for name, shape in components.items() if not name.startswith("PathOf")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "warga",
            "version": "0.1.0",
            "description": 'A real-time civic feed. Every error is {"error": {"code", "message", "fields"}}.',
        },
        "paths": paths,
        "components": {
            "schemas": {**LEGACY_SCHEMAS, **components},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@cache
def _default_path(path: str) -> Any:
    """`id` a positive integer, any other path parameter a string."""
    fields = [(name, PositiveId if name == "id" else str) for name in _PARAM.findall(path)]
    return msgspec.defstruct("PathOf" + re.sub(r"\W", "_", path), fields)


def _operation(
    op: Operation, slots: dict[str, int], schemas: Sequence[Any], components: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag]}
    if op.auth == "required":
        out["security"] = [{"bearer": []}]
    elif op.auth == "optional":
        out["security"] = [{"bearer": []}, {}]
    params = _params(schemas[slots["path"]], components, "path")
    if "query" in slots:
        params += _params(schemas[slots["query"]], components, "query")
    params += [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": words}
        for name, words in op.headers.items()
    ]
    if params:
        out["parameters"] = params
    body = {media: {"schema": schemas[slots["form:" + media]]} for media in op.forms}
    if "body" in slots:
        body = {"application/json": {"schema": schemas[slots["body"]]}, **body}
    if body:
        out["requestBody"] = {"required": op.body_required, "content": body}
    content = {
        m: {"schema": schemas[slots["media:" + m]]} if k is not None else {} for m, k in op.media.items()
    }
    if "response" in slots:
        content = {"application/json": {"schema": schemas[slots["response"]]}, **content}
    ok: dict[str, Any] = {"description": op.description}
    if content:
        ok["content"] = content
    responses: dict[str, Any] = {str(op.status): ok}
    for status in op.also:
        also = {"application/json": {"schema": schemas[slots[f"also:{status}"]]}}
        responses[str(status)] = {"description": "OK", "content": also}
    for status in op.errors:
        error = {"application/json": {"schema": schemas[0]}}
        responses[str(status)] = {"description": _ERROR_WORDS[status], "content": error}
    out["responses"] = responses
    return out


def _params(schema: dict[str, Any], components: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """A Struct's fields as parameters `in` path or query."""
    name = schema["$ref"].rsplit("/", 1)[-1]
    shape = components[name]
    required = set(shape.get("required", ()))
    params = []
    for field, declared in shape.get("properties", {}).items():
        field_schema = dict(declared)
        param: dict[str, Any] = {"name": field, "in": where, "required": where == "path" or field in required}
        if "description" in field_schema:
            param["description"] = field_schema.pop("description")
        param["schema"] = field_schema
        params.append(param)
    return params


_DOCUMENTS: dict[int, bytes] = {}


async def document(request: Request) -> Response:
    """Built once per app, on the first request (every route is known by then)."""
    key = id(request.app)
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = msgspec.json.encode(build(list(request.app.routes)))
    return Response(_DOCUMENTS[key], media_type="application/json")
