"""The bad-input table of issue #2: every case gets its 4xx in the one error shape, and writes nothing."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeUser
from tests.posts.test_posts import JAKARTA, counts, jpeg, new_post
from warga.runtime import Runtime

GOOD: dict[str, Any] = {
    "text": "Jalan berlubang",
    "category": "road_damage",
    "lat": JAKARTA[0],
    "lon": JAKARTA[1],
}


def assert_error(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    error = body["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], error


JSON_CASES = [
    ("lat 91", {**GOOD, "lat": 91}, 422, "invalid", "lat"),
    ("lat -91", {**GOOD, "lat": -91}, 422, "invalid", "lat"),
    ("lon 181", {**GOOD, "lon": 181}, 422, "invalid", "lon"),
    ("lat abc", {**GOOD, "lat": "abc"}, 422, "invalid", "lat"),
    ("lat 'NaN' string", {**GOOD, "lat": "NaN"}, 422, "invalid", "lat"),
    ("lon 'Infinity' string", {**GOOD, "lon": "Infinity"}, 422, "invalid", "lon"),
    ("lat bool", {**GOOD, "lat": True}, 422, "invalid", "lat"),
    ("lat null", {**GOOD, "lat": None}, 422, "invalid", "lat"),
    ("missing text", {k: v for k, v in GOOD.items() if k != "text"}, 422, "invalid", "text"),
    ("missing category", {k: v for k, v in GOOD.items() if k != "category"}, 422, "invalid", "category"),
    ("missing lat", {k: v for k, v in GOOD.items() if k != "lat"}, 422, "invalid", "lat"),
    ("missing lon", {k: v for k, v in GOOD.items() if k != "lon"}, 422, "invalid", "lon"),
    ("unknown field", {**GOOD, "author_id": 1}, 422, "invalid", "author_id"),
    ("unknown category", {**GOOD, "category": "ufo"}, 422, "invalid", "category"),
    ("category not a string", {**GOOD, "category": ["flood"]}, 422, "invalid", "category"),
    ("text 2001 chars", {**GOOD, "text": "a" * 2001}, 422, "invalid", "text"),
    ("text empty", {**GOOD, "text": ""}, 422, "invalid", "text"),
    ("text blank", {**GOOD, "text": " \n\t "}, 422, "invalid", "text"),
    ("text a number", {**GOOD, "text": 5}, 422, "invalid", "text"),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "code", "field"), JSON_CASES, ids=[c[0] for c in JSON_CASES]
)
async def test_bad_json_post(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    name: str,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    user = await make_user()
    before = await counts(runtime)
    assert_error(await client.post("/api/posts", json=body, headers=user.headers), status, code, field)
    if name == "text a number":  # as a multipart field, 5 is the valid text "5"
        assert await counts(runtime) == before
        return
    # The same fields through multipart are refused the same way (numbers arrive as strings there).
    parts = {k: (None, v if isinstance(v, str) else json.dumps(v)) for k, v in body.items()}
    r = await client.post("/api/posts", files=parts, headers=user.headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    assert await counts(runtime) == before


_NAMELESS = b"--zz\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--zz--\r\n"
RAW_CASES = [
    ("malformed JSON", b'{"text": "x", ', "application/json", 400, "bad_json"),
    ("JSON NaN", b'{"text":"x","category":"flood","lat":NaN,"lon":1}', "application/json", 400, "bad_json"),
    ("JSON array", b"[1, 2, 3]", "application/json", 400, "bad_json"),
    ("empty JSON body", b"", "application/json", 400, "bad_json"),
    ("invalid UTF-8", b'{"text": "\xff\xfe"}', "application/json", 400, "bad_json"),
    ("multipart part without a name", _NAMELESS, "multipart/form-data; boundary=zz", 400, "bad_multipart"),
    (
        "multipart of the wrong boundary",
        b"--yy\r\nx\r\n--yy--",
        "multipart/form-data; boundary=zz",
        400,
        "bad_multipart",
    ),
    # Cut off before any part ends: nothing arrived, so the fields are reported missing.
    ("truncated multipart", b"--zz\r\nnonsense", "multipart/form-data; boundary=zz", 422, "invalid"),
    ("multipart without boundary", b"x", "multipart/form-data", 400, "bad_multipart"),
    (
        "form-urlencoded",
        b"text=x&category=flood",
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
    ("text/plain", b"hello", "text/plain", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize(("name", "raw", "ctype", "status", "code"), RAW_CASES, ids=[c[0] for c in RAW_CASES])
async def test_malformed_bodies(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    name: str,
    raw: bytes,
    ctype: str,
    status: int,
    code: str,
) -> None:
    user = await make_user()
    before = await counts(runtime)
    r = await client.post("/api/posts", content=raw, headers={**user.headers, "content-type": ctype})
    assert_error(r, status, code)
    assert await counts(runtime) == before


def _form() -> dict[str, tuple[None, str]]:
    return {k: (None, str(v)) for k, v in GOOD.items()}


PHOTO_CASES = [
    ("non-image photo", [b"%PDF-1.4 not a photo at all"], 415, "photo_unsupported"),
    ("empty photo", [b""], 422, "photo_empty"),
    ("truncated JPEG", [jpeg()[:200]], 422, "photo_unreadable"),
    ("good then bad photo", [jpeg(), b"GIF89a....."], 415, "photo_unsupported"),
    ("5 photos", [jpeg()] * 5, 422, "invalid"),
]


@pytest.mark.parametrize(("name", "photos", "status", "code"), PHOTO_CASES, ids=[c[0] for c in PHOTO_CASES])
async def test_bad_photos(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    name: str,
    photos: list[bytes],
    status: int,
    code: str,
) -> None:
    user = await make_user()
    before = await counts(runtime)
    files = [("photo", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    r = await client.post(
        "/api/posts", data={k: str(v) for k, v in GOOD.items()}, files=files, headers=user.headers
    )
    assert_error(r, status, code, "photo")
    assert await counts(runtime) == before


async def test_photo_field_must_be_a_file_and_fields_not_files(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    before = await counts(runtime)
    r = await client.post(
        "/api/posts", files={**_form(), "photo": (None, "not a file")}, headers=user.headers
    )
    assert_error(r, 422, "invalid", "photo")
    files: dict[str, Any] = {**_form(), "text": ("t.txt", b"hello", "text/plain")}
    assert_error(await client.post("/api/posts", files=files, headers=user.headers), 422, "invalid", "text")
    assert await counts(runtime) == before


async def test_fifty_megabyte_body_is_413(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    before = await counts(runtime)
    big = b"\xff\xd8" + b"\0" * (50 * 1024 * 1024)
    files = [("photo", ("big.jpg", big, "image/jpeg"))]
    r = await client.post(
        "/api/posts", data={k: str(v) for k, v in GOOD.items()}, files=files, headers=user.headers
    )
    assert_error(r, 413, "too_large")

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
        yield b'--zz\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n'
        for _ in range(50):
            yield b"x" * (1024 * 1024)

    headers = {**user.headers, "content-type": "multipart/form-data; boundary=zz"}
    assert_error(await client.post("/api/posts", content=stream(), headers=headers), 413, "too_large")
    r = await client.post("/api/posts", json={**GOOD, "text": "a" * (100 * 1024)}, headers=user.headers)
    assert_error(r, 413, "too_large")
    assert await counts(runtime) == before


async def test_photo_over_the_per_photo_limit_is_413(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    before = await counts(runtime)
    big = b"\xff\xd8" + b"\0" * (runtime.settings.max_photo_bytes + 1)
    files = [("photo", ("big.jpg", big, "image/jpeg"))]
    r = await client.post(
        "/api/posts", data={k: str(v) for k, v in GOOD.items()}, files=files, headers=user.headers
    )
    assert_error(r, 413, "photo_too_large", "photo")
    assert await counts(runtime) == before


@pytest.mark.parametrize("header", ["Bearer wrg_forged", "Bearer expired", "Basic abc", "Bearer "])
async def test_forged_or_expired_token_writes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime, header: str
) -> None:
    author = await make_user()
    post = await new_post(client, author)
    if header == "Bearer expired":
        victim = await make_user()
        async with runtime.pool.acquire() as conn:
            await conn.execute(
                "UPDATE tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", victim.id
            )
        header = f"Bearer {victim.token}"
    before = await counts(runtime)
    auth = {"Authorization": header}
    pid = post["id"]
    for method, url, body in (
        ("POST", "/api/posts", GOOD),
        ("PUT", f"/api/posts/{pid}/vote", None),
        ("POST", f"/api/posts/{pid}/comments", {"text": "hai"}),
        ("DELETE", f"/api/posts/{pid}", None),
        ("POST", f"/api/posts/{pid}/hide", {"reason": "spam"}),
        ("GET", "/api/feed?lat=-6.2&lon=106.8", None),
        ("GET", f"/api/posts/{pid}", None),
    ):
        r = await client.request(method, url, json=body, headers=auth)
        assert_error(r, 401, "unauthorized")
    assert await counts(runtime) == before


async def test_anonymous_writes_are_401(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author = await make_user()
    post = await new_post(client, author)
    before = await counts(runtime)
    assert_error(await client.post("/api/posts", json=GOOD), 401, "unauthorized")
    assert_error(
        await client.post(f"/api/posts/{post['id']}/comments", json={"text": "x"}), 401, "unauthorized"
    )
    assert_error(await client.delete(f"/api/posts/{post['id']}"), 401, "unauthorized")
    assert await counts(runtime) == before


async def test_someone_elses_post_and_citizen_hide(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, citizen = await make_user(), await make_user()
    post = await new_post(client, author)
    before = await counts(runtime)
    assert_error(await client.delete(f"/api/posts/{post['id']}", headers=citizen.headers), 403, "forbidden")
    r = await client.post(
        f"/api/posts/{post['id']}/hide", json={"reason": "saya tidak suka"}, headers=citizen.headers
    )
    assert_error(r, 403, "forbidden")
    assert await counts(runtime) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": ""}, "text"), ({"text": "a" * 2001}, "text"), ({}, "text"), ({"text": "ok", "x": 1}, "x")],
)
async def test_bad_comments(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    user = await make_user()
    post = await new_post(client, user)
    before = await counts(runtime)
    r = await client.post(f"/api/posts/{post['id']}/comments", json=body, headers=user.headers)
    assert_error(r, 422, "invalid", field)
    assert await counts(runtime) == before


@pytest.mark.parametrize(
    "path", ["/api/posts/0", "/api/posts/-1", "/api/posts/99999999999999999999", "/api/posts/1e3"]
)
async def test_odd_ids_are_404(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 404, "not_found")
    assert_error(await client.get(path + "/comments"), 404, "not_found")


# --- Issue #18 item 7: bad input that used to be a 500 or a broken stream --------------------------------
DEEP = "[" * 900 + "]" * 900
TABLES = ("users", "posts", "comments", "events", "photos", "votes", "api_keys")


async def rows(runtime: Runtime) -> dict[str, int]:
    async with runtime.pool.acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


def assert_open311_error(r: httpx.Response, status: int) -> None:
    """Open311 answers in the spec's error list (docs/open311.md), ours for every other path."""
    assert r.status_code == status, r.text
    if r.headers["content-type"].startswith("text/xml"):
        assert b"<errors><error><code>" + str(status).encode() + b"</code>" in r.content
        return
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]


