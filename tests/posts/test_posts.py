"""Posts: create (JSON and multipart with photos), read, delete; the outbox rows each change writes."""

from __future__ import annotations

import io
import math
from typing import Any

import httpx
from PIL import Image

from kernel import geo
from tests.conftest import Account, MakeUser
from warga.runtime import Runtime

JAKARTA = (-6.2088, 106.8456)  # Monas


def offset(lat: float, lon: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    """The point distance_m away along a great circle (the inverse of geo.distance_m)."""
    d = distance_m / geo.EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


async def new_post(
    client: httpx.AsyncClient, user: Account, at: tuple[float, float] = JAKARTA, **fields: Any
) -> dict[str, Any]:
    body = {
        "text": "Banjir setinggi lutut di Jl. Kemang Raya",
        "category": "flood",
        "lat": at[0],
        "lon": at[1],
    }
    r = await client.post("/api/posts", json={**body, **fields}, headers=user.headers)
    assert r.status_code == 201, r.text
    post: dict[str, Any] = r.json()
    return post


def jpeg(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


async def counts(runtime: Runtime) -> dict[str, int]:
    """Rows in every table a request might write: to prove a refused request wrote nothing."""
    async with runtime.pool.acquire() as conn:
        return {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("posts", "photos", "votes", "comments", "moderation_log", "events")
        }


async def events(runtime: Runtime, who: str = "staff") -> list[dict[str, Any]]:
    """The outbox, each event's payload as `who` (an audience class of kernel.visibility) is shown it."""
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, type, post_id, lat, lon, payload FROM events ORDER BY id")
    return [{**r, "payload": view_of(r["payload"], who)} for r in rows]


def view_of(payload: dict[str, Any], who: str) -> dict[str, Any] | None:
    index = payload["by"][who]
    return None if index is None else payload["views"][index]


async def test_create_json_post(client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime) -> None:
    user = await make_user()
    post = await new_post(client, user, text="  Banjir di Kemang  ")
    assert post["text"] == "Banjir di Kemang"  # stripped
    assert post["category"] == "flood" and post["status"] == "open"
    assert (post["lat"], post["lon"]) == JAKARTA
    assert post["author"] == {"id": user.id, "handle": user.handle}
    assert post["votes"] == 0 and post["comments"] == 0 and post["photos"] == []
    assert post["hidden"] is False and post["area_id"] is None
    assert post["created_at"].endswith("Z") and post["updated_at"].endswith("Z")

    async with runtime.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM posts WHERE id = $1", post["id"])
    assert row["cell9"] == geo.cell(*JAKARTA, 9) and row["cell7"] == geo.cell(*JAKARTA, 7)
    assert (row["pub_lat"], row["pub_lon"]) == (row["lat"], row["lon"]) == JAKARTA

    [event] = await events(runtime)
    assert event["type"] == "post.created" and event["post_id"] == post["id"]
    assert (event["lat"], event["lon"]) == JAKARTA
    assert event["payload"] == {"post": post}


async def test_get_post_for_anyone_and_voted_by_me(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    author, voter = await make_user(), await make_user()
    post = await new_post(client, author)
    r = await client.get(f"/api/posts/{post['id']}")
    assert r.status_code == 200
    assert r.json() == {**post, "voted_by_me": False}
    await client.put(f"/api/posts/{post['id']}/vote", headers=voter.headers)
    r = await client.get(f"/api/posts/{post['id']}", headers=voter.headers)
    assert r.json()["voted_by_me"] is True and r.json()["votes"] == 1
    assert (await client.get("/api/posts/999999")).status_code == 404
    assert (await client.get("/api/posts/abc")).status_code == 404


async def test_author_deletes_own_post(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author = await make_user()
    post = await new_post(client, author)
    r = await client.delete(f"/api/posts/{post['id']}", headers=author.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/posts/{post['id']}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (await client.delete(f"/api/posts/{post['id']}", headers=author.headers)).status_code == 404
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT deleted_at IS NOT NULL FROM posts WHERE id = $1", post["id"])
    created, deleted = await events(runtime)
    assert (created["type"], deleted["type"]) == ("post.created", "post.deleted")
    # Gone for everyone, staff too: ids only (kernel.visibility).
    for who in ("public", "author", "staff"):
        [_, gone] = await events(runtime, who)
        assert gone["payload"] == {"post": {"id": post["id"], "removed": True}}


async def test_someone_elses_post_cannot_be_deleted(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other, moderator = await make_user(), await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    before = await counts(runtime)
    for account in (other, moderator):
        r = await client.delete(f"/api/posts/{post['id']}", headers=account.headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await client.delete(f"/api/posts/{post['id']}")
    assert r.status_code == 401
    assert await counts(runtime) == before
    assert (await client.get(f"/api/posts/{post['id']}")).status_code == 200


async def test_multipart_post_with_photos(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    files = [
        ("photo", ("a.jpg", jpeg(64, 48), "image/jpeg")),
        ("photo", ("b.jpg", jpeg(30, 60), "image/jpeg")),
    ]
    data = {"text": "Sampah menumpuk", "category": "garbage", "lat": "-6.2", "lon": "106.8"}
    r = await client.post("/api/posts", data=data, files=files, headers=user.headers)
    assert r.status_code == 201, r.text
    post = r.json()
    assert (post["lat"], post["lon"]) == (-6.2, 106.8) and post["category"] == "garbage"
    assert [(p["width"], p["height"]) for p in post["photos"]] == [(64, 48), (30, 60)]
    for photo in post["photos"]:
        assert photo["blurhash"]
        for url in (photo["thumb_url"], photo["display_url"]):
            got = await client.get(url)
            assert got.status_code == 200
            assert got.headers["content-type"].startswith("image/")
            assert got.headers["x-content-type-options"] == "nosniff"
            assert Image.open(io.BytesIO(got.content)).size[0] > 0
    [event] = await events(runtime)
    assert event["payload"]["post"]["photos"] == post["photos"]
    assert (await counts(runtime))["photos"] == 2


async def test_multipart_without_photos_is_a_plain_post(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    data = {"text": "Lampu jalan mati", "category": "street_light", "lat": "-6.21", "lon": "106.81"}
    # (None, value) parts are plain fields: this forces multipart/form-data without any file.
    parts = {k: (None, v) for k, v in data.items()}
    r = await client.post("/api/posts", files=parts, headers=user.headers)
    assert r.status_code == 201, r.text
    assert r.json()["photos"] == []


async def test_missing_media_is_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    for key in ("ab/cd/nothing.jpg", "../etc/passwd", "a//b"):
        r = await client.get(f"/media/{key}")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
