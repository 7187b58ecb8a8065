"""Open311 GeoReport v2 (docs/open311.md) under /open311/v2: discovery, services, creating and reading
service requests. Categories are services; a request is a post, created through the app's own pipeline
(posts.reports.publish: limits, photos, spam holds, privacy, routing, the outbox event) as the API
key's account.
Only public reports and public (possibly fuzzed) positions are ever shown."""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from db import apikeys as apikeys_db
from db import open311 as open311_db
from db import users as users_db
from feed.core.auth import User, hash_password
from feed.core.context import AppRuntime, runtime_of
from feed.core.errors import ApiError
from feed.core.meta import absolute, public_base
from feed.core.open311_xml import FORMATS, render
from feed.core.parse import BadMoment, decimal_int, moment
from feed.officials import geocode
from feed.posts import reports as posts
from feed.posts.shapes import MAX_TEXT
from feed.trust import idempotency
from kernel.categories import ATTRIBUTES, CATEGORIES, BadAttribute, attribute_json, check_attributes

JAKARTA = ZoneInfo("Asia/Jakarta")
WINDOW = timedelta(days=90)  # the spec's default and largest date range
MAX_RESULTS = 1000  # the spec's cap per answer
MAX_ADDRESS = 300
APPROXIMATE = "Approximate position: placed inside the area the address names (no measured position)."
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00+07:00"
_FIELDS = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "description", "email", "first_name", "last_name", "phone", "device_id", "account_id", "media_url",
}  # fmt: skip


class Open311Error(Exception):
    """The spec's error: a list of {code, description} with the HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


Handler = Callable[[Request, str], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The path's `.json`/`.xml` picks the format of the answer, errors included."""

    async def run(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "")
        try:
            if fmt not in FORMATS:
                fmt = "json"
                raise Open311Error(404, "Unknown format: use .json or .xml.")
            return await handler(request, fmt)
        except Open311Error as exc:
            return _error(fmt, exc.status, exc.description)
        except ApiError as exc:  # from the shared pipeline (rate limits, photos): same status, spec shape
            return _error(fmt, exc.status, exc.message, exc.headers)
        finally:
            await request.close()

    return run


def _error(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    response = render(fmt, "errors", [{"code": status, "description": description}], status)
    response.headers.update(headers or {})
    return response


def local(moment: datetime | None) -> str | None:
    """ISO 8601 with the Asia/Jakarta offset (+07:00), as Open311 clients show it."""
    return None if moment is None else moment.astimezone(JAKARTA).isoformat(timespec="seconds")


# --- Discovery and services ------------------------------------------------------------------------
@endpoint
async def discovery(request: Request, fmt: str) -> Response:
    base = public_base(runtime_of(request).settings) + "open311/v2/"  # never from the Host header
    body = {
        "changeset": CHANGESET,
        "contact": "See the warga instance's operators.",
        "key_service": "Ask the operators for an API key (warga apikey create).",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, "discovery", body)


def service_json(code: str, sensitive: tuple[str, ...]) -> dict[str, Any]:
    name_id, name_en = CATEGORIES[code]
    note = " Its public position is moved up to a few hundred metres." if code in sensitive else ""
    return {
        "service_code": code,
        "service_name": name_en,
        "description": f"{name_en} ({name_id}).{note}",
        "metadata": code in ATTRIBUTES,  # true: services/{code} lists its extra questions
        "type": "realtime",
        "keywords": name_id.lower(),
        "group": "warga",
    }


@endpoint
async def services(request: Request, fmt: str) -> Response:
    sensitive = runtime_of(request).settings.sensitive_categories
    return render(fmt, "services", [service_json(code, sensitive) for code in CATEGORIES])


@endpoint
async def service_definition(request: Request, fmt: str) -> Response:
    code = request.path_params["service_code"]
    if code not in CATEGORIES:
        raise Open311Error(404, f"No service {code!r}; see services.{fmt}.")
    questions = [attribute_json(a, i) for i, a in enumerate(ATTRIBUTES.get(code, ()), 1)]
    return render(fmt, "service_definition", {"service_code": code, "attributes": questions})


# --- Creating a request --------------------------------------------------------------------------------
async def _account(request: Request, key: str | None) -> User:
    if not key:
        raise Open311Error(403, "api_key is required.")
    async with runtime_of(request).pool.acquire() as conn:
        row = await apikeys_db.user_for_key(conn, key_digest(key))
    if row is None:
        raise Open311Error(403, "api_key is not valid.")
    user = User.from_row(row)
    if user.suspended:
        raise Open311Error(403, "The account of this api_key is suspended.")
    return user


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def new_api_key(conn: Any, name: str, handle: str | None) -> tuple[int, str, str]:
    """`warga apikey create`: a key for the account `handle`, or for a new service account named after
    the key (no usable password). Returns (key id, the key, the account's handle); only the hash is kept."""
    if handle is not None:
        row = await users_db.by_handle_with_hash(conn, handle)
        if row is None:
            raise LookupError(f"no account {handle!r}")
    else:
        slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:26] or "client"
        handle = f"api.{slug}"
        row = await users_db.create(conn, handle, hash_password(secrets.token_urlsafe(32)), "citizen")
        if row is None:
            raise LookupError(f"handle {handle!r} is taken: pass --handle")
    key = "w311_" + secrets.token_urlsafe(32)
    key_id = await apikeys_db.create(conn, key_digest(key), name, row["id"])
    return key_id, key, row["handle"]


