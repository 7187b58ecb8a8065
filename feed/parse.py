"""Request parsing and field validation shared by every handler; every failure is an ApiError (4xx)."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from feed.errors import ApiError, invalid


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
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
    try:
        # NaN/Infinity are not JSON; refuse them here so no handler ever sees one.
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"Malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "Request body must be a JSON object.")
    if not _storable(data):
        raise ApiError(400, "bad_json", "Text must be valid Unicode without NUL characters.")
    return data


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


def text_field(
    data: dict[str, Any], name: str, errors: dict[str, str], *, max_len: int, min_len: int = 1
) -> str:
    value = data.get(name)
    if value is None:
        errors[name] = "required"
        return ""
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return ""
    value = value.strip()
    if len(value) < min_len:
        errors[name] = "must not be empty" if min_len == 1 else f"must be at least {min_len} characters"
    elif len(value) > max_len:
        errors[name] = f"must be at most {max_len} characters"
    return value


def number_field(
    data: dict[str, Any], name: str, errors: dict[str, str], *, low: float, high: float, required: bool = True
) -> float | None:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = "required"
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            errors[name] = "must be a number"
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors[name] = "must be a number"
        return None
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        errors[name] = f"must be between {low:g} and {high:g}"
        return None
    # PostgreSQL float8 maths raises "underflow" on values like 1e-300 (sin, cos, products); nothing warga
    # measures is smaller than a micrometre, so such a value is zero.
    return 0.0 if abs(number) < 1e-12 else number


def int_param(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid({name: "must be an integer"}) from None
    if not low <= value <= high:
        raise invalid({name: f"must be between {low} and {high}"})
    return value


def path_id(request: Request, name: str = "id") -> int:
    raw = request.path_params.get(name, "")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ApiError(404, "not_found", "No such resource.") from None
    if not 0 < value < 2**63:
        raise ApiError(404, "not_found", "No such resource.")
    return value
