"""The notify worker: outbox → ledger → push services.

1. fan_out: in ONE transaction, read a batch of events after the worker's cursor (db.push.CURSOR, locked
   for the transaction), write a ledger row for every (event, recipient, push subscription), and move the
   cursor past the batch. A crash before commit leaves all of it undone; after commit all of it is done: no
   event is skipped, none is fanned out twice (and the ledger's unique key would refuse a second row).
2. deliver: lease due ledger rows (db.push.claim_due), check the report is still announceable, send each,
   and record the outcome. A crash mid-send leaves rows leased; they are sent again once the lease runs out:
   at-least-once to the push service, with the report's Topic so a phone replaces rather than stacks.
Retries back off exponentially (honouring Retry-After) on 429, 5xx and network errors; 404/410 deletes the
subscription; after settings.push_max_attempts a delivery is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from db import events as events_db
from db import push as push_db
from kernel import egress, metrics
from kernel.settings import Settings
from kernel.tasks import cancel_and_wait
from kernel.visibility import PUBLIC, post_visible
from notify import message, recipients
from notify.sender import Outcome, PushSender

log = logging.getLogger("warga.notify")

EVENTS_BATCH = 200
SEND_BATCH = 100
LEASE = timedelta(minutes=2)  # longer than a request's timeouts: a live worker finishes before it ends
BACKOFF_BASE_S, BACKOFF_MAX_S = 5.0, 3600.0
RETRY_AFTER_MAX_S = 24 * 3600.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff_s(attempts: int, retry_after_s: float | None) -> float:
    """Seconds before the next attempt: the push service's Retry-After when it gave one, else 5 s doubled
    per attempt, at most an hour."""
    if retry_after_s is not None:
        return min(retry_after_s, RETRY_AFTER_MAX_S)
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


class Notifier:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        resolve: egress.Resolver = egress.system_resolver,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self.clock = clock  # tests move it to make retries due
        self._resolve = resolve
        self._sender: PushSender | None = None
        self._client: Any = None
        self.backend: egress.GuardedBackend | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Load (or make, on the very first start) the VAPID key, open the guarded HTTP client. A subject no
        push service would accept stops the start, rather than every push later."""
        s = self._settings
        if not s.push_subject.startswith(("mailto:", "https://")):
            raise ValueError(f"WARGA_VAPID_SUBJECT must be a mailto: or https: URL, not {s.push_subject!r}")
        async with self._pool.acquire() as conn:
            key = await push_db.vapid_key(conn, s.vapid_private_key.reveal() if s.vapid_private_key else None)
            await push_db.lock_cursor(conn)  # the cursor exists from now: retention waits for it
        self._client, self.backend = egress.guarded_client(
            allow_private=s.push_allow_private, timeout_s=s.push_timeout_s, resolve=self._resolve
        )
        self._sender = PushSender(self._client, key, s.push_subject, s.push_ttl_s)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.step()
            except (OSError, asyncpg.PostgresError) as exc:  # the database away: try again shortly
                log.warning("notify step failed: %s", type(exc).__name__)
                busy = False
            except Exception:  # a bug must not end the worker for good; the step is retried
                log.exception("notify step failed")
                busy = False
            if not busy:
                await asyncio.sleep(self._settings.notify_every_s)

    async def step(self) -> bool:
        """One round of both halves; True when there may be more to do at once."""
        read = await self.fan_out()
        sent = await self.deliver()
        return read == EVENTS_BATCH or sent == SEND_BATCH

    async def drain(self) -> None:
        """Fan out everything written so far and send whatever is due now (tests, shutdown)."""
        while await self.step():
            pass

    # --- outbox → ledger ------------------------------------------------------------------------------
    async def fan_out(self) -> int:
        """Record the deliveries of the next batch of events and move the cursor, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            cursor = await push_db.lock_cursor(conn)
            events = await events_db.after(conn, cursor, EVENTS_BATCH)
            rows: list[tuple[Any, ...]] = []
            for event in events:
                rows += await self._ledger_rows(conn, event)
            await push_db.record(conn, rows)
            if events:
                await events_db.set_counter(conn, push_db.CURSOR, events[-1]["id"])
        return len(events)

    async def _ledger_rows(self, conn: asyncpg.Connection, event: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        notices = await recipients.notices(conn, event)
        if not notices:
            return []
        by_user: dict[int, list[int]] = {}
        for sub in await push_db.subscriptions_of(conn, [n.user_id for n in notices]):
            by_user.setdefault(sub["user_id"], []).append(sub["id"])
        now, urgency = self.clock(), recipients.urgency(event["type"])
        rows = []
        for notice in notices:
            own, owner = notice.own_report, notice.as_owner
            payload = message.render(
                event["type"], notice.view, event["post_id"], own_report=own, as_owner=owner
            )
            for sub_id in by_user.get(notice.user_id, ()):
                rows.append((event["id"], notice.user_id, sub_id, event["post_id"], urgency, payload, now))
        return rows

    # --- ledger → push services -----------------------------------------------------------------------
    async def deliver(self, limit: int = SEND_BATCH) -> int:
        """Send the deliveries due now (at most `limit`); returns how many were taken."""
        assert self._sender is not None, "Notifier.open() first"
        now = self.clock()
        async with self._pool.acquire() as conn, conn.transaction():
            due = await push_db.claim_due(conn, now, now + LEASE, limit)
            states = await events_db.current_states(conn, sorted({d["post_id"] for d in due}), [])
        announceable = {s["id"] for s in states if s["kind"] == "post" and post_visible(s, PUBLIC)}
        gate = asyncio.Semaphore(egress.MAX_CONNECTIONS)  # queued in asyncio, not in httpcore's pool

        async def send(delivery: Mapping[str, Any]) -> Outcome:
            async with gate:
                return await self._send(delivery, delivery["post_id"] in announceable)

        outcomes = await asyncio.gather(*(send(d) for d in due))
        async with self._pool.acquire() as conn:
            for delivery, outcome in zip(due, outcomes, strict=True):
                await self._record(conn, delivery, outcome)
        return len(due)

    async def _send(self, delivery: Mapping[str, Any], announceable: bool) -> Outcome:
        if not announceable:  # hidden, held or deleted since the event: not ours to tell any more
            return Outcome("dropped", "the report is no longer public")
        assert self._sender is not None
        return await self._sender.send(delivery, allow_private=self._settings.push_allow_private)

    async def _record(self, conn: asyncpg.Connection, delivery: Mapping[str, Any], outcome: Outcome) -> None:
        metrics.push_outcomes.labels(outcome.kind).inc()
        delivery_id = delivery["id"]
        if outcome.kind == "sent":
            await push_db.mark_sent(conn, delivery_id, self.clock())
        elif outcome.kind == "gone":
            await push_db.delete_subscription(conn, delivery["subscription_id"])  # its deliveries go too
        elif outcome.kind == "retry" and delivery["attempts"] < self._settings.push_max_attempts:
            wait = backoff_s(delivery["attempts"], outcome.retry_after_s)
            await push_db.retry_at(conn, delivery_id, self.clock() + timedelta(seconds=wait), outcome.detail)
        elif outcome.kind == "dropped":
            await push_db.give_up(conn, delivery_id, "dropped", outcome.detail)
        else:  # failed, refused, or out of attempts
            await push_db.give_up(conn, delivery_id, "failed", f"{outcome.kind}: {outcome.detail}")
            log.info("push delivery %d given up: %s %s", delivery_id, outcome.kind, outcome.detail)
