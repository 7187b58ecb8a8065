"""GET /openapi.json: the OpenAPI 3.1 document, derived from the routes. Each route is a
`feed.core.endpoint` carrying its Operation and msgspec types; the JSON Schemas come from msgspec. Nothing
here is written by hand but the error words (tests/core/test_openapi.py: every route is in the document)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from feed.core.endpoint import Endpoint, Operation
from feed.core.shapes import Author, Comment, Error, Photo, PositiveId, Post, User

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
            slots |= {"error:" + media: slot(kind) for media, kind in op.error_media.items()}
            pending.append((_PARAM.sub(r"{\1}", route.path), route.method.lower(), op, slots))
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
            "schemas": components,
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
    ok: dict[str, Any] = {"description": op.description or ("Created" if op.status == 201 else "OK")}
    if content:
        ok["content"] = content
    responses: dict[str, Any] = {str(op.status): ok}
    for status in op.also:
        also = {"application/json": {"schema": schemas[slots[f"also:{status}"]]}}
        responses[str(status)] = {"description": "OK", "content": also}
    error = {"application/json": {"schema": schemas[0]}}
    if op.error_media:
        error = {media: {"schema": schemas[slots["error:" + media]]} for media in op.error_media}
    for status in op.statuses:
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
