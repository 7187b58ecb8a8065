"""The Jakarta demo: seeded through the real API, deterministic, backdated in id order, seeded only once."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from kernel.geo import distance_m
from media.demo_photos import demo_photo
from tests.conftest import MakeUser
from warga import demo
from warga.runtime import Runtime

MONAS = {"lat": -6.1754, "lon": 106.8272}


async def test_seed_makes_posts_photos_votes_comments_through_the_api(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    summary = await demo.seed(runtime, posts=30, progress=False)
    assert len(summary.posts) == 30 and summary.photos > 0 and summary.votes > 0 and summary.comments > 0
    assert summary.areas == 153  # the shipped Jakarta areas come with the demo

    async with runtime.pool.acquire() as conn:
        posts = await conn.fetch("SELECT * FROM posts ORDER BY id")
        photos = await conn.fetchval("SELECT count(*) FROM photos")
        votes = await conn.fetchval("SELECT count(*) FROM votes")
        comments = await conn.fetchval("SELECT count(*) FROM comments")
        created_events = await conn.fetchval("SELECT count(*) FROM events WHERE type = 'post.created'")
        roles = dict(await conn.fetch("SELECT handle, role FROM users WHERE role <> 'citizen'"))
        agencies = [r["code"] for r in await conn.fetch("SELECT code FROM agencies ORDER BY code")]
        agency_officials = await conn.fetch(
            """SELECT u.handle, a.code FROM official_agencies o
               JOIN users u ON u.id = o.user_id JOIN agencies a ON a.id = o.agency_id"""
        )
    assert [p["id"] for p in posts] == summary.posts
    assert (photos, votes, comments) == (summary.photos, summary.votes, summary.comments)
    assert created_events == 30  # every post went through the outbox like a user's would
    # Counters kept by the API agree with the rows.
    assert sum(p["vote_count"] for p in posts) == votes
    assert sum(p["comment_count"] for p in posts) == comments
    assert sum(p["hidden_at"] is not None for p in posts) == summary.hidden
    lurahs = {handle for handle, _name in summary.lurahs}
    assert roles == {"moderator": "moderator", "admin": "admin", "petugas.dsda": "official"} | {
        h: "official" for h in lurahs
    }
    assert agencies == sorted(code for code, _name, _categories in demo.AGENCIES)
    assert [tuple(r) for r in agency_officials] == [("petugas.dsda", "DSDA")]

    # Texts are the planned ones, in order, and every post sits near a real place.
    planned = demo.plan(30, len(demo.CITIZENS))
    assert [p["text"] for p in posts] == [item.text for item in planned]
    for p in posts:
        nearest = min(distance_m(p["lat"], p["lon"], place.lat, place.lon) for place in demo.PLACES)
        assert nearest <= 401

    # Backdated over the last two weeks, never older for a newer id.
    times = [p["created_at"] for p in posts]
    assert times == sorted(times)
    now = runtime.clock()
    assert now - timedelta(days=demo.DAYS, minutes=10) <= times[0] and times[-1] < now
    assert times[-1] - times[0] > timedelta(days=3)

    # The feed around Monas shows them, and their photos are served.
    r = await client.get("/api/feed", params={**MONAS, "radius_m": 10000, "limit": 100})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items, "the demo must fill the feed around Monas"
    assert all(item["distance_m"] <= 10000 and not item["hidden"] for item in items)
    with_photo = next(item for item in items if item["photos"])
    photo = await client.get(with_photo["photos"][0]["display_url"])
    assert photo.status_code == 200
    assert Image.open(io.BytesIO(photo.content)).format == "JPEG"

    # The printed demo credentials work.
    for handle, password, role in [*demo.STAFF, (demo.CITIZENS[0], demo.CITIZEN_PASSWORD, "citizen")]:
        r = await client.post("/api/auth/login", json={"handle": handle, "password": password})
        assert r.status_code == 200 and r.json()["user"]["role"] == role


async def test_seed_if_empty_is_a_no_op_and_seeding_again_reuses_the_accounts(runtime: Runtime) -> None:
    first = await demo.seed(runtime, posts=3, progress=False)
    assert await demo.seed_if_empty(runtime) is False
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 3
    again = await demo.seed(runtime, posts=2, progress=False)
    assert again.areas == 0  # imported once only
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM areas") == 153
        users = await conn.fetchval("SELECT count(*) FROM users")
        times = [r["created_at"] for r in await conn.fetch("SELECT created_at FROM posts ORDER BY id")]
    lurahs = {handle for handle, _name in first.lurahs + again.lurahs}
    assert users == len(demo.CITIZENS) + len(demo.STAFF) + len(lurahs)
    assert len(times) == 5 and times == sorted(times)


async def test_the_demo_has_a_lurah_for_each_kelurahan_with_reports_gambir_among_them(
    runtime: Runtime, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = await demo.seed(runtime, posts=30, progress=False)
    async with runtime.pool.acquire() as conn:
        appointed = {
            r["handle"]: (r["name"], r["level"], r["role"])
            for r in await conn.fetch(
                """SELECT u.handle, u.role, a.name, a.level FROM official_areas o
                   JOIN users u ON u.id = o.user_id JOIN areas a ON a.id = o.area_id"""
            )
        }
        reported = {
            r["name"]
            for r in await conn.fetch(
                """SELECT DISTINCT a.name FROM posts p JOIN areas a ON a.id = p.area_id
                   WHERE a.level = 'kelurahan'"""
            )
        }
    assert appointed["lurah.gambir"] == ("Gambir", "kelurahan", "official")
    # One per kelurahan reported in, and Monas's, where the page opens.
    assert {name for name, _level, _role in appointed.values()} == reported | {"Gambir"}
    assert summary.lurahs[0] == ("lurah.gambir", "Gambir") and len(summary.lurahs) == len(appointed)
    # The printed password signs lurah.gambir in, and its inbox holds Gambir's reports.
    assert "lurah.gambir (Gambir)" in capsys.readouterr().out
    login = {"handle": "lurah.gambir", "password": demo.LURAH_PASSWORD}
    r = await client.post("/api/auth/login", json=login)
    assert r.status_code == 200 and r.json()["user"]["role"] == "official"
    inbox = await client.get("/api/officials/inbox", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert inbox.status_code == 200
    assert [a["name"] for a in inbox.json()["areas"]] == ["Gambir"]
    assert bool(inbox.json()["items"]) == ("Gambir" in reported)


async def test_backdating_never_puts_a_newer_id_before_an_older_post(
    runtime: Runtime, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    from db import demo as demo_db

    user = await make_user()
    ids = []
    for i in range(3):
        body = {"text": f"laporan {i}", "category": "flood", **MONAS}
        r = await client.post("/api/posts", json=body, headers=user.headers)
        assert r.status_code == 201
        ids.append(r.json()["id"])
    # Backdate the first and last only, as if the middle one was someone posting during the seed.
    now = runtime.clock()
    async with runtime.pool.acquire() as conn:
        await demo_db.backdate_posts(
            conn, [ids[0], ids[2]], [now - timedelta(days=5), now - timedelta(days=4)], 60
        )
        rows = await conn.fetch("SELECT id, created_at FROM posts ORDER BY id")
    times = [r["created_at"] for r in rows]
    assert times[0] < now - timedelta(days=4)
    assert times == sorted(times)  # the last one could not move before the un-backdated middle one


def test_plan_and_photos_are_deterministic() -> None:
    assert demo.plan(50, 24) == demo.plan(50, 24)
    assert demo.plan(50, 24, seed=1) != demo.plan(50, 24)
    assert demo_photo("flood", 7) == demo_photo("flood", 7)
    assert demo_photo("flood", 7) != demo_photo("flood", 8)
    plan = demo.plan(300, 24)
    with_photos = sum(bool(item.photo_seeds) for item in plan)
    assert 100 <= with_photos <= 200  # about half
    assert len({item.category for item in plan}) == len(demo.CATEGORY_WEIGHTS)


def test_every_category_has_a_scene_that_is_a_jpeg() -> None:
    for category in demo.CATEGORY_WEIGHTS:
        image = Image.open(io.BytesIO(demo_photo(category, 1)))
        assert image.format == "JPEG" and image.size == (960, 720)