async def _read_form(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    """Fields as strings, except a multivaluelist answer (`attribute[code][]`, repeated): a list."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(415, "Send application/x-www-form-urlencoded (or multipart/form-data with media).")
    try:
        form = await request.form(max_files=1, max_fields=60, max_part_size=16 * 1024)
    except HTTPException as exc:
        raise Open311Error(400, f"Malformed form: {exc.detail}") from None
    data: dict[str, Any] = {}
    uploads: list[UploadFile] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "media":
                raise Open311Error(400, f"{key}: only media may be a file.")
            uploads.append(value)
        elif key.startswith("attribute[") and key.endswith("][]"):
            data.setdefault(key, []).append(value)
        elif key in data:
            raise Open311Error(400, f"{key} is given more than once.")
        else:
            data[key] = value
    return data, uploads


def _coordinate(data: dict[str, str], name: str, bound: float) -> float:
    try:
        value = float(data[name])
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.") from None
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise Open311Error(400, f"{name} must be between {-bound} and {bound}.")
    return value


_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def validate_request(data: dict[str, Any]) -> posts.NewPost:
    """Check the fields. Without lat/long the position is left NaN, to be placed from `address_string`
    (`locate`)."""
    answers: dict[str, Any] = {}
    for key, value in data.items():
        attribute = _ATTRIBUTE.fullmatch(key)
        if attribute is not None:
            answers[attribute.group(1)] = value
        elif key not in _FIELDS:
            raise Open311Error(400, f"Unknown field {key}.")
    code = data.get("service_code", "")
    if code not in CATEGORIES:
        raise Open311Error(400, f"service_code {code!r} is not a service; see services.json.")
    try:
        attributes = check_attributes(code, answers)
    except BadAttribute as exc:
        raise Open311Error(400, f"attribute[{exc.code}] {exc.problem} (see services/{code}).") from None
    address = data.get("address_string", "").strip() or None
    if address is not None and (len(address) > MAX_ADDRESS or not address.isprintable()):
        raise Open311Error(400, f"address_string must be 1-{MAX_ADDRESS} printable characters.")
    lat = lon = math.nan
    if "lat" in data or "long" in data:
        if "lat" not in data or "long" not in data:
            raise Open311Error(400, "lat and long go together: send both (or address_string alone).")
        lat = _coordinate(data, "lat", 90)
        lon = _coordinate(data, "long", 180)
    elif address is None:
        raise Open311Error(400, "lat and long are required (or address_string).")
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, "description is required.")
    if len(description) > MAX_TEXT:
        raise Open311Error(400, f"description is over {MAX_TEXT} characters.")
    return posts.NewPost(description, code, lat, lon, attributes, address)


async def locate(runtime: AppRuntime, new: posts.NewPost) -> posts.NewPost:
    """A request with only address_string is placed inside the area the address names (geocode.py)."""
    if not math.isnan(new.lat):
        return new
    assert new.address is not None
    async with runtime.pool.acquire() as conn:
        try:
            place = await geocode.geocode(conn, new.address)
        except geocode.AddressNotFound as exc:
            raise Open311Error(400, str(exc)) from None
    return replace(new, lat=place.lat, lon=place.lon, position_approximate=True)


async def apikey_command(conn: Any, args: dict[str, Any], out: Callable[[str], Any]) -> int:
    """`warga apikey create NAME [--handle H] | list | revoke ID` (warga/cli.py); returns the exit code."""
    action = args["apikey"]
    if action == "create":
        try:
            key_id, key, handle = await new_api_key(conn, args["name"], args.get("handle"))
        except LookupError as exc:
            out(f"warga: {exc}")
            return 1
        out(f"warga: API key {key_id} ({args['name']}) acts as {handle}; it is shown only now:")
        out(key)
    elif action == "list":
        for r in await apikeys_db.list_all(conn):
            state = f"revoked {r['revoked_at'].isoformat()}" if r["revoked_at"] else "active"
            out(f"{r['id']}\t{r['name']}\t{r['handle']}\t{r['created_at'].isoformat()}\t{state}")
    elif not await apikeys_db.revoke(conn, args["id"]):
        out(f"warga: no active API key {args['id']}")
        return 1
    else:
        out(f"warga: API key {args['id']} revoked")
    return 0


def _idempotency_key(request: Request) -> str | None:
    try:
        return idempotency.key_of(request)
    except ApiError:
        raise Open311Error(
            400, f"Idempotency-Key must be 1-{idempotency.MAX_KEY} printable ASCII characters."
        ) from None


@endpoint
async def create_request(request: Request, fmt: str) -> Response:
    data, uploads = await _read_form(request)
    user = await _account(request, data.get("api_key"))
    new = validate_request(data)
    # Contact fields (email, names, phone, device_id, account_id) are accepted and not stored: the report
    # belongs to the key's account, and warga keeps no personal data it does not need.
    runtime = runtime_of(request)
    key = _idempotency_key(request)
    rhash = b""
    answer: Response | None = None
    if key is not None:  # a retry answers what the first attempt did, in whichever format it asks
        blobs = []
        for upload in uploads:
            blobs.append(await upload.read())
            await upload.seek(0)
        fields = {k: v for k, v in data.items() if k != "api_key"}  # the same request with a rotated key
        rhash = idempotency.request_hash("POST /open311/v2/requests", fields, blobs)
        answer = await idempotency.stored(runtime, user.id, key, rhash)
    if answer is None:
        answer = await posts.publish(request, runtime, user, await locate(runtime, new), uploads, key, rhash)
    body = json.loads(bytes(answer.body))
    notice = APPROXIMATE if body.get("position_approximate") else ""
    if answer.status_code == 202:  # held for review: not public yet, so only a token
        item: dict[str, Any] = {"token": str(body["id"]), "service_notice": body.get("message", "")}
    else:
        item = {"service_request_id": str(body["id"]), "service_notice": notice, "account_id": str(user.id)}
    return render(fmt, "service_requests", [item], 201 if answer.status_code == 201 else 202)


# --- Reading requests ----------------------------------------------------------------------------------
def request_json(row: Any, runtime: AppRuntime, place: str | None = None) -> dict[str, Any]:
    """One request in the spec's field order; `place` describes the post's area in words. Extension:
    `attributes`, the answers to the service's questions, as [{code, value}] ({code, values} for a list).
    `media_url` is absolute, under WARGA_MEDIA_BASE_URL or WARGA_PUBLIC_URL (feed.core.meta.absolute)."""
    closed = row["status"] in open311_db.CLOSED
    photos = row["photos"] or []
    media = None
    if photos:
        media = absolute(runtime.settings, runtime.storage.url(photos[0]["variants"]["display"]["key"]))
    _name_id, name_en = CATEGORIES.get(row["category"], (row["category"], row["category"]))
    item: dict[str, Any] = {
        "service_request_id": str(row["id"]),
        "status": "closed" if closed else "open",
        "status_notes": _notes(row),
        "service_name": name_en,
        "service_code": row["category"],
        "description": row["text"],
        "agency_responsible": row["area_name"],
        "service_notice": None,
        "requested_datetime": local(row["created_ts"]),
        "updated_datetime": local(row["updated_ts"]),
        "expected_datetime": None if closed else local(row["resolve_due_at"]),
        "address": row["address"] or place,
        "address_id": None,
        "zipcode": None,
        "lat": row["pub_lat"],
        "long": row["pub_lon"],
        "media_url": media,
        "attributes": _answers(row["category"], row["attributes"] or {}),
    }
    return item


def _answers(category: str, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """In the order the service definition asks (jsonb keeps keys in its own order)."""
    order = [a.code for a in ATTRIBUTES.get(category, ())]
    codes = sorted(answers, key=lambda c: order.index(c) if c in order else len(order))
    return [{"code": c, ("values" if isinstance(answers[c], list) else "value"): answers[c]} for c in codes]


def _notes(row: Any) -> str | None:
    note = row["status_note"] or (row["status"] if row["status"] != "open" else None)
    if row["position_approximate"]:  # placed from address_string: say so wherever the position is shown
        return f"{note} ({APPROXIMATE})" if note else APPROXIMATE
    return note


async def _items(conn: Any, rows: list[Any], runtime: AppRuntime) -> list[dict[str, Any]]:
    places = await geocode.describe_areas(conn, [r["area_id"] for r in rows if r["area_id"] is not None])
    return [request_json(r, runtime, places.get(r["area_id"])) for r in rows]


def _ids(raw: str) -> list[int]:
    ids = []
    for part in raw.split(","):
        value = decimal_int(part.strip())
        if value is None or not 0 < value < 2**63:
            raise Open311Error(400, f"service_request_id {part.strip()[:40]!r} is not a request id.")
        ids.append(value)
    if len(ids) > MAX_RESULTS:
        raise Open311Error(400, f"At most {MAX_RESULTS} service_request_id values.")
    return ids


def _date(raw: str | None, name: str) -> datetime | None:
    """The shared date parser (feed.core.parse.moment); without an offset, Jakarta time."""
    if raw is None or raw == "":
        return None
    try:
        return moment(raw, JAKARTA)
    except BadMoment as exc:
        raise Open311Error(400, f"{name} {exc.problem}.") from None


def _int(raw: str | None, name: str, default: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    value = decimal_int(raw)
    if value is None or not 1 <= value <= high:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {high}.")
    return value


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The spec: no dates = the last 90 days; a range may not be over 90 days."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:  # start + WINDOW, but no later than now: never past datetime.max (start may be 9999)
        end = start + min(WINDOW, max(now - start, timedelta(0)))
    if end < start:
        raise Open311Error(400, "end_date is before start_date.")
    if end - start > WINDOW:
        raise Open311Error(400, "The date range is over 90 days.")
    return start, end


@endpoint
async def list_requests(request: Request, fmt: str) -> Response:
    runtime = runtime_of(request)
    q = request.query_params
    async with runtime.pool.acquire() as conn:
        if q.get("service_request_id"):  # the spec: overrides every other parameter
            rows = await open311_db.by_ids(conn, _ids(q["service_request_id"]))
        else:
            codes = None
            if q.get("service_code"):
                codes = [c.strip() for c in q["service_code"].split(",")]
                unknown = [c for c in codes if c not in CATEGORIES]
                if unknown:
                    raise Open311Error(400, f"service_code {unknown[0]!r} is not a service.")
            closed: bool | None = None
            if q.get("status"):
                wanted = {s.strip() for s in q["status"].split(",")}
                if not wanted <= {"open", "closed"}:
                    raise Open311Error(400, "status must be open or closed.")
                closed = None if len(wanted) == 2 else "closed" in wanted
            start, end = window(
                _date(q.get("start_date"), "start_date"),
                _date(q.get("end_date"), "end_date"),
                datetime.now(UTC),
            )
            page = _int(q.get("page"), "page", 1, 1_000_000)
            size = _int(q.get("page_size"), "page_size", MAX_RESULTS, MAX_RESULTS)
            rows = await open311_db.search(
                conn,
                categories=codes,
                start=start,
                end=end,
                closed=closed,
                limit=size,
                offset=(page - 1) * size,
            )
        items = await _items(conn, rows, runtime)
    return render(fmt, "service_requests", items)


def _path_id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    value = decimal_int(raw)
    if value is None or not 0 < value < 2**63:
        raise Open311Error(404, f"No service request {raw[:40]!r}.")
    return value


@endpoint
async def get_request(request: Request, fmt: str) -> Response:
    runtime = runtime_of(request)
    post_id = _path_id(request, "id")
    async with runtime.pool.acquire() as conn:
        rows = await open311_db.by_ids(conn, [post_id])
        if not rows:
            raise Open311Error(404, f"No service request {post_id}.")
        items = await _items(conn, rows, runtime)
    return render(fmt, "service_requests", items)


@endpoint
async def get_token(request: Request, fmt: str) -> Response:
    """A token is the id of a request that was held for review: it maps to the request once public."""
    post_id = _path_id(request, "token")
    async with runtime_of(request).pool.acquire() as conn:
        public = await open311_db.visible_id(conn, post_id)
    if not public:
        raise Open311Error(404, "No public service request for this token (yet).")
    return render(fmt, "service_requests", [{"service_request_id": str(post_id), "token": str(post_id)}])
