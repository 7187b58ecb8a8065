"""The guards every request body passes before its declared shape decodes it (feed/core/endpoint.py): size,
content type, nesting depth, NaN/Infinity, huge integers, NUL; and the shared date and id readers. Every
failure is an ApiError (4xx)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from starlette.requests import Request

from feed.core.errors import ApiError, invalid

# JSON's parser recurses: a body nested ~1000 deep raised RecursionError, a 500. No request warga takes
# nests more than a few levels, so a body nested deeper than this is refused before it is parsed.
MAX_DEPTH = 32
# Digits of a JSON integer: Python refuses > 4300 in its own words; up to this, a field check says which
# field is out of range (a 400-digit attribute answer is a 422 naming it), past it the body is a 400.
MAX_INT_DIGITS = 1000
# Every date a client sends (export from/to, Open311 start_date/end_date) is read by `moment`: before this
# nothing exists, and after year 9999 in UTC Python's datetime overflows (e.g. 9999-12-31T23:59:59-23:59).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:]', re.DOTALL)


async def read_body(request: Request, limit: int) -> bytes:
    declared = decimal_int(request.headers.get("content-length"), max_digits=30)
    if declared is not None and declared > limit:
        raise ApiError(413, "too_large", f"Request body is over {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"Request body is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    body = await read_body(request, limit)
    if not body.strip():
        raise ApiError(400, "bad_json", "Request body must be a JSON object.")
    if not _is_json_type(request.headers.get("content-type", "")):
        # A browser sends text/plain or a form from any site without asking (no CORS preflight): taking
        # those as JSON would let any page sign in, or fail sign-ins, as its visitors (CSRF).
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        data = json_value(body)  # NaN/Infinity are not JSON: no handler ever sees one
    except TooDeep as exc:
        where = None if exc.field is None else {exc.field or "body": str(exc)}
        raise ApiError(400, "bad_json", f"JSON nested more than {MAX_DEPTH} levels deep.", where) from None
    except ValueError as exc:  # (UnicodeDecodeError is one)
        raise ApiError(400, "bad_json", f"Malformed JSON: {_short(str(exc))}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "Request body must be a JSON object.")
    if not _storable(data):
        raise ApiError(400, "bad_json", "Text must be valid Unicode without NUL characters.")
    return data


def _is_json_type(header: str) -> bool:
    kind = header.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


class TooDeep(ValueError):
    """JSON nested over MAX_DEPTH. `field`: the top-level field whose value does ("" for the whole), or
    None when only the parser's own recursion limit said so (a backstop behind the scan)."""

    def __init__(self, field: str | None) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.field = field


def json_value(text: str | bytes) -> Any:
    """JSON text from a request, the one reader of it (read_json reads bodies with it; a multipart field
    holding JSON is read with it too): nesting over MAX_DEPTH (TooDeep), NaN/Infinity and integers over
    MAX_INT_DIGITS are a ValueError (never a RecursionError), so a caller's `except ValueError` covers every
    refusal."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    deep = _too_deep(raw)
    if deep is not None:
        raise TooDeep(deep)
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_bounded_int)
    except RecursionError:  # _too_deep scans what json.loads will read, so this is a backstop only
        raise TooDeep(None) from None


def _too_deep(body: bytes) -> str | None:
    """None if no value nests over MAX_DEPTH; else the top-level field whose value does ("" for the body
    itself). One regex pass over strings and brackets, without recursion (the body may be malformed: then
    json.loads reports it)."""
    depth = 0
    key = ""
    string: bytes | None = None
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token[:1] == b'"':
            string = token
            continue
        if token == b":":
            if depth == 1 and string is not None:
                key = string[1:-1].decode("utf-8", "replace")[:64]
        elif token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return key if depth > 1 else ""
        else:
            depth -= 1
        string = None
    return None


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _storable(value: Any) -> bool:
    """False if any string holds NUL or a lone surrogate (JSON allows both as escapes): PostgreSQL text
    cannot store either, so without this check they surface as a 500 deep in a query."""
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def no_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid({k: "unknown field" for k in unknown}, "Unknown fields: " + ", ".join(unknown))


def decimal_int(raw: str | bytes | None, max_digits: int = 19) -> int | None:
    """The value of `raw` if it is 1 to `max_digits` ASCII digits, else None. str.isdigit() is not enough:
    it is true of "²" and of 5,000 digits, on which int() raises."""
    if raw is None or not 0 < len(raw) <= max_digits or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


class BadMoment(ValueError):
    """A date or date-time a client sent that warga cannot use; `problem` words it for a field."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def moment(raw: str, naive: tzinfo = UTC) -> datetime:
    """An ISO 8601 date or date-time (`Z` allowed), aware: without an offset it is read in `naive`.
    Every date an endpoint takes goes through here, so an out-of-range one is a 4xx everywhere: before
    1900, or past 9999-12-31 once in UTC (which would overflow in Python, in SQL parameters or in date
    arithmetic)."""
    if len(raw) > 64:
        raise BadMoment("must be an ISO 8601 date or date-time")
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadMoment("must be an ISO 8601 date or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 or 0001-01-01T00:00:00+01:00
        in_utc = None
    if in_utc is None or in_utc < EARLIEST:
        raise BadMoment("must be between 1900-01-01 and 9999-12-31 (UTC)")
    return parsed


def path_id(request: Request, name: str = "id") -> int:
    value = decimal_int(str(request.path_params.get(name, "")), max_digits=19)
    if value is None or not 0 < value < 2**63:
        raise ApiError(404, "not_found", "No such resource.")
    return value
