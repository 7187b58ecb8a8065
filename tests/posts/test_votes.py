"""Votes: idempotent PUT/DELETE, exact under 50 concurrent voters, events only when something changed."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import MakeUser
from tests.posts.test_posts import counts, events, new_post
from warga.runtime import Runtime


async def test_vote_and_unvote_are_idempotent(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, voter = await make_user(), await make_user()
    post = await new_post(client, author)
    url = f"/api/posts/{post['id']}/vote"
    for _ in range(2):
        r = await client.put(url, headers=voter.headers)
        assert r.status_code == 200 and r.json() == {"votes": 1, "voted": True}
    for _ in range(2):
        r = await client.delete(url, headers=voter.headers)
        assert r.status_code == 200 and r.json() == {"votes": 0, "voted": False}
    types = [(e["type"], e["payload"]["post"]["votes"]) for e in await events(runtime)]
    # One event per real change; the repeated PUT and DELETE wrote nothing.
    assert types == [("post.created", 0), ("vote.changed", 1), ("vote.changed", 0)]
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM votes") == 0
        assert await conn.fetchval("SELECT vote_count FROM posts") == 0


async def test_fifty_concurrent_voters_count_exactly_fifty(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author = await make_user()
    voters = [await make_user() for _ in range(50)]
    post = await new_post(client, author)
    url = f"/api/posts/{post['id']}/vote"
    # Each voter votes twice at once: 100 concurrent requests, 50 real votes.
    responses = await asyncio.gather(*(client.put(url, headers=v.headers) for v in voters + voters))
    assert all(r.status_code == 200 and r.json()["voted"] is True for r in responses)
    assert max(r.json()["votes"] for r in responses) == 50
    got = await client.get(f"/api/posts/{post['id']}")
    assert got.json()["votes"] == 50
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM votes") == 50
        assert await conn.fetchval("SELECT vote_count FROM posts") == 50
    vote_events = [e for e in await events(runtime) if e["type"] == "vote.changed"]
    assert len(vote_events) == 50
    # Commit order = event order: the counts in the payloads climb 1..50.
    assert [e["payload"]["post"]["votes"] for e in vote_events] == list(range(1, 51))

    half = voters[:25]
    responses = await asyncio.gather(*(client.delete(url, headers=v.headers) for v in half))
    assert all(r.status_code == 200 for r in responses)
    assert (await client.get(f"/api/posts/{post['id']}")).json()["votes"] == 25


async def test_voting_needs_a_visible_post_and_a_user(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, voter, moderator = await make_user(), await make_user(), await make_user("moderator")
    hidden, deleted = await new_post(client, author), await new_post(client, author)
    await client.post(f"/api/posts/{hidden['id']}/hide", json={"reason": "spam"}, headers=moderator.headers)
    await client.delete(f"/api/posts/{deleted['id']}", headers=author.headers)
    before = await counts(runtime)
    for post_id in (hidden["id"], deleted["id"], 987654):
        for method in ("PUT", "DELETE"):
            r = await client.request(method, f"/api/posts/{post_id}/vote", headers=voter.headers)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.put(f"/api/posts/{hidden['id']}/vote")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert await counts(runtime) == before
