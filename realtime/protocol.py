"""The websocket protocol's client messages, validated into plain objects, and its close codes.

Every malformed message becomes a ProtocolError (sent back as `{"type":"error",…}`), never an exception
that reaches the connection: bad input costs the sender a reply, nobody else anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from kernel.categories import CATEGORIES

MAX_RADIUS_M = 10_000.0
MAX_SUB_ID = 64

# Close codes (documented in docs/realtime.md).
CLOSE_BAD_AUTH = 4001  # the token in the auth message is invalid or expired
CLOSE_SESSION_ENDED = 4002  # logout, token revocation, suspension or role change: sign in again
CLOSE_SLOW = 4008  # the client did not read fast enough: resume with `since`
CLOSE_TOO_MANY = 4009  # too many sockets for this user
CLOSE_RATE = 4029  # too many messages per second
CLOSE_GOING_AWAY = 1001  # the server is shutting down
CLOSE_TOO_BIG = 1009  # a message over the size limit (sent by the websockets library)


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None, sub: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.sub = sub

    def as_message(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        if self.sub is not None:
            body["id"] = self.sub
        return body


@dataclass(frozen=True)
class Auth:
    token: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    id: str
    kind: str  # "near", "area", "agency" or "moderation"
    lat: float = 0.0
    lon: float = 0.0
    radius_m: float = 0.0
    area_id: int = (
        0  # an agency subscription: the agency's key (kernel.owners.agency_key), set by the gateway
    )
    agency: str = ""  # the agency's code, as sent
    categories: frozenset[str] | None = None
    since: int | None = None


@dataclass(frozen=True)
class Unsubscribe:
    id: str


@dataclass(frozen=True)
class Ping:
    pass


Message = Auth | Subscribe | Unsubscribe | Ping


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(raw: str | bytes) -> Message:
    if isinstance(raw, bytes):
        raise ProtocolError("bad_message", "Send JSON text frames.")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ProtocolError("bad_json", f"Malformed JSON: {exc}") from None
    except RecursionError:  # JSON nested thousands deep (a 64 KiB frame holds 32,000 levels)
        raise ProtocolError("bad_json", "Malformed JSON: nested too deep.") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "A message is a JSON object.")
    kind = data.get("type")
    if kind == "subscribe":
        return _subscribe(data)
    if kind == "unsubscribe":
        _only(data, {"type", "id"})
        return Unsubscribe(_sub_id(data))
    if kind == "ping":
        _only(data, {"type"})
        return Ping()
    if kind == "auth":
        _only(data, {"type", "token"})
        token = data.get("token")
        if not isinstance(token, str) or not 1 <= len(token) <= 200:
            raise ProtocolError("invalid", "auth needs a token.", {"token": "required string"})
        return Auth(token)
    raise ProtocolError("unknown_type", "type must be one of auth, subscribe, unsubscribe, ping.")


def _only(data: dict[str, Any], allowed: set[str], sub: str | None = None) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProtocolError("invalid", "Unknown fields.", {k: "unknown field" for k in unknown}, sub)


def _sub_id(data: dict[str, Any]) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_SUB_ID:
        raise ProtocolError("invalid", "id must be a string of 1-64 characters.", {"id": "invalid"})
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _subscribe(data: dict[str, Any]) -> Subscribe:
    sub = _sub_id(data)
    _only(data, {"type", "id", "near", "area", "agency", "moderation", "categories", "since"}, sub)
    errors: dict[str, str] = {}
    targets = [k for k in ("near", "area", "agency", "moderation") if k in data]
    if len(targets) != 1:
        raise ProtocolError(
            "invalid", "Give exactly one of near, area, agency, moderation.", {"near": "required"}, sub
        )
    categories = _categories(data.get("categories"), errors)
    since = data.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
        errors["since"] = "must be a non-negative integer"
    fields: dict[str, Any] = {}
    if targets[0] == "near":
        fields = _near(data["near"], errors)
    elif targets[0] == "area":
        area = data["area"]
        if isinstance(area, bool) or not isinstance(area, int) or area <= 0:
            errors["area"] = "must be an area id"
        fields = {"area_id": area}
    elif targets[0] == "agency":
        agency = data["agency"]
        if not isinstance(agency, str) or not 1 <= len(agency) <= 32:
            errors["agency"] = "must be an agency code"
        fields = {"agency": agency}
    elif data["moderation"] is not True:
        errors["moderation"] = "must be true"
    if errors:
        raise ProtocolError("invalid", "Some fields are invalid.", errors, sub)
    return Subscribe(id=sub, kind=targets[0], categories=categories, since=since, **fields)


def _near(near: Any, errors: dict[str, str]) -> dict[str, Any]:
    if not isinstance(near, dict) or set(near) != {"lat", "lon", "radius_m"}:
        errors["near"] = "must be {lat, lon, radius_m}"
        return {}
    lat, lon, radius = _number(near["lat"]), _number(near["lon"]), _number(near["radius_m"])
    if lat is None or not -90 <= lat <= 90:
        errors["near.lat"] = "must be a number from -90 to 90"
    if lon is None or not -180 <= lon <= 180:
        errors["near.lon"] = "must be a number from -180 to 180"
    if radius is None or not 0 < radius <= MAX_RADIUS_M:
        errors["near.radius_m"] = f"must be more than 0 and at most {MAX_RADIUS_M:.0f}"
    return {"lat": lat, "lon": lon, "radius_m": radius}


def _categories(value: Any, errors: dict[str, str]) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > len(CATEGORIES):
        errors["categories"] = "must be a non-empty list of category codes"
        return None
    unknown = [c for c in value if not isinstance(c, str) or c not in CATEGORIES]
    if unknown:
        errors["categories"] = "unknown category"
        return None
    return frozenset(value)
