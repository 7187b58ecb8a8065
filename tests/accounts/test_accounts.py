"""Accounts: register, login, logout, tokens, and the error shape on bad input; passwords (length, the
10,000 most common), sign-in throttling per handle, a password change and sign-out everywhere (both close the
account's sockets)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from feed.core import auth
from feed.core.ratelimit import sign_in_backoff_s, sign_in_backoffs
from realtime.protocol import CLOSE_SESSION_ENDED
from tests.conftest import PASSWORD, Account, MakeUser
from tests.trust_helpers import authed, near, subscribe
from warga.runtime import Runtime


@pytest.fixture(autouse=True)
async def forget_sign_in_failures(runtime: Runtime) -> AsyncIterator[None]:
    """sign_in_failures is keyed by handle, and handles repeat from test to test (citizen1, ...)."""
    async with runtime.pool.acquire() as conn:
        await conn.execute("DELETE FROM sign_in_failures")
    yield
    async with runtime.pool.acquire() as conn:
        await conn.execute("DELETE FROM sign_in_failures")


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
        await client.post("/api/auth/register", json={"handle": "Sari", "password": "kopi susu 8"})
    ).status_code == 201
    r = await client.post("/api/auth/register", json={"handle": "sari", "password": "kopi susu 8"})
    assert r.status_code == 409
    assert r.json()["error"]["fields"] == {"handle": "taken"}


async def test_password_is_stored_as_argon2id(client: httpx.AsyncClient, runtime: Runtime) -> None:
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
        (b'{"handle": "abc", "password": "password1"}', 422, "invalid"),
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


async def test_expired_token_is_401(client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime) -> None:
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


# Passwords: NIST SP 800-63B.


def test_the_shipped_list_has_the_10000_most_common() -> None:
    common = auth.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou", "12345678"} <= common
    assert not any(p.startswith("# ") for p in common)  # the header is not a password


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "must be at least 8 characters"),
        ("x" * 257, "must be at most 256 characters"),
        ("password1", "is one of the most common passwords; choose another"),
        ("PassWord1", "is one of the most common passwords; choose another"),  # case does not help
        (" qwertyuiop ", "is one of the most common passwords; choose another"),
        ("Budi.Santoso", "must not be your handle"),
        ("correct horse battery", None),
        ("rahasia123", None),
        ("x" * 256, None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert auth.password_problem(password, "budi.santoso") == problem


async def test_register_refuses_a_common_password_naming_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/register", json={"handle": "dewi", "password": "iloveyou"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"password": "is one of the most common passwords; choose another"}
    r = await client.post("/api/auth/register", json={"handle": "dewi", "password": "dewi"})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "password": "must be at least 8 characters"
    }
    assert (
        await client.post("/api/auth/login", json={"handle": "dewi", "password": "iloveyou"})
    ).status_code == 401


def test_demo_passwords_are_not_common() -> None:
    from warga.demo import CITIZEN_PASSWORD, STAFF

    for handle, password, _ in [("citizen", CITIZEN_PASSWORD, ""), *STAFF]:
        assert auth.password_problem(password, handle) is None, handle
    assert auth.password_problem(PASSWORD) is None


# Sign-in throttling per handle.


def test_backoff_schedule() -> None:
    assert [sign_in_backoff_s(n) for n in range(1, 8)] == [0, 0, 0, 0, 1, 2, 4]
    assert sign_in_backoff_s(15) == sign_in_backoff_s(1000) == 900
    assert sign_in_backoffs()[-1] == 900 and len(sign_in_backoffs()) == 15


async def _login(client: httpx.AsyncClient, handle: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"handle": handle, "password": password})


async def _unblock(runtime: Runtime) -> None:
    """As if the backoff had run out."""
    async with runtime.pool.acquire() as conn:
        await conn.execute("UPDATE sign_in_failures SET blocked_until = now() - interval '1 second'")


async def test_sign_in_backs_off_per_handle_and_a_success_resets_it(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    for _ in range(5):
        assert (await _login(client, user.handle, "wrong guess!")).status_code == 401
    refused = await _login(client, user.handle, PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert (
        refused.json()["error"]["code"] == "rate_limited"
        and "try again in 1 s" in refused.json()["error"]["message"]
    )
    await _unblock(runtime)
    assert (await _login(client, user.handle.upper(), "wrong guess!")).status_code == 401  # handles fold case
    refused = await _login(client, user.handle, PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"  # doubled
    await _unblock(runtime)
    assert (await _login(client, user.handle, PASSWORD)).status_code == 200
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sign_in_failures") == 0  # reset
    for _ in range(4):  # a fresh start: four more mistakes are free again
        assert (await _login(client, user.handle, "wrong guess!")).status_code == 401
    assert (await _login(client, user.handle, PASSWORD)).status_code == 200
    # Another account is not affected by this one's failures.
    other = await make_user()
    assert (await _login(client, other.handle, PASSWORD)).status_code == 200


async def test_unknown_handles_are_throttled_the_same(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    """The answers never tell whether a handle exists: the same statuses, bodies and Retry-After."""
    user = await make_user()
    known = [await _login(client, user.handle, "wrong guess!") for _ in range(7)]
    unknown = [await _login(client, "nobody.here", "wrong guess!") for _ in range(7)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429] * 2
    assert [r.json() for r in known] == [r.json() for r in unknown]
    assert [r.headers.get("retry-after") for r in known] == [r.headers.get("retry-after") for r in unknown]
    async with runtime.pool.acquire() as conn:
        keys = await conn.fetch("SELECT handle_key FROM sign_in_failures")
    assert all(len(k["handle_key"]) == 32 for k in keys)  # digests: no typed handle is stored


async def test_a_burst_of_guesses_gets_exactly_the_free_tries(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Concurrent attempts are serialised by the row lock: 30 at once get 5 password checks, 25 refusals."""
    user = await make_user()
    answers = await asyncio.gather(*(_login(client, user.handle, f"guess-{i:04d}") for i in range(30)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [401] * 5 + [429] * 25


# A password change and sign-out everywhere.


async def _change(client: httpx.AsyncClient, who: Account | dict[str, str], **body: Any) -> httpx.Response:
    headers = who.headers if isinstance(who, Account) else who
    return await client.put("/api/me/password", json=body, headers=headers)


async def _second_token(client: httpx.AsyncClient, who: Account) -> dict[str, str]:
    r = await _login(client, who.handle, PASSWORD)
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def test_password_change_bad_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    cases: list[tuple[dict[str, Any], int, dict[str, str]]] = [
        ({"current": PASSWORD}, 422, {"new": "required"}),
        ({"current": PASSWORD, "new": 12345678}, 422, {"new": "must be a string"}),
        (
            {"current": PASSWORD, "new": "qwerty123"},
            422,
            {"new": "is one of the most common passwords; choose another"},
        ),
        ({"current": PASSWORD, "new": "short"}, 422, {"new": "must be at least 8 characters"}),
        (
            {"current": "not it at all", "new": "hujan deras sore"},
            422,
            {"current": "is not your current password"},
        ),
        ({"current": PASSWORD, "new": PASSWORD}, 422, {"new": "is your current password"}),
        ({"current": PASSWORD, "new": "hujan deras sore", "admin": True}, 422, {}),
    ]
    for body, status, fields in cases:
        r = await _change(client, user, **body)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid" and (not fields or error["fields"] == fields), (body, error)
    r = await client.put("/api/me/password", json={"current": PASSWORD, "new": "hujan deras sore"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert (await _login(client, user.handle, PASSWORD)).status_code == 200  # nothing changed


async def test_wrong_current_password_is_throttled_like_a_sign_in(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    codes = [
        (await _change(client, user, current=f"guess {i}", new="hujan deras sore")).status_code
        for i in range(6)
    ]
    assert codes == [422] * 5 + [429]
    assert (await _login(client, user.handle, PASSWORD)).status_code == 429  # the same per-handle count


@pytest.mark.events
async def test_password_change_revokes_other_tokens_and_closes_their_sockets(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    other_session = await _second_token(client, user)
    other_sock = await authed(
        runtime, Account(user.id, user.handle, user.role, other_session["Authorization"][7:])
    )
    own_sock = await authed(runtime, user)
    try:
        assert (await subscribe(other_sock, "n", **near()))["type"] == "subscribed"
        r = await _change(client, user, current=PASSWORD, new="hujan deras sore")
        assert r.status_code == 200 and r.json() == {"ok": True, "revoked": 1}
        assert await other_sock.closed_code() == CLOSE_SESSION_ENDED
        # The caller's own socket and token stay signed in.
        assert (await subscribe(own_sock, "m", **near()))["type"] == "subscribed"
    finally:
        await other_sock.close()
        await own_sock.close()
    assert (await client.get("/api/me", headers=other_session)).status_code == 401
    assert (await client.get("/api/me", headers=user.headers)).status_code == 200
    assert (await _login(client, user.handle, PASSWORD)).status_code == 401
    assert (await _login(client, user.handle, "hujan deras sore")).status_code == 200
    async with runtime.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert stored.startswith("$argon2id$")


@pytest.mark.events
async def test_logout_everywhere_revokes_every_token_and_closes_every_socket(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    user, bystander = await make_user(), await make_user()
    other_session = await _second_token(client, user)
    socks = [
        await authed(runtime, user),
        await authed(runtime, Account(user.id, user.handle, user.role, other_session["Authorization"][7:])),
    ]
    watcher = await authed(runtime, bystander)
    try:
        for sock in socks:
            assert (await subscribe(sock, "n", **near()))["type"] == "subscribed"
        r = await client.post("/api/auth/logout-everywhere", headers=user.headers)
        assert r.status_code == 200 and r.json() == {"ok": True, "revoked": 2}
        for sock in socks:
            assert await sock.closed_code() == CLOSE_SESSION_ENDED
        assert (await subscribe(watcher, "n", **near()))["type"] == "subscribed"  # others are untouched
    finally:
        for sock in [*socks, watcher]:
            await sock.close()
    for headers in (user.headers, other_session):
        assert (await client.get("/api/me", headers=headers)).status_code == 401
    assert (await client.get("/api/me", headers=bystander.headers)).status_code == 200
    r = await client.post("/api/auth/logout-everywhere", headers=user.headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert (await client.post("/api/auth/logout-everywhere")).status_code == 401


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_json_endpoints_refuse_what_any_site_may_send_without_asking(
    client: httpx.AsyncClient, runtime: Runtime, kind: str
) -> None:
    """A page on another site may make its visitors' browsers POST these types without a CORS preflight:
    read as JSON, they would let it sign in as them or lock an account out with failed sign-ins."""
    body = json.dumps({"handle": "moderator", "password": "wrong-password"})
    r = await client.post("/api/auth/login", content=body, headers={"content-type": kind})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sign_in_failures") == 0  # nothing was counted
