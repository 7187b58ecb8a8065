"""Idempotency-Key on creating posts and comments: a retry returns the original answer, a different body
with the same key is a 422, racing retries create one post, keys are per user and expire."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import MakeUser
from tests.photo_samples import phone_jpeg
from tests.trust_helpers import post, settings
from warga.runtime import Runtime


async def count(runtime: Runtime, table: str) -> int:
    async with runtime.pool.acquire() as conn:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


async def test_retry_returns_the_original_answer(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    first = await post(client, who, headers={"Idempotency-Key": "k-1"})
    again = await post(client, who, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await count(runtime, "posts") == 1
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE type = 'post.created'") == 1
    other = await post(client, who, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # Keys are per user: someone else's k-1 is a new post.
    someone = await post(client, await make_user(), headers={"Idempotency-Key": "k-1"})
    assert someone.status_code == 201 and someone.json()["id"] not in (first.json()["id"], other.json()["id"])
    assert await count(runtime, "posts") == 3


async def test_same_key_different_body_is_422(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    assert (await post(client, who, headers={"Idempotency-Key": "same"})).status_code == 201
    r = await post(client, who, text="something else", headers={"Idempotency-Key": "same"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert await count(runtime, "posts") == 1
    bad = await post(client, who, headers={"Idempotency-Key": "x" * 201})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["error"]["fields"]


async def test_a_failed_request_does_not_burn_the_key(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    who = await make_user()
    r = await client.post(
        "/api/posts",
        json={"text": "x", "category": "nope", "lat": 0, "lon": 0},
        headers={**who.headers, "Idempotency-Key": "retry-me"},
    )
    assert r.status_code == 422
    assert (await post(client, who, headers={"Idempotency-Key": "retry-me"})).status_code == 201


async def test_three_racing_retries_create_one_post(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    for round_ in range(5):
        key = {"Idempotency-Key": f"race-{round_}"}
        answers = await asyncio.gather(
            *(post(client, who, text=f"race {round_}", headers=key) for _ in range(3))
        )
        assert [a.status_code for a in answers] == [201, 201, 201]
        assert len({a.json()["id"] for a in answers}) == 1
        assert answers[0].json() == answers[1].json() == answers[2].json()
    assert await count(runtime, "posts") == 5


async def test_racing_photo_retries_create_one_post(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    photo = phone_jpeg()
    fields = {"text": "pohon tumbang", "category": "tree", "lat": "-6.2", "lon": "106.8"}

    async def send() -> httpx.Response:
        return await client.post(
            "/api/posts",
            data=fields,
            files={"photo": ("a.jpg", photo, "image/jpeg")},
            headers={**who.headers, "Idempotency-Key": "photo-1"},
        )

    answers = await asyncio.gather(send(), send(), send())
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count(runtime, "posts") == 1 and await count(runtime, "photos") == 1


async def test_comment_retries_and_races(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who = await make_user()
    p = (await post(client, who)).json()
    url = f"/api/posts/{p['id']}/comments"
    headers = {**who.headers, "Idempotency-Key": "c-1"}
    answers = await asyncio.gather(
        *(client.post(url, json={"text": "ikut"}, headers=headers) for _ in range(3))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    r = await client.post(url, json={"text": "lain"}, headers=headers)
    assert r.status_code == 422
    # The same key on another post's comments is a different request too.
    q = (await post(client, who, text="second")).json()
    r = await client.post(f"/api/posts/{q['id']}/comments", json={"text": "ikut"}, headers=headers)
    assert r.status_code == 422
    assert await count(runtime, "comments") == 1
    assert (await client.get(f"/api/posts/{p['id']}")).json()["comments"] == 1


async def test_keys_expire(client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser) -> None:
    who = await make_user()
    first = await post(client, who, headers={"Idempotency-Key": "old"})
    async with runtime.pool.acquire() as conn:
        await conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    again = await post(client, who, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    async with settings(runtime, idempotency_ttl_s=0.0):
        third = await post(client, who, headers={"Idempotency-Key": "old"})
    assert third.json()["id"] not in (first.json()["id"], again.json()["id"])
