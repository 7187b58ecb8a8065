"""Schemathesis against our own /openapi.json: every operation, bounded examples, a real server on port 0.

The checks: no 5xx, every status documented for that operation, the declared content type, and every body
valid against the declared schema. A signed-in admin's bearer token goes with every request, so the routes
behind authentication are exercised past the 401. Hypothesis runs derandomized: the same cases each run,
so a CI failure reproduces locally.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from feed.accounts.sessions import issue_token
from tests.conftest import Account, MakeUser
from tests.services import served_by_uvicorn
from warga.runtime import Runtime

# Bounded so the run stays near a minute on a CI runner; derandomized, so always the same cases.
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
# Each of these hashes a password with argon2 (slow by design, ~0.1-0.8 s): fewer cases.
SLOW = {"/api/auth/register", "/api/auth/login"}
# Revoke all the account's tokens (logout everywhere) or its other tokens and its password (a change).
REVOKE_ALL = {"/api/auth/logout-everywhere", "/api/me/password"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
async def base_url(app: Any) -> AsyncIterator[str]:
    """The app served by uvicorn on port 0 in this event loop (where the Runtime's pool lives)."""
    async with served_by_uvicorn(app) as base:
        yield base


def _fuzz(base_url: str, headers_for: Callable[[str], dict[str, str]]) -> list[str]:
    """Runs in a worker thread (schemathesis is synchronous); returns one line per failing operation."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                max_examples=min(examples, 4) if operation.path in SLOW else examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: time-bound
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case) -> None:
                headers = headers_for(case.operation.path)
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to make invalid: an operation without parameters has no negative cases
            # A FailureGroup (several checks failed) is a BaseExceptionGroup, not an Exception.
            except (Exception, BaseExceptionGroup) as exc:  # one entry per operation and mode, with the case
                failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]: {_describe(exc)}"
                )
    return failures


async def test_every_operation_conforms_and_never_errors(
    base_url: str, make_user: MakeUser, runtime: Runtime
) -> None:
    admin: Account = await make_user("admin")
    loop = asyncio.get_running_loop()

    def headers_for(path: str) -> dict[str, str]:
        if path == "/api/auth/logout":
            # Logout revokes the token it is sent with: give it a token of its own, keep the admin's alive.
            future = asyncio.run_coroutine_threadsafe(_fresh_token(runtime, admin.id), loop)
            return {"Authorization": f"Bearer {future.result(30)}"}
        if path in REVOKE_ALL:
            # These revoke every (other) token of the account, or change its password: a throwaway user
            # each time, so the admin's token stays valid for the operations fuzzed after them.
            throwaway = asyncio.run_coroutine_threadsafe(_throwaway(make_user), loop).result(30)
            return throwaway.headers
        return admin.headers

    failures = await asyncio.to_thread(_fuzz, base_url, headers_for)
    assert failures == [], "\n\n".join(failures)


async def _fresh_token(runtime: Runtime, user_id: int) -> str:
    async with runtime.pool.acquire() as conn:
        return await issue_token(conn, user_id, 1)


async def _throwaway(make_user: MakeUser) -> Account:
    return await make_user()


def _describe(exc: BaseException) -> str:
    parts = [str(exc)]
    for inner in getattr(exc, "exceptions", ()):
        parts.append(f"{type(inner).__name__}: {inner}")
    return "\n".join(parts)


# What the fuzzer found, pinned down as plain regressions.


async def test_nul_and_lone_surrogates_are_a_400_not_a_500(client: Any, make_user: MakeUser) -> None:
    user = await make_user()
    for text in ('"bad \\u0000 text"', '"bad \\ud800 text"'):
        body = '{"text": ' + text + ', "category": "flood", "lat": -6.2, "lon": 106.8}'
        r = await client.post(
            "/api/posts", content=body, headers={**user.headers, "Content-Type": "application/json"}
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"


async def test_vanishingly_small_coordinates_are_zero_not_an_underflow(client: Any) -> None:
    r = await client.get("/api/feed", params={"lat": "-1.8e-88", "lon": "1.0e-290"})
    assert r.status_code == 200
    assert isinstance(r.json()["items"], list)
