"""Routes declared with their shapes: `endpoint(...)` is a Starlette Route carrying its Operation (summary,
auth, the msgspec types of its body, query and responses), from which feed/core/openapi.py derives the
document. Handlers decode with `json_body` / `query_of` through the same types and answer with `respond`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feed.core.context import runtime_of
from feed.core.errors import ApiError, invalid
from feed.core.parse import read_json

T = TypeVar("T")
Auth = Literal["none", "optional", "required"]
Handler = Callable[[Request], Awaitable[Response]]
_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True)
class Operation:
    """What the document says of one method on one path. Types are msgspec types (Structs mostly); `body`
    is an application/json body, `forms` other request media types; `media` response media types other
    than JSON (type None: no schema); `path_params`, a Struct naming the path parameters' types (default:
    `id` a positive integer, anything else a string)."""

    summary: str
    tag: str
    auth: Auth = "none"
    body: Any = None
    body_required: bool = True
    forms: Mapping[str, Any] = field(default_factory=dict)
    query: Any = None
    path_params: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    response: Any = None
    status: int = 200
    description: str = ""  # the success answer's words; "" says OK, or Created for a 201
    media: Mapping[str, Any] = field(default_factory=dict)
    also: Mapping[int, Any] = field(default_factory=dict)  # other success statuses: status -> JSON type
    errors: tuple[int, ...] = ()  # beyond those implied by the declaration (see `statuses`)
    error_media: Mapping[str, Any] = field(default_factory=dict)  # errors not in the app's shape (Open311)

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every error status the operation can answer: `errors`, and what the declaration implies of
        the app's own decoding. A body (JSON or a form) can be malformed (400), too large (413), of the
        wrong type (415) or invalid (422); a query can be invalid (422); a bearer token can be invalid
        (401). Open311's routes answer in the spec's own error list and name theirs in full."""
        implied: set[int] = set()
        if not self.error_media:
            if self.body is not None or self.forms:
                implied |= {400, 413, 415, 422}
            if self.query is not None:
                implied.add(422)
            if self.auth != "none":
                implied.add(401)
        return tuple(sorted(implied | set(self.errors)))


class Endpoint(Route):
    """A Route with its Operation (one method per Endpoint; a path may have several)."""

    def __init__(self, path: str, method: str, handler: Handler, operation: Operation) -> None:
        super().__init__(path, handler, methods=[method])
        self.method = method
        self.operation = operation


def endpoint(path: str, method: str, handler: Handler, *, summary: str, tag: str, **op: Any) -> Endpoint:
    return Endpoint(path, method, handler, Operation(summary=summary, tag=tag, **op))


# --- decoding -------------------------------------------------------------------------------------------
async def json_body(request: Request, kind: type[T]) -> T:
    """The JSON body as `kind`: parse.read_json's guards (size, content type, depth, NaN, NUL) first, then the
    declared fields and constraints; a failure is a 422 naming the field."""
    return convert(await read_json(request, runtime_of(request).settings.max_json_bytes), kind)


def query_of(request: Request, kind: type[T]) -> T:
    """The query string as `kind`. An empty value counts as absent; values are stripped; numbers and booleans
    arrive as text (msgspec's lax conversion reads them)."""
    params = {k: v.strip() for k, v in request.query_params.items() if v.strip() != ""}
    return convert(params, kind)


def convert(data: Mapping[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise _invalid(str(exc), kind) from None


_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_INDEX = re.compile(r"\[\d+\]")
_NAMED = re.compile(r"^Object (?P<how>missing required|contains unknown) field `(?P<name>[^`]*)`$")
_GOT = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_LENGTH = re.compile(r"^Expected `str` of length (?P<op>[<>]=) (?P<n>\d+)$")
_BOUND = re.compile(r"^Expected `(?:int|float)` (?P<op>[<>]=?) (?P<n>-?[0-9.e+]+)$")
_PATTERN = re.compile(r"^Expected `str` matching regex ")
_WANT = {"str": "must be a string", "int": "must be an integer", "float": "must be a number"}
_WANT |= {"bool": "must be true or false", "object": "must be an object", "array": "must be an array"}
_KIND = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}
_KIND |= {"object": "an object", "array": "an array"}
_BOUND_WORDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def _wanted(want: str) -> str:
    """msgspec's expected type in the words the API uses: `float | null` is "must be a number" (null is
    the same as leaving the field out), `int | str | null` "must be an integer or a string"."""
    kinds = [k for k in want.split(" | ") if k != "null"]
    if len(kinds) == 1 and kinds[0] in _WANT:
        return _WANT[kinds[0]]
    if all(k in _KIND for k in kinds):
        return "must be " + " or ".join(_KIND[k] for k in kinds)
    return f"must be {want}"


def _one_bound(op: str, n: float) -> str:
    return f"must be {_BOUND_WORDS[op]} {n:g}"


def _invalid(message: str, kind: type) -> ApiError:
    """msgspec's first error, worded as the hand-written checks worded theirs, under the field it names."""
    at = _AT.match(message)
    assert at is not None  # the pattern matches any text
    # The field, not the item of it: `$.categories[0]` is the field categories.
    what, path = at["what"], _INDEX.sub("", at["path"] or "").lstrip(".")
    named = _NAMED.match(what)
    if named:
        name = ".".join(p for p in (path, named["name"]) if p)
        if named["how"] == "contains unknown":
            return invalid({name: "unknown field"}, f"Unknown fields: {name}")
        return invalid({name: "required"})
    name = path or "body"
    got, length = _GOT.match(what), _LENGTH.match(what)
    if got:
        problem = "required" if got["got"] == "null" else _wanted(got["want"])
    elif length:
        n = int(length["n"])
        problem = (
            f"must be at most {n} characters"
            if length["op"] == "<="
            else "must not be empty"
            if n == 1
            else f"must be at least {n} characters"
        )
    elif bound := _BOUND.match(what):
        problem = _range(kind, name) or _one_bound(bound["op"], float(bound["n"]))
    elif _PATTERN.match(what):
        problem = "has the wrong format"
    else:
        problem = what[0].lower() + what[1:] if what else "invalid"
    return invalid({name: problem})


@lru_cache(maxsize=512)
def _range(kind: type, name: str) -> str | None:
    """ "must be between low and high" from the field's declared bounds (a top-level field only)."""
    try:
        info = msgspec.inspect.type_info(kind)
    except (TypeError, ValueError):
        return None
    for f in getattr(info, "fields", ()):
        if f.encode_name == name:
            ty = f.type
            ty = getattr(ty, "type", ty) if isinstance(ty, msgspec.inspect.Metadata) else ty  # Annotated
            ty = next((t for t in getattr(ty, "types", ()) if hasattr(t, "ge")), ty)
            low = next((v for v in (getattr(ty, "ge", None), getattr(ty, "gt", None)) if v is not None), None)
            high = next(
                (v for v in (getattr(ty, "le", None), getattr(ty, "lt", None)) if v is not None), None
            )
            if low is not None and high is not None:
                return f"must be between {low:g} and {high:g}"
    return None


# --- encoding -------------------------------------------------------------------------------------------
def respond(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """`value` (a declared Struct, or plain data of the declared shape) as JSON, encoded by msgspec."""
    return Response(_ENCODER.encode(value), status, headers, media_type="application/json")
