"""Location privacy and hidden posts: a fuzzed post's exact position reaches only its author, the officials
of its area and staff, over HTTP and live; a hidden or held post never leaks through any endpoint or event."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from feed.core import privacy
from kernel.geo import distance_m
from tests.conftest import Account, MakeUser
from tests.officials_helpers import IN_L1, make_world
from tests.trust_helpers import authed, near, new_post, subscribe, until_post
from warga.runtime import Runtime


def test_fuzz_is_fixed_per_post_and_never_near_the_truth() -> None:
    key = b"k" * 32
    lat, lon = -6.2, 106.8
    points = [privacy.fuzzed(key, i, lat, lon, 250) for i in range(1, 2001)]
    assert all(125 - 0.01 <= distance_m(lat, lon, *p) <= 250 + 0.01 for p in points)
    assert privacy.fuzzed(key, 7, lat, lon, 250) == points[6]  # deterministic
    assert privacy.fuzzed(b"other" * 8, 7, lat, lon, 250) != points[6]  # keyed
    # Many posts at one place do not average back to it closely enough to matter: the mean of 2000 offsets
    # is not the truth, and one post has exactly one public point however often it is asked for.
    mean = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    assert distance_m(lat, lon, *mean) < 250  # (offsets are spread: the point is each post's single offset)


def numbers(node: Any) -> set[float]:
    """Every number anywhere in a JSON document."""
    if isinstance(node, dict):
        return {n for v in node.values() for n in numbers(v)}
    if isinstance(node, list):
        return {n for v in node for n in numbers(v)}
    return {node} if isinstance(node, int | float) and not isinstance(node, bool) else set()


async def view(client: httpx.AsyncClient, who: Account | None, post_id: int) -> dict[str, Any]:
    r = await client.get(f"/api/posts/{post_id}", headers=who.headers if who else {})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_http_exact_only_for_author_area_officials_and_staff(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    w = await make_world(runtime, make_user)
    author, stranger, mod = w.citizen, await make_user(), await make_user("moderator")
    created = await client.post(
        "/api/posts",
        json={"text": "penjambretan", "category": "crime", "lat": IN_L1[0], "lon": IN_L1[1]},
        headers=author.headers,
    )
    assert created.status_code == 201
    p = created.json()
    assert p["exact"] == {"lat": IN_L1[0], "lon": IN_L1[1]}
    public = (p["lat"], p["lon"])
    assert 125 <= distance_m(*IN_L1, *public) <= 250
    async with runtime.pool.acquire() as conn:
        key = await conn.fetchval("SELECT value FROM server_secrets WHERE name = 'fuzz'")
    assert privacy.fuzzed(key, p["id"], *IN_L1, 250) == public  # the stored key, stable across restarts
    for who in (None, stranger, w.other):
        body = await view(client, who, p["id"])
        assert (body["lat"], body["lon"]) == public and "exact" not in body
    for who in (author, w.lurah, w.camat, mod, w.admin):
        body = await view(client, who, p["id"])
        assert (body["lat"], body["lon"]) == public and body["exact"] == {"lat": IN_L1[0], "lon": IN_L1[1]}
    # Asking again never moves it.
    assert {((await view(client, None, p["id"]))["lat"]) for _ in range(5)} == {public[0]}
    # The feed filters on the public point: around the truth with a small radius it is not there.
    around_truth = await client.get("/api/feed", params={"lat": IN_L1[0], "lon": IN_L1[1], "radius_m": 100})
    assert p["id"] not in [i["id"] for i in around_truth.json()["items"]]
    around_public = await client.get("/api/feed", params={"lat": public[0], "lon": public[1], "radius_m": 50})
    [item] = [i for i in around_public.json()["items"] if i["id"] == p["id"]]
    assert (item["lat"], item["lon"]) == public and "exact" not in item
    # The area's officials see the exact point in their inbox too; another area's official has no such item.
    for who in (w.lurah, w.camat):
        inbox = await client.get("/api/officials/inbox", headers=who.headers)
        [entry] = [i["post"] for i in inbox.json()["items"] if i["post"]["id"] == p["id"]]
        assert (entry["lat"], entry["lon"]) == public and entry["exact"] == {"lat": IN_L1[0], "lon": IN_L1[1]}
    inbox = await client.get("/api/officials/inbox", headers=w.other.headers)
    assert all(i["post"]["id"] != p["id"] for i in inbox.json()["items"])
    for path in (f"/api/posts/{p['id']}/comments", f"/api/posts/{p['id']}/timeline", "/api/admin/unrouted"):
        r = await client.get(path, headers=w.admin.headers if "admin" in path else {})
        assert r.status_code == 200 and not {IN_L1[0], IN_L1[1]} & numbers(r.json()), path
    # A non-sensitive category is exact for everyone.
    flood = await new_post(client, author, at=IN_L1)
    assert (flood["lat"], flood["lon"]) == IN_L1 and "exact" not in flood


@pytest.mark.events
async def test_live_exact_only_for_the_right_audiences(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    w = await make_world(runtime, make_user)
    mod = await make_user("moderator")
    watchers = {
        "anonymous": await authed(runtime, None),
        "stranger": await authed(runtime, await make_user()),
        "other_official": await authed(runtime, w.other),
        "author": await authed(runtime, w.citizen),
        "lurah": await authed(runtime, w.lurah),
        "moderator": await authed(runtime, mod),
    }
    try:
        for name, ws in watchers.items():
            assert (await subscribe(ws, "n", **near(IN_L1, 3000)))["type"] == "subscribed", name
        assert (await subscribe(watchers["lurah"], "a", area=w.area["L1"]))["type"] == "subscribed"
        assert (await subscribe(watchers["moderator"], "m", moderation=True))["type"] == "subscribed"
        r = await client.post(
            "/api/posts",
            json={"text": "penodongan", "category": "crime", "lat": IN_L1[0], "lon": IN_L1[1]},
            headers=w.citizen.headers,
        )
        p = r.json()
        exact = {"lat": IN_L1[0], "lon": IN_L1[1]}
        for name, ws in watchers.items():
            got = await until_post(ws, p["id"])
            expected = name in ("author", "lurah", "moderator")
            for m in got:
                assert m["event"] == "post.created"
                assert (m["post"]["lat"], m["post"]["lon"]) == (p["lat"], p["lon"])
                assert (m.get("exact") == exact) if expected else ("exact" not in m), (name, m)
                assert expected or not {IN_L1[0], IN_L1[1]} & numbers(m), (name, m)
        # The lurah's area subscription and the moderator's moderation one get their own copies.
        for name, sub in (("lurah", "a"), ("moderator", "m")):
            [m] = await until_post(watchers[name], p["id"])
            assert m["sub"] == sub and m["exact"] == exact
        # Replay (since) strips it the same way.
        late = await authed(runtime, None)
        try:
            await late.send({"type": "subscribe", "id": "r", **near(IN_L1, 3000), "since": 0})
            assert (await late.recv())["type"] == "subscribed"
            [m] = await until_post(late, p["id"])
            assert "exact" not in m and not {IN_L1[0], IN_L1[1]} & numbers(m)
        finally:
            await late.close()
    finally:
        for ws in watchers.values():
            await ws.close()


@pytest.mark.events
async def test_hidden_post_never_leaks(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    author, mod, reader = await make_user(), await make_user("moderator"), await make_user()
    p = await new_post(client, author, text="rahasia")
    comment = await client.post(f"/api/posts/{p['id']}/comments", json={"text": "ya"}, headers=reader.headers)
    assert comment.status_code == 201
    ws = await authed(runtime, reader)
    try:
        assert (await subscribe(ws, "n", **near()))["type"] == "subscribed"
        hide = await client.post(
            f"/api/posts/{p['id']}/hide", json={"reason": "doxxing"}, headers=mod.headers
        )
        assert hide.status_code == 200
        # While hidden: nothing works on it for non-staff, and staff changes are not pushed to the public.
        for who in (None, reader, author):
            headers = who.headers if who else {}
            assert (await client.get(f"/api/posts/{p['id']}", headers=headers)).status_code == 404
            assert (await client.get(f"/api/posts/{p['id']}/comments", headers=headers)).status_code == 404
            feed = await client.get(
                "/api/feed", params={"lat": -6.2088, "lon": 106.8456, "radius_m": 1000}, headers=headers
            )
            assert p["id"] not in [i["id"] for i in feed.json()["items"]]
        assert (await client.put(f"/api/posts/{p['id']}/vote", headers=reader.headers)).status_code == 404
        assert (
            await client.post(f"/api/posts/{p['id']}/comments", json={"text": "x"}, headers=reader.headers)
        ).status_code == 404
        assert (
            await client.post(f"/api/posts/{p['id']}/flag", json={"reason": "spam"}, headers=reader.headers)
        ).status_code == 404
        ccid = comment.json()["id"]
        assert (
            await client.post(f"/api/comments/{ccid}/flag", json={"reason": "spam"}, headers=reader.headers)
        ).status_code == 404
        await client.post(
            f"/api/comments/{ccid}/hide", json={"reason": "x"}, headers=mod.headers
        )  # a staff change
        sentinel = await new_post(client, await make_user(), text="sentinel")
        got = await until_post(ws, sentinel["id"])
        assert [(m["event"], m["post"]["id"]) for m in got] == [
            ("post.hidden", p["id"]),
            ("post.created", sentinel["id"]),
        ]
        assert got[0]["post"] == {"id": p["id"], "removed": True}  # ids only: no text, place or reason
        assert set(got[0]) == {"type", "sub", "seq", "event", "post"}
    finally:
        await ws.close()


async def test_no_public_endpoint_carries_a_hidden_post_or_an_exact_point(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """One sweep over everything the public can read (the app's API, Open311 JSON and XML, the open data
    export in GeoJSON and CSV, duplicate suggestions): a hidden post appears nowhere, and a fuzzed post's
    exact position appears nowhere, as a number or as text."""
    w = await make_world(runtime, make_user)
    crime = await new_post(client, w.citizen, at=IN_L1, category="crime", text="jambret di halte")
    secret = await new_post(client, w.citizen, at=IN_L1, category="garbage", text="rahasia-tersembunyi")
    assert (
        await client.post(f"/api/posts/{secret['id']}/hide", json={"reason": "x"}, headers=w.admin.headers)
    ).status_code == 200
    # A neighbour's crime report 40 m from the fuzzed one's PUBLIC point is offered it as a possible
    # duplicate (suggestions measure to public points), with no position in the suggestion.
    nearby = await new_post(
        client, await make_user(), at=(crime["lat"] + 40 / 111_195, crime["lon"]), category="crime"
    )
    stranger = await make_user()
    bodies: list[httpx.Response] = []
    for who in (None, stranger):
        headers = who.headers if who else {}
        for path, params in (
            # (not asked AT the exact point: the feed echoes the centre it was asked about)
            ("/api/feed", {"lat": IN_L1[0] + 0.001, "lon": IN_L1[1] + 0.001, "radius_m": 3000}),
            (f"/api/posts/{crime['id']}", {}),
            (f"/api/posts/{crime['id']}/timeline", {}),
            (f"/api/posts/{crime['id']}/comments", {}),
            ("/open311/v2/requests.json", {}),
            ("/open311/v2/requests.xml", {}),
            (f"/open311/v2/requests/{crime['id']}.json", {}),
            (f"/open311/v2/requests/{crime['id']}.xml", {}),
            ("/api/export", {"format": "geojson"}),
            ("/api/export", {"format": "csv"}),
        ):
            r = await client.get(path, params=params, headers=headers)
            assert r.status_code == 200, (path, r.text)
            bodies.append(r)
    bodies.append(await client.get(f"/api/posts/{nearby['id']}", headers=stranger.headers))
    assert [d["id"] for d in nearby["possible_duplicates"]] == [crime["id"]]
    exact = {str(IN_L1[0]), str(IN_L1[1])}  # as JSON numbers, XML text or CSV fields

    def shows_exact(text: str) -> bool:  # whole numbers only: a fuzzed -5.0154… merely starts like the truth
        return any(re.search(rf"(?<![\d.]){re.escape(x)}(?!\d)", text) for x in exact)

    own = await client.get(f"/api/posts/{crime['id']}", headers=w.citizen.headers)
    assert shows_exact(own.text)  # the matcher finds the truth where it belongs (the author's view)
    for r in bodies:
        assert "rahasia" not in r.text and f'"id":{secret["id"]}' not in r.text.replace(" ", ""), r.url
        assert not shows_exact(r.text), r.url
    assert not shows_exact(str(nearby["possible_duplicates"]))
    for who in (None, stranger):
        headers = who.headers if who else {}
        for path in (f"/api/posts/{secret['id']}", f"/open311/v2/requests/{secret['id']}.json"):
            assert (await client.get(path, headers=headers)).status_code == 404, path
