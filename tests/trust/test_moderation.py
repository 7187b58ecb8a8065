"""Moderation: hide/unhide posts and comments, visibility per role everywhere, log, events, permissions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeUser
from tests.posts.test_comments import comment
from tests.posts.test_posts import JAKARTA, counts, events, new_post
from warga.runtime import Runtime


async def seen_by(client: httpx.AsyncClient, account: Account | None, post_id: int) -> dict[str, Any]:
    """What one caller sees of a post: GET, feed membership (and flag), comments listing status."""
    headers = account.headers if account else {}
    got = await client.get(f"/api/posts/{post_id}", headers=headers)
    feed = await client.get("/api/feed", params={"lat": JAKARTA[0], "lon": JAKARTA[1]}, headers=headers)
    in_feed = [i for i in feed.json()["items"] if i["id"] == post_id]
    comments = await client.get(f"/api/posts/{post_id}/comments", headers=headers)
    return {
        "get": got.status_code,
        "hidden": got.json().get("hidden") if got.status_code == 200 else None,
        "feed": [i["hidden"] for i in in_feed],
        "comments": comments.status_code,
    }


async def test_hidden_post_visibility_per_role(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other, moderator, admin = (
        await make_user(),
        await make_user(),
        await make_user("moderator"),
        await make_user("admin"),
    )
    post = await new_post(client, author)
    await comment(client, other, post["id"])
    visible: dict[str, Any] = {"get": 200, "hidden": False, "feed": [False], "comments": 200}
    gone: dict[str, Any] = {"get": 404, "hidden": None, "feed": [], "comments": 404}
    shown_hidden: dict[str, Any] = {"get": 200, "hidden": True, "feed": [True], "comments": 200}
    for who in (None, author, other, moderator):
        assert await seen_by(client, who, post["id"]) == visible

    r = await client.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam"}, headers=moderator.headers)
    assert r.status_code == 200 and r.json()["hidden"] is True
    for who in (None, author, other):
        assert await seen_by(client, who, post["id"]) == gone
    for who in (moderator, admin):
        assert await seen_by(client, who, post["id"]) == shown_hidden

    r = await client.post(f"/api/posts/{post['id']}/unhide", headers=admin.headers)
    assert r.status_code == 200 and r.json()["hidden"] is False
    for who in (None, author, other, moderator):
        assert await seen_by(client, who, post["id"]) == visible

    hidden_event, unhidden_event = [e for e in await events(runtime) if e["type"].startswith("post.")][1:]
    assert hidden_event["type"] == "post.hidden" and hidden_event["payload"]["reason"] == "spam"
    assert hidden_event["payload"]["post"]["hidden"] is True
    # Everyone else who saw it is told it is gone, and no more: not its text, nor the moderator's reason.
    public_hidden = [e for e in await events(runtime, "public") if e["type"] == "post.hidden"]
    assert [e["payload"] for e in public_hidden] == [{"post": {"id": post["id"], "removed": True}}]
    assert unhidden_event["type"] == "post.unhidden" and unhidden_event["payload"]["post"]["hidden"] is False
    log = (await client.get("/api/moderation/log", headers=moderator.headers)).json()["items"]
    assert [(e["action"], e["target_type"], e["target_id"], e["reason"]) for e in log] == [
        ("unhide", "post", post["id"], None),
        ("hide", "post", post["id"], "spam"),
    ]
    assert log[1]["actor"] == {"id": moderator.id, "handle": moderator.handle}


async def test_hiding_twice_is_a_no_op(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, moderator = await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    url = f"/api/posts/{post['id']}"
    await client.post(f"{url}/hide", json={"reason": "spam"}, headers=moderator.headers)
    before = await counts(runtime)
    r = await client.post(f"{url}/hide", json={"reason": "again"}, headers=moderator.headers)
    assert r.status_code == 200 and r.json()["hidden"] is True
    await client.post(f"{url}/unhide", headers=moderator.headers)
    after_unhide = await counts(runtime)
    assert after_unhide["events"] == before["events"] + 1
    assert (await client.post(f"{url}/unhide", headers=moderator.headers)).status_code == 200
    assert await counts(runtime) == after_unhide


async def test_hidden_comments_leave_lists_and_counts(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other, moderator = await make_user(), await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    kept = await comment(client, author, post["id"], "info penting")
    spam = await comment(client, other, post["id"], "beli obat murah")
    r = await client.post(
        f"/api/comments/{spam['id']}/hide", json={"reason": "iklan"}, headers=moderator.headers
    )
    assert r.status_code == 200 and r.json()["hidden"] is True

    def ids(body: dict[str, Any]) -> list[tuple[int, bool]]:
        return [(c["id"], c["hidden"]) for c in body["items"]]

    url = f"/api/posts/{post['id']}"
    for who in (None, author, other):
        headers = who.headers if who else {}
        assert ids((await client.get(f"{url}/comments", headers=headers)).json()) == [(kept["id"], False)]
        assert (await client.get(url, headers=headers)).json()["comments"] == 1
    staff_view = (await client.get(f"{url}/comments", headers=moderator.headers)).json()
    assert ids(staff_view) == [(spam["id"], True), (kept["id"], False)]
    # Its author cannot delete a hidden comment out from under the log (it is gone for them).
    assert (await client.delete(f"/api/comments/{spam['id']}", headers=other.headers)).status_code == 404

    r = await client.post(f"/api/comments/{spam['id']}/unhide", json={}, headers=moderator.headers)
    assert r.status_code == 200 and r.json()["hidden"] is False
    assert (await client.get(url)).json()["comments"] == 2
    assert [c["id"] for c in (await client.get(f"{url}/comments")).json()["items"]] == [
        spam["id"],
        kept["id"],
    ]

    kinds = [(e["type"], e["payload"]["post"]["comments"]) for e in await events(runtime)]
    assert kinds[-2:] == [("comment.hidden", 1), ("comment.unhidden", 2)]
    hidden_event = next(e for e in await events(runtime) if e["type"] == "comment.hidden")
    assert hidden_event["payload"]["comment"]["id"] == spam["id"]
    assert hidden_event["payload"]["comment"]["hidden"] is True
    [public_hidden] = [e for e in await events(runtime, "public") if e["type"] == "comment.hidden"]
    assert public_hidden["payload"] == {
        "post": {"id": post["id"]},
        "comment": {"id": spam["id"], "removed": True, "post_id": post["id"]},
    }


@pytest.mark.parametrize(
    "path", ["/api/posts/{post}/hide", "/api/posts/{post}/unhide", "/api/comments/{comment}/hide"]
)
async def test_only_staff_may_moderate(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime, path: str
) -> None:
    author, official = await make_user(), await make_user("official")
    post = await new_post(client, author)
    c = await comment(client, author, post["id"])
    url = path.format(post=post["id"], comment=c["id"])
    before = await counts(runtime)
    for who, status, code in (
        (author, 403, "forbidden"),
        (official, 403, "forbidden"),
        (None, 401, "unauthorized"),
    ):
        r = await client.post(url, json={"reason": "x"}, headers=who.headers if who else {})
        assert r.status_code == status and r.json()["error"]["code"] == code
    assert await counts(runtime) == before
    r = await client.get("/api/moderation/log", headers=author.headers)
    assert r.status_code == 403
    assert (await client.get("/api/moderation/log")).status_code == 401


async def test_hide_needs_a_reason_and_a_live_target(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, moderator = await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    before = await counts(runtime)
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "ban": True}):
        r = await client.post(f"/api/posts/{post['id']}/hide", json=body, headers=moderator.headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    r = await client.post(f"/api/posts/{post['id']}/hide", headers=moderator.headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"
    for url in ("/api/posts/31337/hide", "/api/comments/31337/hide"):
        r = await client.post(url, json={"reason": "spam"}, headers=moderator.headers)
        assert r.status_code == 404
    assert await counts(runtime) == before


async def test_moderation_log_pages(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    author, moderator = await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    for i in range(3):
        await client.post(
            f"/api/posts/{post['id']}/hide", json={"reason": f"r{i}"}, headers=moderator.headers
        )
        await client.post(f"/api/posts/{post['id']}/unhide", headers=moderator.headers)
    r = await client.get("/api/moderation/log", params={"limit": 4}, headers=moderator.headers)
    first = r.json()
    assert len(first["items"]) == 4 and first["next"]
    r = await client.get("/api/moderation/log", params={"before": first["next"]}, headers=moderator.headers)
    rest = r.json()
    assert len(rest["items"]) == 2 and rest["next"] is None
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
