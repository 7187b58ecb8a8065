"""Push subscriptions and the delivery ledger (db/migrations/017_push.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from db import secrets as secrets_db
from kernel import vapid

# The notify worker's position in the outbox (a relay_state counter). Created by the worker's first start,
# at the head of the outbox, so retention (db.events.prune) waits for it only once a worker exists.
CURSOR = "notified"


async def subscribe(conn: asyncpg.Connection, user_id: int, endpoint: str, p256dh: str, auth: str) -> bool:
    """Store a browser's subscription for `user_id`; True if the endpoint is new. A known endpoint takes
    the new keys and owner (the same browser signed in again, or re-subscribed)."""
    created: bool = await conn.fetchval(
        """INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
           ON CONFLICT (endpoint) DO UPDATE
               SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
           RETURNING (xmax = 0)""",
        user_id,
        endpoint,
        p256dh,
        auth,
    )
    return created


async def known(conn: asyncpg.Connection, endpoint: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM push_subscriptions WHERE endpoint = $1)", endpoint
    )
    return found


async def lock_and_count(conn: asyncpg.Connection, user_id: int) -> int:
    """Lock the user's row until the transaction ends (concurrent subscribes of one account queue, so a cap
    holds), and count their subscriptions."""
    await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", user_id)
    value: int = await conn.fetchval("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", user_id)
    return value


async def unsubscribe(conn: asyncpg.Connection, user_id: int, endpoint: str) -> bool:
    status = await conn.execute(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2", user_id, endpoint
    )
    return status == "DELETE 1"


async def delete_subscription(conn: asyncpg.Connection, subscription_id: int) -> None:
    await conn.execute("DELETE FROM push_subscriptions WHERE id = $1", subscription_id)


async def subscriptions_of(conn: asyncpg.Connection, user_ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, user_id FROM push_subscriptions WHERE user_id = ANY($1::bigint[]) ORDER BY id",
        list(user_ids),
    )


async def roles(conn: asyncpg.Connection, user_ids: Sequence[int]) -> dict[int, str]:
    rows = await conn.fetch("SELECT id, role FROM users WHERE id = ANY($1::bigint[])", list(user_ids))
    return {r["id"]: r["role"] for r in rows}


async def record(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Ledger rows (event_id, user_id, subscription_id, post_id, urgency, payload, next_attempt_at); a row
    already there stays as it is (the unique key: nothing is recorded, so nothing is sent, twice)."""
    await conn.executemany(
        """INSERT INTO push_deliveries
               (event_id, user_id, subscription_id, post_id, urgency, payload, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (event_id, user_id, subscription_id) DO NOTHING""",
        rows,
    )


async def claim_due(conn: asyncpg.Connection, now: datetime, lease_until: datetime, limit: int) -> list[Any]:
    """Take up to `limit` pending deliveries due by `now`, with their subscriptions, leasing them until
    `lease_until`: a worker that dies mid-send leaves them to be taken again once the lease runs out
    (at-least-once), and two workers never take the same row at once (SKIP LOCKED)."""
    return await conn.fetch(
        """WITH due AS (
               SELECT id FROM push_deliveries
               WHERE status = 'pending' AND next_attempt_at <= $1
               ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
           UPDATE push_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
           FROM due, push_subscriptions s
           WHERE d.id = due.id AND s.id = d.subscription_id
           RETURNING d.id, d.user_id, d.post_id, d.urgency, d.payload, d.attempts, d.subscription_id,
                     s.endpoint, s.p256dh, s.auth""",
        now,
        lease_until,
        limit,
    )


async def mark_sent(conn: asyncpg.Connection, delivery_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE push_deliveries SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1",
        delivery_id,
        now,
    )


async def retry_at(conn: asyncpg.Connection, delivery_id: int, when: datetime, error: str) -> None:
    await conn.execute(
        "UPDATE push_deliveries SET next_attempt_at = $2, last_error = $3 WHERE id = $1",
        delivery_id,
        when,
        error,
    )


async def give_up(conn: asyncpg.Connection, delivery_id: int, status: str, error: str) -> None:
    """End a delivery unsent: "failed" (the push service kept refusing) or "dropped" (not ours to tell)."""
    await conn.execute(
        "UPDATE push_deliveries SET status = $2, last_error = $3 WHERE id = $1", delivery_id, status, error
    )


async def deliveries(conn: asyncpg.Connection, user_id: int | None = None) -> list[asyncpg.Record]:
    """Every ledger row (of one user), oldest first: for tests and operators' questions."""
    return await conn.fetch(
        """SELECT id, event_id, user_id, subscription_id, post_id, urgency, payload, status, attempts,
                  next_attempt_at, last_error
           FROM push_deliveries WHERE $1::bigint IS NULL OR user_id = $1 ORDER BY id""",
        user_id,
    )


async def lock_cursor(conn: asyncpg.Connection) -> int:
    """The worker's outbox position, locked until this transaction ends (a second worker waits, then reads
    where the first left off); created at the outbox's head on the first call ever."""
    await conn.execute(
        """INSERT INTO relay_state (name, value)
           SELECT $1, coalesce(max(id), 0) FROM events
           ON CONFLICT (name) DO NOTHING""",
        CURSOR,
    )
    value: int = await conn.fetchval("SELECT value FROM relay_state WHERE name = $1 FOR UPDATE", CURSOR)
    return value


async def vapid_key(conn: asyncpg.Connection, configured: str | None) -> bytes:
    """The VAPID private key: the configured one, else the one made on the first start and kept."""
    if configured:
        return vapid.configured_private_key(configured)
    return await secrets_db.get_or_create(conn, "vapid", vapid.fresh_private_key())
