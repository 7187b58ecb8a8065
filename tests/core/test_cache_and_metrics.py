"""Issue #18 item 9: `/metrics` is not public (WARGA_METRICS_TOKEN), and no cache keeps a response that
depends on who asked (feed/core/cache_headers.py) while the public ones stay cacheable."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from feed.app import routes
from kernel.settings import Secret, Settings
from tests.conftest import PASSWORD, MakeUser
from tests.trust_helpers import settings
from warga.runtime import Runtime

TOKEN = "metrics-scrape-token-0123456789"


def error_code(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    code: str = body["error"]["code"]
    return code


# --- /metrics ------------------------------------------------------------------------------------------


def test_the_metrics_token_is_a_secret_setting() -> None:
    settings = Settings.from_env({"WARGA_METRICS_TOKEN": TOKEN})
    assert settings.metrics_token == TOKEN and TOKEN not in repr(settings)
    assert Settings.from_env({}).metrics_token is None


async def test_metrics_are_a_404_by_default(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user("admin")
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, admin.headers):
        r = await client.get("/metrics", headers=headers)
        assert r.status_code == 404 and error_code(r) == "not_found"
        assert "warga_" not in r.text
    # Exactly like a path that does not exist at all.
    unknown = await client.get("/no-such-path")
    assert unknown.status_code == 404 and unknown.json() == (await client.get("/metrics")).json()


async def test_metrics_need_the_configured_bearer_token(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    admin = await make_user("admin")
    async with settings(runtime, metrics_token=Secret(TOKEN)):
        for headers in (
            {},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": f"Bearer {TOKEN[:-1]}"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": TOKEN},
            admin.headers,  # a user's token, even an admin's, is not the metrics token
        ):
            r = await client.get("/metrics", headers=headers)
            assert r.status_code == 401 and error_code(r) == "unauthorized", headers
            assert r.headers["www-authenticate"] == "Bearer"
            assert "warga_" not in r.text
        r = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "warga_http_requests_total" in r.text
        assert r.headers["cache-control"] == "no-store"
    assert (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 404


# --- Cache-Control ------------------------------------------------------------------------------------


def no_store(r: httpx.Response) -> bool:
    return r.headers.get("cache-control") == "no-store"


async def test_public_responses_stay_cacheable(client: httpx.AsyncClient) -> None:
    for path in ("/api/categories", "/api/config", "/api/feed?lat=-6.2&lon=106.8", "/api/agencies", "/"):
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text)
        assert "no-store" not in r.headers.get("cache-control", ""), path
        assert "authorization" in r.headers["vary"].lower(), path
    # The web app's own header is kept, and Vary gets Authorization added to what it had.
    assert (await client.get("/")).headers["cache-control"] == "no-cache"


async def test_every_response_to_a_signed_in_request_is_no_store(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    r = await client.post(
        "/api/posts",
        json={"text": "Lampu jalan mati", "category": "street_light", "lat": -6.2, "lon": 106.8},
        headers=user.headers,
    )
    assert r.status_code == 201 and no_store(r)
    post_id = r.json()["id"]
    for path in (
        "/api/me",
        "/api/feed?lat=-6.2&lon=106.8",
        "/api/categories",  # public content, but the request carried credentials
        f"/api/posts/{post_id}",
        f"/api/posts/{post_id}/comments",
        f"/api/posts/{post_id}/timeline",
        "/api/posts/999999999",  # errors too
    ):
        r = await client.get(path, headers=user.headers)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert no_store(r), (path, r.headers.get("cache-control"))
    bad = await client.get("/api/me", headers={"Authorization": "Bearer wrg_expired"})
    assert bad.status_code == 401 and no_store(bad)


async def test_sign_in_and_writes_are_no_store_without_an_authorization_header(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    r = await client.post("/api/auth/login", json={"handle": user.handle, "password": PASSWORD})
    assert r.status_code == 200 and "token" in r.json()
    assert no_store(r)
    r = await client.post("/api/auth/register", json={"handle": "baru_saja", "password": PASSWORD})
    assert r.status_code == 201 and no_store(r)
    r = await client.post("/api/auth/login", json={"handle": user.handle, "password": "wrong password!"})
    assert r.status_code == 401 and no_store(r)
    # An Open311 key in the query string is a credential too.
    r = await client.get("/open311/v2/services.json?api_key=k")
    assert r.status_code == 200 and no_store(r)


def _fill(path: str) -> str:
    path = path.replace("{key:path}", "ab/" + "0" * 64 + ".jpg").replace(".{fmt}", ".json")
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_get_route_answers_no_store_to_a_signed_in_caller(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Whatever the route and whatever it answers (200, 4xx), a request with credentials is never stored."""
    user = await make_user()
    checked = 0
    for route in routes():
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        path = _fill(route.path)
        for headers in (user.headers, {"Authorization": "Bearer wrg_nope"}):
            r = await client.get(path, headers=headers)
            assert r.status_code < 500, (path, r.status_code, r.text)
            assert no_store(r), (path, r.status_code, r.headers.get("cache-control"))
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("vary", ["Accept-Encoding", "accept-encoding, Authorization", "*"])
def test_vary_is_extended_once(vary: str) -> None:
    from feed.core.cache_headers import _vary_authorization

    headers = _vary_authorization([(b"content-type", b"x"), (b"vary", vary.encode())])
    values = [v.decode() for k, v in headers if k == b"vary"]
    assert len(values) == 1
    assert "authorization" in values[0].lower() or values[0] == "*"
    assert values[0].lower().count("authorization") <= 1
