"""The bad-input table of issue #2: every case gets its 4xx in the one error shape, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeUser
from tests.test_posts import JAKARTA, counts, jpeg, new_post
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
