"""The notify domain's HTTP side: the VAPID key in /api/config, push subscriptions (idempotent per endpoint,
signed-in only, keys checked), and follows (only of what one may see; a reporter follows their own report)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import MakeUser
from tests.notify.conftest import vapid_public_key
from tests.push_service import BrowserClient, PushService, unb64url
from warga.runtime import Runtime

MONAS = (-6.1754, 106.8272)


async def new_post(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    body = {"text": "banjir di sini", "category": "flood", "lat": MONAS[0], "lon": MONAS[1]}
    r = await client.post("/api/posts", json=body, headers=headers)
    assert r.status_code == 201, r.text
    post: dict[str, Any] = r.json()
    return post


async def test_config_gives_one_uncompressed_p256_vapid_key(client: httpx.AsyncClient) -> None:
    key = await vapid_public_key(client)
    raw = unb64url(key)
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key
    assert await vapid_public_key(client) == key  # made once, kept


async def test_subscribe_is_idempotent_per_endpoint_and_unsubscribe(
    client: httpx.AsyncClient, make_user: MakeUser, push_service: PushService, allow_private: Any
) -> None:
    alice = await make_user()
    browser = BrowserClient(push_service)
    url = "/api/push/subscriptions"
    r = await client.post(url, json=browser.subscription, headers=alice.headers)
    assert r.status_code == 201 and r.json() == {"endpoint": browser.endpoint, "created": True}
    r = await client.post(url, json=browser.subscription, headers=alice.headers)
    assert r.status_code == 200 and r.json()["created"] is False  # a repeat answers 200
    assert (await client.post(url, json=browser.subscription)).status_code == 401
    body = {"endpoint": browser.endpoint}
    assert (await client.request("DELETE", url, json=body, headers=alice.headers)).status_code == 204
    r = await client.request("DELETE", url, json=body, headers=alice.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_bad_subscriptions_are_422_naming_the_field(
    client: httpx.AsyncClient, make_user: MakeUser, push_service: PushService, allow_private: Any
) -> None:
    alice = await make_user()
    good = BrowserClient(push_service).subscription
    cases = [
        ({**good, "keys": {**good["keys"], "p256dh": "AAAA"}}, "keys.p256dh"),
        ({**good, "keys": {**good["keys"], "auth": "AAAA"}}, "keys.auth"),
        ({**good, "keys": {"auth": good["keys"]["auth"]}}, "keys.p256dh"),
        ({**good, "endpoint": "not a url"}, "endpoint"),
        ({"keys": good["keys"]}, "endpoint"),
    ]
    for body, field in cases:
        r = await client.post("/api/push/subscriptions", json=body, headers=alice.headers)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["fields"], (field, r.text)


async def test_follow_unfollow_and_list(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    reporter, fan = await make_user(), await make_user()
    post = await new_post(client, reporter.headers)
    url = f"/api/posts/{post['id']}/follow"
    # The reporter follows their own report from the start, in the creating transaction.
    r = await client.get("/api/me/follows", headers=reporter.headers)
    assert [f["post_id"] for f in r.json()["items"]] == [post["id"]]
    for _ in range(2):  # idempotent
        r = await client.put(url, headers=fan.headers)
        assert r.status_code == 200 and r.json() == {"post_id": post["id"], "following": True}
    r = await client.get("/api/me/follows", headers=fan.headers)
    assert r.status_code == 200 and [f["post_id"] for f in r.json()["items"]] == [post["id"]]
    assert r.json()["items"][0]["followed_at"].endswith("Z") and r.json()["next"] is None
    r = await client.delete(url, headers=fan.headers)
    assert r.status_code == 200 and r.json()["following"] is False
    assert (await client.get("/api/me/follows", headers=fan.headers)).json()["items"] == []
    assert (await client.put(url)).status_code == 401
    assert (await client.put("/api/posts/999999999/follow", headers=fan.headers)).status_code == 404
    assert (await client.get("/api/me/follows?limit=0", headers=fan.headers)).status_code == 422


async def test_only_a_visible_post_can_be_followed(
    runtime: Runtime, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    reporter, fan, moderator = await make_user(), await make_user(), await make_user("moderator")
    post = await new_post(client, reporter.headers)
    r = await client.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam"}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    r = await client.put(f"/api/posts/{post['id']}/follow", headers=fan.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_an_account_has_at_most_20_subscriptions(
    client: httpx.AsyncClient, make_user: MakeUser, push_service: PushService, allow_private: Any
) -> None:
    """Each subscription is one POST per notification: a cap keeps one account from aiming thousands of
    requests per event at a host of its choosing."""
    alice = await make_user()
    browsers = [BrowserClient(push_service) for _ in range(21)]
    for browser in browsers[:20]:
        r = await client.post("/api/push/subscriptions", json=browser.subscription, headers=alice.headers)
        assert r.status_code == 201, r.text
    r = await client.post("/api/push/subscriptions", json=browsers[20].subscription, headers=alice.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_many_subscriptions"
    # A browser already registered may still renew its keys.
    r = await client.post("/api/push/subscriptions", json=browsers[0].subscription, headers=alice.headers)
    assert r.status_code == 200
