"""The nearby feed: exact radius, newest first, filters, cursor paging (also under concurrent inserts)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from feed.posts import nearby
from feed.posts.nearby import FeedQuery
from kernel import geo
from tests.conftest import MakeUser
from tests.posts.test_posts import JAKARTA, new_post, offset
from warga.runtime import Runtime

BEARINGS = (0, 45, 90, 135, 180, 225, 270, 315)


async def feed(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    query = {"lat": JAKARTA[0], "lon": JAKARTA[1], **params}
    r = await client.get("/api/feed", params=query, headers=headers or {})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def page_through(client: httpx.AsyncClient, **params: Any) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        body = await feed(client, **params, **({"before": cursor} if cursor else {}))
        ids += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("radius", [1000, 5000])  # res 9 cells and res 7 cells
async def test_radius_edge_is_exact(client: httpx.AsyncClient, make_user: MakeUser, radius: int) -> None:
    user = await make_user()
    inside, outside = set(), set()
    for bearing in BEARINGS:
        inside.add((await new_post(client, user, offset(*JAKARTA, radius - 1, bearing)))["id"])
        outside.add((await new_post(client, user, offset(*JAKARTA, radius + 1, bearing)))["id"])
    body = await feed(client, radius_m=radius, limit=100)
    assert {item["id"] for item in body["items"]} == inside
    for item in body["items"]:
        assert item["distance_m"] == pytest.approx(radius - 1, abs=0.1)
        assert geo.distance_m(*JAKARTA, item["lat"], item["lon"]) <= radius
    assert body["next"] is None


async def test_newest_first_with_counts_and_voted_by_me(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    author, voter = await make_user(), await make_user()
    ids = [(await new_post(client, author, offset(*JAKARTA, 100 * i, 30 * i)))["id"] for i in range(5)]
    await client.put(f"/api/posts/{ids[1]}/vote", headers=voter.headers)
    await client.post(f"/api/posts/{ids[2]}/comments", json={"text": "Iya, parah"}, headers=voter.headers)
    body = await feed(client, headers=voter.headers)
    assert [item["id"] for item in body["items"]] == ids[::-1]
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[ids[1]]["votes"] == 1 and by_id[ids[1]]["voted_by_me"] is True
    assert by_id[ids[0]]["voted_by_me"] is False
    assert by_id[ids[2]]["comments"] == 1
    anonymous = await feed(client)
    assert all(item["voted_by_me"] is False for item in anonymous["items"])


async def test_default_radius_is_2000(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    near = await new_post(client, user, offset(*JAKARTA, 1990, 10))
    await new_post(client, user, offset(*JAKARTA, 2010, 10))
    assert [item["id"] for item in (await feed(client))["items"]] == [near["id"]]


async def test_category_and_status_filters(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    flood = await new_post(client, user, category="flood")
    fire = await new_post(client, user, category="fire")
    assert [i["id"] for i in (await feed(client, category="fire"))["items"]] == [fire["id"]]
    assert [i["id"] for i in (await feed(client, category="flood"))["items"]] == [flood["id"]]
    assert [i["id"] for i in (await feed(client, status="open"))["items"]] == [fire["id"], flood["id"]]
    assert (await feed(client, status="resolved"))["items"] == []


async def test_deleted_posts_leave_the_feed(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    kept, gone = await new_post(client, user), await new_post(client, user)
    await client.delete(f"/api/posts/{gone['id']}", headers=user.headers)
    assert [i["id"] for i in (await feed(client))["items"]] == [kept["id"]]


async def test_cursor_pages_cover_everything_once(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    ids = [(await new_post(client, user, offset(*JAKARTA, 37 * i, 17 * i)))["id"] for i in range(23)]
    assert await page_through(client, limit=5) == ids[::-1]
    assert await page_through(client, limit=23) == ids[::-1]


async def test_paging_under_concurrent_inserts(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    existing = [(await new_post(client, user, offset(*JAKARTA, 29 * i, 11 * i)))["id"] for i in range(30)]
    stop, landed = asyncio.Event(), asyncio.Event()
    inserted: list[int] = []

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            inserted.append((await new_post(client, user, offset(*JAKARTA, 50 + i, 7 * i)))["id"])
            landed.set()
            i += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        seen: list[int] = []
        cursor = None
        while True:
            # Let the writer land at least one post between pages.
            landed.clear()
            await landed.wait()
            body = await feed(client, limit=4, **({"before": cursor} if cursor else {}))
            seen += [item["id"] for item in body["items"]]
            cursor = body["next"]
            if cursor is None:
                break
    finally:
        stop.set()
        await task
    assert len(inserted) >= 8
    assert len(seen) == len(set(seen))  # no duplicates
    assert set(existing) <= set(seen)  # nothing that existed at the start was skipped
    # Anything else came in before the first page was read: newer than every existing post.
    assert all(i in inserted and i > max(existing) for i in set(seen) - set(existing))
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("window", [1, 3, 7])
async def test_adaptive_window_equals_plain_query(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    window: int,
) -> None:
    user = await make_user()
    # Nearby posts interleaved with far-away ones, so small windows come back short and must widen.
    for i in range(24):
        where = offset(*JAKARTA, 40 * i, 13 * i) if i % 3 == 0 else offset(*JAKARTA, 20_000, 13 * i)
        await new_post(client, user, where)
    monkeypatch.setattr(nearby, "WINDOW", window)
    async with runtime.pool.acquire() as conn:
        for limit in (1, 2, 5, 100):
            q = FeedQuery(lat=JAKARTA[0], lon=JAKARTA[1], radius_m=1000, limit=limit)
            plain = await nearby.find(conn, q, staff=False, adaptive=False)
            adaptive = await nearby.find(conn, q, staff=False, adaptive=True)
            assert [r["id"] for r in adaptive] == [r["id"] for r in plain]
            assert len(plain) == min(limit + 1, 8)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "91", "lon": "106"}, "lat"),
        ({"lat": "-6", "lon": "181"}, "lon"),
        ({"lat": "NaN", "lon": "106"}, "lat"),
        ({"lat": "abc", "lon": "106"}, "lat"),
        ({"lon": "106"}, "lat"),
        ({"lat": "-6", "lon": "106", "radius_m": "10001"}, "radius_m"),
        ({"lat": "-6", "lon": "106", "radius_m": "0"}, "radius_m"),
        ({"lat": "-6", "lon": "106", "limit": "101"}, "limit"),
        ({"lat": "-6", "lon": "106", "limit": "x"}, "limit"),
        ({"lat": "-6", "lon": "106", "category": "aliens"}, "category"),
        ({"lat": "-6", "lon": "106", "status": "DROP TABLE"}, "status"),
        ({"lat": "-6", "lon": "106", "before": "not-a-cursor"}, "before"),
        ({"lat": "-6", "lon": "106", "sort": "votes"}, "sort"),
    ],
)
async def test_bad_feed_parameters(client: httpx.AsyncClient, params: dict[str, str], field: str) -> None:
    r = await client.get("/api/feed", params=params)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"] and error["message"]


async def test_poles_and_antimeridian_work(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    points = [(90, 0), (-90, 180), (0, -180), (0, 180), (89.999, 179.999), (-89.9, -179.9), (45, 179.5)]
    for at in points:
        await new_post(client, user, at)
    for lat, lon in points:
        for radius in (1, 1000, 10_000):
            body = await feed(client, lat=lat, lon=lon, radius_m=radius, limit=100)
            # Every post at exactly this point is found, whatever the cover near the pole or date line.
            assert any((i["lat"], i["lon"]) == (lat, lon) for i in body["items"]), (lat, lon, radius)
            assert all(i["distance_m"] <= radius for i in body["items"])


@pytest.mark.parametrize("estimate", [0, 3, 10**12])
async def test_any_newest_id_estimate_gives_the_same_pages(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    estimate: int,
) -> None:
    user = await make_user()
    ids = [(await new_post(client, user, offset(*JAKARTA, 31 * i, 23 * i)))["id"] for i in range(9)]
    # A stale (too low) or wrong (too high) estimate of the newest id only costs extra windows.
    monkeypatch.setattr(nearby, "WINDOW", 2)
    monkeypatch.setattr(nearby.NewestId, "REFRESH_S", 10**9)
    monkeypatch.setattr(nearby.newest_id, "_seen", {id(runtime.pool): (time.monotonic(), estimate)})
    assert await page_through(client, limit=4) == ids[::-1]
