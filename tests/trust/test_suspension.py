"""Suspensions: tokens revoked and sockets closed, content optionally hidden (with events), suspended users
refused everywhere they act, one appeal per suspension, moderators decide appeals."""

from __future__ import annotations

import httpx
import pytest

from realtime.protocol import CLOSE_SESSION_ENDED
from tests.conftest import PASSWORD, Account, MakeUser
from tests.trust_helpers import authed, near, new_post, subscribe, until_post
from warga.runtime import Runtime


async def suspend(client: httpx.AsyncClient, by: Account, who: Account, **extra: object) -> httpx.Response:
    body = {"reason": "spam run", "days": 7, **extra}
    return await client.post(f"/api/admin/users/{who.id}/suspend", json=body, headers=by.headers)


@pytest.mark.events
async def test_suspension_revokes_closes_hides_and_refuses(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod, bad, reader = await make_user("moderator"), await make_user(), await make_user()
    mine = await new_post(client, bad, text="spam 1")
    other = await new_post(client, reader, text="real report")
    c = await client.post(f"/api/posts/{other['id']}/comments", json={"text": "spam"}, headers=bad.headers)
    sock = await authed(runtime, bad)
    watcher = await authed(runtime, None)
    try:
        assert (await subscribe(sock, "n", **near()))["type"] == "subscribed"
        assert (await subscribe(watcher, "n", **near()))["type"] == "subscribed"
        r = await suspend(client, mod, bad, hide_content=True)
        assert r.status_code == 200, r.text
        assert r.json()["hidden_posts"] == 1 and r.json()["hidden_comments"] == 1
        assert await sock.closed_code() == CLOSE_SESSION_ENDED
        got = await until_post(watcher, other["id"])
        events = [(m["event"], m["post"]["id"]) for m in got]
        assert events == [("post.hidden", mine["id"]), ("comment.hidden", other["id"])]
    finally:
        await sock.close()
        await watcher.close()
    assert (await client.get("/api/me", headers=bad.headers)).status_code == 401  # token revoked
    assert (await client.get(f"/api/posts/{mine['id']}")).status_code == 404
    assert (await client.get(f"/api/posts/{other['id']}")).json()["comments"] == 0
    assert c.status_code == 201
    login = await client.post("/api/auth/login", json={"handle": bad.handle, "password": PASSWORD})
    assert login.status_code == 403 and login.json()["error"]["code"] == "suspended"
    async with runtime.pool.acquire() as conn:
        actions = await conn.fetch(
            "SELECT action, target_type FROM moderation_log WHERE actor_id = $1", mod.id
        )
    assert sorted((a["action"], a["target_type"]) for a in actions) == [
        ("hide", "comment"),
        ("hide", "post"),
        ("suspend", "user"),
    ]


async def test_suspended_users_cannot_act(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    who, author = await make_user(), await make_user()
    p = await new_post(client, author)
    async with runtime.pool.acquire() as conn:  # suspended with a token still alive (the 403 path)
        await conn.execute(
            "UPDATE users SET suspended_until = now() + interval '1 day' WHERE id = $1", who.id
        )
    h = who.headers
    calls = [
        client.post("/api/posts", json={"text": "x", "category": "flood", "lat": 0, "lon": 0}, headers=h),
        client.put(f"/api/posts/{p['id']}/vote", headers=h),
        client.post(f"/api/posts/{p['id']}/comments", json={"text": "x"}, headers=h),
        client.post(f"/api/posts/{p['id']}/flag", json={"reason": "spam"}, headers=h),
    ]
    for call in calls:
        r = await call
        assert r.status_code == 403 and r.json()["error"]["code"] == "suspended"


async def test_who_may_suspend_whom(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    mod, admin, citizen, other_mod = [
        await make_user(r) for r in ("moderator", "admin", "citizen", "moderator")
    ]
    official = await make_user("official")
    assert (await suspend(client, citizen, official)).status_code == 403
    assert (await suspend(client, official, citizen)).status_code == 403
    assert (await suspend(client, mod, admin)).status_code == 403
    assert (await suspend(client, mod, other_mod)).status_code == 403
    assert (await suspend(client, mod, mod)).status_code == 403
    assert (await suspend(client, admin, other_mod)).status_code == 200
    r = await client.post(
        f"/api/admin/users/{citizen.id}/suspend", json={"reason": "x", "days": 0}, headers=admin.headers
    )
    assert r.status_code == 422 and "days" in r.json()["error"]["fields"]
    r = await client.post(
        "/api/admin/users/99999999/suspend", json={"reason": "x", "days": 1}, headers=admin.headers
    )
    assert r.status_code == 404


async def test_one_appeal_per_suspension_and_lifting(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    mod, who = await make_user("moderator"), await make_user()
    body = {"handle": who.handle, "password": PASSWORD, "text": "I was reporting real floods"}
    r = await client.post("/api/appeals", json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_suspended"
    assert (await suspend(client, mod, who)).status_code == 200
    wrong = await client.post("/api/appeals", json={**body, "password": "nope nope"})
    assert wrong.status_code == 401
    # Signing in tells the account holder why, until when, and that they may appeal.
    signin = await client.post("/api/auth/login", json={"handle": who.handle, "password": PASSWORD})
    assert signin.status_code == 403 and signin.json()["error"]["code"] == "suspended"
    told = signin.json()["error"]["fields"]
    assert told["reason"] == "spam run" and told["appeal"] == "allowed" and told["suspended_until"]
    assert "spam run" in signin.json()["error"]["message"]
    nosy = await client.post("/api/auth/login", json={"handle": who.handle, "password": "nope nope"})
    assert nosy.status_code == 401 and "spam run" not in nosy.text  # the reason only with the password
    r = await client.post("/api/appeals", json=body)
    assert r.status_code == 201 and r.json()["suspension_reason"] == "spam run"
    appeal_id = r.json()["id"]
    again = await client.post("/api/appeals", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_appealed"
    signin = await client.post("/api/auth/login", json={"handle": who.handle, "password": PASSWORD})
    assert signin.json()["error"]["fields"]["appeal"] == "already_appealed"
    assert (await client.get("/api/appeals", headers=who.headers)).status_code == 401  # token revoked
    listed = await client.get("/api/appeals", params={"pending": "true"}, headers=mod.headers)
    assert [a["id"] for a in listed.json()["items"]] == [appeal_id]
    citizen = await make_user()
    assert (await client.get("/api/appeals", headers=citizen.headers)).status_code == 403
    decision = {"decision": "lifted", "reason": "fair point"}
    assert (
        await client.post(f"/api/appeals/{appeal_id}/decision", json=decision, headers=citizen.headers)
    ).status_code == 403
    r = await client.post(f"/api/appeals/{appeal_id}/decision", json=decision, headers=mod.headers)
    assert r.status_code == 200 and r.json()["decision"] == "lifted"
    assert (
        await client.post(f"/api/appeals/{appeal_id}/decision", json=decision, headers=mod.headers)
    ).status_code == 409
    login = await client.post("/api/auth/login", json={"handle": who.handle, "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    r = await client.post(
        "/api/posts",
        json={"text": "back", "category": "flood", "lat": -6.2, "lon": 106.8},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    # A new suspension may be appealed again (once).
    assert (await suspend(client, mod, who)).status_code == 200
    assert (await client.post("/api/appeals", json=body)).status_code == 201


async def test_appeals_are_throttled_per_handle_like_a_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """An appeal checks a password, so it shares the sign-in throttle: no password guessing through it."""
    mod, who = await make_user("moderator"), await make_user()
    assert (await suspend(client, mod, who)).status_code == 200
    body = {"handle": who.handle, "password": "wrong guess!", "text": "please"}
    codes = [(await client.post("/api/appeals", json=body)).status_code for _ in range(5)]
    assert codes == [401] * 5
    # Even the right password waits.
    refused = await client.post("/api/appeals", json={**body, "password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "rate_limited"
    # The same per-handle count as sign-in.
    login = await client.post("/api/auth/login", json={"handle": who.handle, "password": PASSWORD})
    assert login.status_code == 429 and login.headers["retry-after"]
    async with runtime.pool.acquire() as conn:  # as if the backoff had run out
        await conn.execute("UPDATE sign_in_failures SET blocked_until = now() - interval '1 second'")
    # Once the backoff is over, the suspended account holder can still appeal with the right password.
    r = await client.post("/api/appeals", json={**body, "password": PASSWORD})
    assert r.status_code == 201, r.text
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sign_in_failures") == 0  # a success resets it