def _post(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes})


def _raw_post(attributes: str) -> str:
    return (
        '{"text": "banjir", "category": "flood", "lat": -6.2, "lon": 106.8, "attributes": ' + attributes + "}"
    )


NINES = "9" * 400
O311 = "/open311/v2/requests.json"
FEED = "/api/feed?lat=-6.2&lon=106.8"
DEPTH = "water_depth_cm"
# (name, method, url, JSON body or form, expected status, expected code (None: Open311's error list), field)
BAD_INPUTS: list[tuple[str, str, str, Any, int, str | None, str | None]] = [
    ("login JSON nested 900 deep", "POST", "/api/auth/login", '{"handle": ' + DEEP + ', "password": "x"}',
     400, "bad_json", "handle"),
    ("register JSON nested 900 deep", "POST", "/api/auth/register", DEEP, 400, "bad_json", "body"),
    ("login JSON nested 33 deep", "POST", "/api/auth/login", '{"handle": ' + "[" * 33 + "]" * 33 + "}",
     400, "bad_json", "handle"),
    ("post attributes nested 900 deep", "POST", "/api/posts", _raw_post(DEEP), 400, "bad_json", "attributes"),
    ("attribute a 400-digit integer", "POST", "/api/posts", _raw_post('{"' + DEPTH + '": ' + NINES + "}"),
     422, "invalid", "attributes." + DEPTH),
    ("attribute a 400-digit numeral", "POST", "/api/posts", _raw_post('{"' + DEPTH + '": "' + NINES + '"}'),
     422, "invalid", "attributes." + DEPTH),
    ("attribute 1e400", "POST", "/api/posts", _raw_post('{"' + DEPTH + '": 1e400}'),
     422, "invalid", "attributes." + DEPTH),
    ("attribute a 5000-digit integer", "POST", "/api/posts",
     _raw_post('{"' + DEPTH + '": ' + "9" * 5000 + "}"), 400, "bad_json", None),
    ("lat a 400-digit integer", "POST", "/api/posts", _post(lat=int(NINES)), 422, "invalid", "lat"),
    ("lon a -400-digit integer", "POST", "/api/posts", _post(lon=-int(NINES)), 422, "invalid", "lon"),
    ("Open311 end_date year 1", "GET", O311 + "?end_date=0001-01-01T00:00:00Z", None, 400, None, None),
    ("Open311 end_date year 1 +05:00 (XML)", "GET",
     O311.replace(".json", ".xml") + "?end_date=0001-01-01T00:00:00%2B05:00", None, 400, None, None),
    ("Open311 start_date 9999 -23:59", "GET", O311 + "?start_date=9999-12-31T23:59:59-23:59",
     None, 400, None, None),
    ("Open311 start_date 1899", "GET", O311 + "?start_date=1899-12-31", None, 400, None, None),
    ("Open311 page of 5000 digits", "GET", O311 + "?page=" + "9" * 5000, None, 400, None, None),
    ("Open311 page_size superscript two", "GET", O311 + "?page_size=%C2%B2", None, 400, None, None),
    ("Open311 service_request_id of 5000 digits", "GET", O311 + "?service_request_id=" + "9" * 5000,
     None, 400, None, None),
    ("Open311 request id superscript two", "GET", "/open311/v2/requests/%C2%B2.json", None, 404, None, None),
    ("Open311 token of 5000 digits", "GET", "/open311/v2/tokens/" + "9" * 5000 + ".json",
     None, 404, None, None),
    ("Open311 attribute a 400-digit numeral", "FORM", O311, {f"attribute[{DEPTH}]": NINES}, 400, None, None),
    ("Open311 attribute a 5000-digit numeral", "FORM", O311, {f"attribute[{DEPTH}]": "9" * 5000},
     400, None, None),
    ("export csv from 9999 -23:59", "GET", "/api/export?format=csv&from=9999-12-31T23:59:59-23:59",
     None, 422, "invalid", "from"),
    ("export geojson to year 1 +01:00", "GET", "/api/export?to=0001-01-01T00:00:00%2B01:00",
     None, 422, "invalid", "to"),
    ("export from year 1", "GET", "/api/export?format=csv&from=0001-01-01", None, 422, "invalid", "from"),
    ("export area superscript two", "GET", "/api/export?area=%C2%B2", None, 422, "invalid", "area"),
    ("export area of 5000 digits", "GET", "/api/export?area=" + "9" * 5000, None, 422, "invalid", "area"),
    ("feed limit of 5000 digits", "GET", FEED + "&limit=" + "9" * 5000, None, 422, "invalid", "limit"),
    ("feed limit superscript two", "GET", FEED + "&limit=%C2%B2", None, 422, "invalid", "limit"),
    ("post id superscript two", "GET", "/api/posts/%C2%B2", None, 404, "not_found", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "status", "code", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
async def test_bad_input_table(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    name: str,
    method: str,
    url: str,
    body: Any,
    status: int,
    code: str | None,
    field: str | None,
) -> None:
    """Each is a 4xx in its one error shape (Open311: the spec's list), and writes nothing."""
    user = await make_user()
    async with runtime.pool.acquire() as conn:
        from feed.open311 import georeport as open311

        _, key, _ = await open311.new_api_key(conn, "table", user.handle)
    before = await rows(runtime)
    if method == "FORM":
        form = {
            "api_key": key,
            "service_code": "flood",
            "lat": "-6.2",
            "long": "106.8",
            "description": "banjir",
        }
        r = await client.post(url, data={**form, **body})
    else:
        headers = {**user.headers, "content-type": "application/json"} if body is not None else user.headers
        r = await client.request(method, url, content=body, headers=headers)
    if code is None:
        assert_open311_error(r, status)
    else:
        assert_error(r, status, code, field)
    assert await rows(runtime) == before


async def test_json_nested_900_deep_is_a_4xx_on_every_route(
    app: Any, client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    """Every route that takes a body, as an admin (fresh for each: one of them is logout): a deep body is
    never a 500. A handler that reads no body (logout) may answer 2xx; every refusal is in the one shape."""
    from starlette.routing import Route

    calls = []
    for route in app.routes:
        if not isinstance(route, Route) or not route.methods:
            continue
        for method in sorted(route.methods - {"GET", "HEAD"}):
            path = route.path.replace("{key:path}", "ab/cd.jpg").replace(".{fmt}", ".json")
            for param in ("{id}", "{kind}", "{code}", "{service_code}", "{token}"):
                path = path.replace(param, "post" if param == "{kind}" else "1")
            calls.append((method, path, await make_user("admin")))
    assert len(calls) > 20
    before = await rows(runtime)
    body = '{"text": ' + DEEP + "}"
    refused = 0
    for method, path, admin in calls:
        headers = {**admin.headers, "content-type": "application/json"}
        r = await client.request(method, path, content=body, headers=headers)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:200])
        if r.status_code >= 400:
            if not path.startswith("/open311/"):  # GeoReport clients get the spec's error list instead
                assert set(r.json()) == {"error"}, (method, path, r.text[:200])
            refused += 1
    assert refused >= len(calls) - 2  # logout and logout-everywhere read no body
    assert await rows(runtime) == before


@pytest.mark.parametrize("kind", ["recursion", "huge message"])
async def test_an_unhandled_error_is_logged_once_and_bounded(
    app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """A 500 (a bug) behind a real uvicorn, as `warga serve` runs it: one record, not Starlette's and then
    uvicorn's, and a bounded one: a RecursionError's ~1000 frames and a 1 MB message are summarised."""
    from feed.core import meta
    from kernel import logs
    from tests.services import served_by_uvicorn

    def ping(n: int) -> None:
        pong(n + 1)

    def pong(n: int) -> None:
        ping(n + 1)  # alternating frames: Python's traceback does not fold them as "repeated"

    def boom(*args: Any) -> None:
        if kind == "recursion":
            ping(0)
        raise ValueError("x" * 1_000_000)

    monkeypatch.setattr(meta, "as_json", boom)  # GET /api/config calls it
    caplog.set_level(logging.INFO)
    async with served_by_uvicorn(app) as base, httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/api/config")
    assert_error(r, 500, "internal")
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1, [(rec.name, rec.getMessage()[:100]) for rec in errors]
    record = errors[0]
    assert record.name == "warga.http" and record.exc_info is None
    assert len(record.getMessage()) < 600
    line = logs.JsonFormatter().format(record)
    assert len(line) < logs.MAX_TRACEBACK + logs.MAX_MESSAGE + 1000, len(line)
    entry = json.loads(line)
    expected = "RecursionError" if kind == "recursion" else "ValueError"
    assert entry["error"] == expected and expected in entry["exc"].splitlines()[-1]
    assert "in boom" in entry["exc"]  # the app's frames are kept
    assert ("repeated" if kind == "recursion" else "characters cut") in entry["exc"]
    assert len(caplog.text) < 20_000


def test_the_json_formatter_bounds_any_traceback() -> None:
    """Whatever logs with exc_info (uvicorn, asyncio, a library) is bounded too."""
    from kernel import logs

    scope: dict[str, Any] = {}  # 200 distinct functions, f0 calling f1 … calling f199: nothing to fold
    exec("\n".join(f"def f{i}(): f{i + 1}()" for i in range(199)), scope)  # noqa: S102 -- test code
    exec('def f199(): raise ValueError("wrg_" + "s" * 20 + " " + "y" * 100_000)', scope)  # noqa: S102

    try:
        scope["f0"]()
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m" * 100_000, None, sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert len(line) < logs.MAX_TRACEBACK + logs.MAX_MESSAGE + 1000
    entry = json.loads(line)
    assert "frames cut" in entry["exc"] and "characters cut" in entry["msg"]
    assert "wrg_s" not in line and "ValueError: wrg_***" in entry["exc"]


def test_json_text_inside_a_request_is_read_like_a_body() -> None:
    """feed.core.parse.json_value (for JSON carried in a form field): every refusal is a ValueError."""
    from feed.core.parse import json_value

    assert json_value('{"water_depth_cm": 30}') == {"water_depth_cm": 30}
    for text in ("[" * 3000 + "]" * 3000, '{"a": ' + "[" * 33 + "]" * 33 + "}", "[NaN]", "9" * 2000):
        with pytest.raises(ValueError):
            json_value(text)


async def test_a_multipart_attributes_field_nested_thousands_deep_is_a_422(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """The JSON inside a form field is read as a body is (core.parse.json_value): never a RecursionError."""
    user = await make_user()
    before = await counts(runtime)
    parts = {
        "text": (None, "banjir"),
        "category": (None, "flood"),
        "lat": (None, "-6.2"),
        "lon": (None, "106.8"),
        "attributes": (None, "[" * 3000 + "]" * 3000),
    }
    r = await client.post("/api/posts", files=parts, headers=user.headers)
    assert_error(r, 422, "invalid", "attributes")
    assert await counts(runtime) == before
