"""Comments: add, page newest first, delete one's own; counts and outbox rows follow."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account, MakeUser
from tests.posts.test_posts import counts, events, new_post
from warga.runtime import Runtime


async def comment(
    client: httpx.AsyncClient, user: Account, post_id: int, text: str = "Betul"
) -> dict[str, Any]:
    r = await client.post(f"/api/posts/{post_id}/comments", json={"text": text}, headers=user.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_comment_bumps_count_and_emits(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other = await make_user(), await make_user()
    post = await new_post(client, author)
    c = await comment(client, other, post["id"], "  Airnya sudah surut  ")
    assert c["text"] == "Airnya sudah surut" and c["post_id"] == post["id"]
    assert c["author"] == {"id": other.id, "handle": other.handle} and c["hidden"] is False
    assert (await client.get(f"/api/posts/{post['id']}")).json()["comments"] == 1
    created = (await events(runtime))[-1]
    assert created["type"] == "comment.created" and created["post_id"] == post["id"]
    assert created["payload"]["comment"] == c
    assert created["payload"]["post"]["comments"] == 1


async def test_comments_page_newest_first(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    post = await new_post(client, user)
    ids = [(await comment(client, user, post["id"], f"komentar {i}"))["id"] for i in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"before": cursor} if cursor else {})}
        r = await client.get(f"/api/posts/{post['id']}/comments", params=params)
        assert r.status_code == 200
        seen += [c["id"] for c in r.json()["items"]]
        cursor = r.json()["next"]
        if cursor is None:
            break
    assert seen == ids[::-1]


async def test_author_deletes_own_comment(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other = await make_user(), await make_user()
    post = await new_post(client, author)
    mine = await comment(client, author, post["id"])
    theirs = await comment(client, other, post["id"])
    before = await counts(runtime)
    r = await client.delete(f"/api/comments/{theirs['id']}", headers=author.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await client.delete(f"/api/comments/{mine['id']}")).status_code == 401
    assert await counts(runtime) == before

    assert (await client.delete(f"/api/comments/{mine['id']}", headers=author.headers)).status_code == 204
    assert (await client.delete(f"/api/comments/{mine['id']}", headers=author.headers)).status_code == 404
    listed = (await client.get(f"/api/posts/{post['id']}/comments")).json()["items"]
    assert [c["id"] for c in listed] == [theirs["id"]]
    assert (await client.get(f"/api/posts/{post['id']}")).json()["comments"] == 1
    last = (await events(runtime))[-1]
    assert last["type"] == "post.updated" and last["payload"]["post"]["comments"] == 1
    assert last["payload"]["deleted_comment_id"] == mine["id"]


async def test_no_comments_on_missing_or_deleted_posts(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    user = await make_user()
    post = await new_post(client, user)
    await client.delete(f"/api/posts/{post['id']}", headers=user.headers)
    before = await counts(runtime)
    for post_id in (post["id"], 424242):
        r = await client.post(f"/api/posts/{post_id}/comments", json={"text": "hai"}, headers=user.headers)
        assert r.status_code == 404
        assert (await client.get(f"/api/posts/{post_id}/comments")).status_code == 404
    assert await counts(runtime) == before
