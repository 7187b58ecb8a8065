"""Photos through the HTTP API: POST /api/posts multipart with hostile or phone photos, then GET /media/...
— the served bytes are upright and carry no metadata, with the safety headers; refused photos leave nothing
behind in the database or the media store."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from media.serving import MEDIA_HEADERS
from tests import photo_samples as samples
from tests.conftest import Account, MakeUser
from warga.runtime import Runtime

FIELDS = {
    "text": "Banjir setinggi lutut di Jl. Kemang Raya",
    "category": "flood",
    "lat": "-6.2",
    "lon": "106.8",
}


async def post_photos(client: httpx.AsyncClient, user: Account, *photos: bytes) -> httpx.Response:
    files = [("photo", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return await client.post("/api/posts", data=FIELDS, files=files, headers=user.headers)


async def row_counts(runtime: Runtime) -> dict[str, int]:
    async with runtime.pool.acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in ("posts", "photos", "events")}


def media_files(runtime: Runtime) -> set[Path]:
    root = Path(runtime.settings.media_path)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def path_of(url: str) -> str:
    assert url.startswith("/media/"), url
    return url


@pytest.mark.parametrize("name", list(samples.bad_inputs()))
async def test_bad_photos_get_a_clear_4xx_and_nothing_is_stored(
    name: str, client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    data, status = samples.bad_inputs()[name]
    user = await make_user()
    files_before = media_files(runtime)
    r = await post_photos(client, user, data)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    assert await row_counts(runtime) == {"posts": 0, "photos": 0, "events": 0}
    assert media_files(runtime) == files_before
    assert (await client.get("/healthz")).status_code == 200  # the server carries on


async def test_served_variants_are_upright_stripped_and_safe(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    r = await post_photos(client, user, samples.phone_jpeg(6, size=(2400, 1800)), samples.polyglot_jpeg())
    assert r.status_code == 201, r.text
    phone, polyglot = r.json()["photos"]
    assert (phone["width"], phone["height"]) == (2400, 1800)
    assert len(phone["blurhash"]) == 28
    for photo in (phone, polyglot):
        for url in (photo["thumb_url"], photo["display_url"]):
            got = await client.get(path_of(url))
            assert got.status_code == 200
            assert got.headers["content-type"] == "image/jpeg"
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-security-policy"] == "sandbox"
            assert got.headers["cache-control"] == MEDIA_HEADERS["Cache-Control"]  # a public post's photo
            assert b"<script" not in got.content and b"Exif" not in got.content
            image = Image.open(io.BytesIO(got.content))
            assert not image.getexif() and "icc_profile" not in image.info
    display = Image.open(io.BytesIO((await client.get(phone["display_url"])).content))
    assert display.size == (1280, 960)
    colours = samples.quadrant_colours(display)
    expected = [samples.TOP_LEFT, samples.TOP_RIGHT, samples.BOTTOM_LEFT, samples.BOTTOM_RIGHT]
    assert all(samples.close(c, e) for c, e in zip(colours, expected, strict=True)), colours


async def test_the_same_photo_in_two_posts_is_stored_once(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    photo = samples.phone_jpeg(3, size=(900, 700))
    first = await post_photos(client, user, photo)
    files = media_files(runtime)
    second = await post_photos(client, user, photo)
    assert first.status_code == second.status_code == 201
    a: dict[str, Any] = first.json()["photos"][0]
    b: dict[str, Any] = second.json()["photos"][0]
    assert (a["thumb_url"], a["display_url"]) == (b["thumb_url"], b["display_url"])
    assert media_files(runtime) == files
    assert (await row_counts(runtime))["photos"] == 2  # two posts, one stored copy


async def test_media_paths_outside_the_store_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/media/../pyproject.toml", "/media/ab/" + "0" * 64 + ".jpg", "/media/%2e%2e/etc/passwd"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
