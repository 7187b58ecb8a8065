"""Idempotency-Key for creating posts and comments: a retry with the same key returns the original answer
(same status, same body); the same key with a different request is a 422.

The key row is inserted in the SAME transaction as the post or comment, before the work: a racing retry
waits on the primary key until the first transaction commits, then reads the stored answer instead of
creating a second post. Keys expire after `idempotency_ttl_s` (24 h): an expired key is taken over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import idempotency as idempotency_db
from feed.core.context import AppRuntime
from feed.core.errors import ApiError, invalid

HEADER = "idempotency-key"
MAX_KEY = 200

# work(conn) -> (status, body, finish): finish(conn) appends the outbox event, the last statement.
Finish = Callable[[asyncpg.Connection], Awaitable[Any]]
Work = Callable[[asyncpg.Connection], Awaitable[tuple[int, dict[str, Any], Finish]]]


class _Taken(Exception):
    pass


def key_of(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable() or not key.isascii():
        raise invalid({"Idempotency-Key": f"1-{MAX_KEY} printable ASCII characters"})
    return key


def request_hash(path: str, data: dict[str, Any], blobs: Sequence[bytes] = ()) -> bytes:
    h = hashlib.sha256(path.encode())
    h.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    for blob in blobs:
        h.update(hashlib.sha256(blob).digest())
    return h.digest()


def _replay(row: Any, rhash: bytes) -> JSONResponse:
    if bytes(row["request_hash"]) != rhash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
            {"Idempotency-Key": "used for a different request"},
        )
    return JSONResponse(row["response_body"], status_code=row["response_status"])


async def stored(runtime: AppRuntime, user_id: int, key: str | None, rhash: bytes) -> JSONResponse | None:
    """The original answer if this key was already used (cheap check before any slow work)."""
    if key is None:
        return None
    async with runtime.pool.acquire() as conn:
        row = await idempotency_db.find(conn, user_id, key, runtime.settings.idempotency_ttl_s)
    return _replay(row, rhash) if row is not None and row["response_status"] is not None else None


async def once(runtime: AppRuntime, user_id: int, key: str | None, rhash: bytes, work: Work) -> JSONResponse:
    ttl = runtime.settings.idempotency_ttl_s
    async with runtime.pool.acquire() as conn:
        try:
            async with conn.transaction():
                if key is not None and not await idempotency_db.claim(conn, user_id, key, rhash, ttl):
                    raise _Taken
                status, body, finish = await work(conn)
                if key is not None:
                    await idempotency_db.store(conn, user_id, key, status, body)
                await finish(conn)
        except _Taken:
            assert key is not None
            row = await idempotency_db.find(conn, user_id, key, ttl)
            if row is None or row["response_status"] is None:
                raise ApiError(
                    409, "idempotency_conflict", "A request with this key is in progress."
                ) from None
            return _replay(row, rhash)
    return JSONResponse(body, status_code=status)
