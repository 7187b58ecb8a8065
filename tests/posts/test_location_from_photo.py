"""location_from_photo: preview a photo's GPS position, then publish with it; the stored photo keeps none."""

from __future__ import annotations

import httpx
import pytest

from tests import photo_samples as samples
from tests.conftest import MakeUser

KEMANG = (-6.2607, 106.8137)


async def test_preview_then_publish_with_the_photos_position(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    photo = samples.phone_jpeg(orientation=1, gps=KEMANG)
    r = await client.post(
        "/api/photos/locate", files={"photo": ("p.jpg", photo, "image/jpeg")}, headers=user.headers
    )
    assert r.status_code == 200
    assert r.json() == pytest.approx({"lat": KEMANG[0], "lon": KEMANG[1]}, abs=1e-4)

    r = await client.post(
        "/api/posts",
        data={"text": "Banjir di Kemang", "category": "flood", "location_from_photo": "true"},
        files={"photo": ("p.jpg", photo, "image/jpeg")},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert (post["lat"], post["lon"]) == pytest.approx(KEMANG, abs=1e-4)
    served = await client.get(post["photos"][0]["display_url"])
    assert served.status_code == 200 and b"GPS" not in served.content and b"Exif" not in served.content


async def test_typed_position_wins_over_the_photo(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    r = await client.post(
        "/api/posts",
        data={
            "text": "x",
            "category": "flood",
            "location_from_photo": "true",
            "lat": "-6.1754",
            "lon": "106.8272",
        },
        files={"photo": ("p.jpg", samples.phone_jpeg(gps=KEMANG), "image/jpeg")},
        headers=user.headers,
    )
    assert r.status_code == 201
    assert (r.json()["lat"], r.json()["lon"]) == pytest.approx((-6.1754, 106.8272))


@pytest.mark.parametrize("with_photo", [True, False])
async def test_no_gps_anywhere_is_422_and_nothing_written(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime,
    with_photo: bool,  # type: ignore[no-untyped-def]
) -> None:
    user = await make_user()
    fields = {"text": "x", "category": "flood", "location_from_photo": "true"}
    if with_photo:
        photo = {"photo": ("p.jpg", samples.phone_jpeg(gps=None), "image/jpeg")}
        r = await client.post("/api/posts", data=fields, files=photo, headers=user.headers)
    else:
        r = await client.post(
            "/api/posts", json={**fields, "location_from_photo": True}, headers=user.headers
        )
    assert r.status_code == 422
    assert "location_from_photo" in r.json()["error"]["fields"]
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 0


async def test_locate_bad_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    no_gps = await client.post(
        "/api/photos/locate",
        files={"photo": ("p.jpg", samples.phone_jpeg(gps=None), "image/jpeg")},
        headers=user.headers,
    )
    assert no_gps.status_code == 422 and no_gps.json()["error"]["code"] == "no_location"
    not_image = await client.post(
        "/api/photos/locate", files={"photo": ("p.jpg", b"hello", "image/jpeg")}, headers=user.headers
    )
    assert not_image.status_code == 415
    anonymous = await client.post("/api/photos/locate", files={"photo": ("p.jpg", b"x", "image/jpeg")})
    assert anonymous.status_code == 401
    bad_flag = await client.post(
        "/api/posts",
        json={"text": "x", "category": "flood", "location_from_photo": "maybe"},
        headers=user.headers,
    )
    assert bad_flag.status_code == 422 and "location_from_photo" in bad_flag.json()["error"]["fields"]
