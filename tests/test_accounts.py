"""Accounts: register, login, logout, tokens, and the error shape on bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import PASSWORD, MakeUser


async def test_register_login_me_logout(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/register", json={"handle": "budi", "password": "rahasia123"})
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["handle"] == "budi" and body["user"]["role"] == "citizen"
    assert body["token"].startswith("wrg_")

    r = await client.post("/api/auth/login", json={"handle": "BUDI", "password": "rahasia123"})
    assert r.status_code == 200
    token = r.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/me", headers=headers)).json()["user"]["handle"] == "budi"

    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 200
    r = await client.get("/api/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


async def test_handle_is_unique_regardless_of_case(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/api/auth/register", json={"handle": "Sari", "password": "x" * 8})
    ).status_code == 201
    r = await client.post("/api/auth/register", json={"handle": "sari", "password": "x" * 8})
    assert r.status_code == 409
    assert r.json()["error"]["fields"] == {"handle": "taken"}


async def test_password_is_stored_as_argon2id(client: httpx.AsyncClient, runtime) -> None:  # type: ignore[no-untyped-def]
    await client.post("/api/auth/register", json={"handle": "ani", "password": "rahasia123"})
    async with runtime.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE handle = 'ani'")
        token_rows = await conn.fetch("SELECT token_hash FROM tokens")
    assert stored.startswith("$argon2id$")
    assert all(len(r["token_hash"]) == 32 for r in token_rows)  # sha256 digests, never the token


async def test_wrong_password_and_unknown_handle_look_the_same(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    wrong = await client.post("/api/auth/login", json={"handle": user.handle, "password": "nope-nope"})
    unknown = await client.post("/api/auth/login", json={"handle": "ghost", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "bad_json"),
        (b"{not json", 400, "bad_json"),
        (b"[1, 2]", 400, "bad_json"),
        (b'{"handle": "abc", "password": NaN}', 400, "bad_json"),
        (b'{"handle": "abc"}', 422, "invalid"),
        (b'{"handle": "a b", "password": "12345678"}', 422, "invalid"),
        (b'{"handle": "abc", "password": "short"}', 422, "invalid"),
        (b'{"handle": 5, "password": "12345678"}', 422, "invalid"),
        (b'{"handle": "abc", "password": "12345678", "admin": true}', 422, "invalid"),
    ],
)
async def test_register_bad_input(client: httpx.AsyncClient, body: bytes, status: int, code: str) -> None:
    r = await client.post("/api/auth/register", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code and isinstance(error["message"], str) and isinstance(error["fields"], dict)


@pytest.mark.parametrize(
    "header",
    ["Bearer wrg_forged", "Bearer ", "Basic dXNlcjpwYXNz", "wrg_no_scheme"],
)
async def test_forged_or_malformed_token_is_401(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/api/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


async def test_expired_token_is_401(client: httpx.AsyncClient, make_user: MakeUser, runtime) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    async with runtime.pool.acquire() as conn:
        await conn.execute("UPDATE tokens SET expires_at = now() - interval '1 second'")
    assert (await client.get("/api/me", headers=user.headers)).status_code == 401


async def test_unknown_route_and_method_use_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.delete("/api/auth/login")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/auth/register",
        content=b"{" + b" " * (70 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
