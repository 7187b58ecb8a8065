"""Escalation: a report whose running clock is past its deadline is pushed up the area tree.

A clock with SLA span S (acknowledge: started → ack due; once acknowledged, resolve: started → resolve due)
reaches threshold k at started + k x S: level 1 (1x SLA) goes to the owner's parent area (lurah → camat),
level 2 (2x SLA) to the grandparent (camat → kota), and so on up to the root. Each (clock, threshold) fires
once, recorded in post_escalations, as a timeline step and an outbox event `post.escalated` whose area_ids
are the PARENT chain from the escalation target upwards: the target's officials (and those above) hear it
live, the late office itself does not need telling. The event has no position, so it is not pushed to
nearby citizens. A city agency's clock is outside the area tree: at 1x SLA it escalates once, to the top of
the report's area chain (the kota, whose officials answer for the city's work there), and the agency's own
subscribers hear it too.

The sweep runs in the relay process (warga/runtime.py starts a Sweeper when parts.relay) and reads the time
from runtime.clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import asyncpg

from db import status as status_db
from feed.core.context import AppRuntime
from feed.core.outbox import emit
from feed.core.serialize import iso
from feed.officials.routing import area_chain_ids
from feed.officials.status import step_json
from kernel.owners import agency_key
from kernel.tasks import cancel_and_wait

log = logging.getLogger("warga.escalation")
BATCH = 500
ZERO = timedelta(0)
RECHECK_HIDDEN = timedelta(hours=1)


async def sweep(runtime: AppRuntime) -> int:
    """Fire every threshold reached by now; returns how many fired. Safe to run from many processes."""
    now = runtime.clock()
    fired = 0
    async with runtime.pool.acquire() as conn:
        if not await status_db.try_sweep_lock(conn):
            return 0
        try:
            while True:
                due = await status_db.due_escalations(conn, now, BATCH)
                for row in due:
                    fired += await _escalate(conn, runtime, row["post_id"], row["id"], now)
                if len(due) < BATCH:
                    break
        finally:
            await status_db.sweep_unlock(conn)
    return fired


async def _escalate(
    conn: asyncpg.Connection, runtime: AppRuntime, post_id: int, clock_id: int, now: Any
) -> int:
    fired = 0
    async with conn.transaction():
        state = await status_db.lock_post(conn, post_id)
        clock = await status_db.running(conn, post_id)
        if state is None or clock is None or clock["id"] != clock_id:
            return 0  # answered or handed off since the scan
        if any(state[k] is not None for k in ("deleted_at", "hidden_at", "held_at")):
            # Nobody is to chase a report the public cannot see; look again later (it may be unhidden).
            await status_db.set_next_escalation(conn, clock_id, now + RECHECK_HIDDEN)
            return 0
        kind = "ack" if clock["acknowledged_at"] is None else "resolve"
        due = clock["ack_due_at"] if kind == "ack" else clock["resolve_due_at"]
        span = due - clock["started_at"]
        if due > now:
            return 0
        chain = await _chain(conn, clock, state["area_id"])  # owner first, root last
        top = len(chain) - 1
        reached = min(int((now - clock["started_at"]) / span), top) if span > ZERO else top
        following = reached + 1
        await status_db.set_next_escalation(
            conn,
            clock_id,
            clock["started_at"] + following * span if following <= top and span > ZERO else None,
        )
        announce = []
        for level in range(1, reached + 1):
            target = chain[level]
            if not await status_db.record_escalation(conn, clock_id, kind, level, target, now):
                continue
            detail = {"level": level, "clock": kind, "due_at": iso(due), "area_id": target}
            step_id = await status_db.add_step(
                conn,
                post_id=post_id,
                kind="escalated",
                actor_id=None,
                from_status=state["status"],
                status=state["status"],
                now=now,
                from_area=clock["area_id"],
                to_area=target,
                detail=detail,
            )
            areas = [a for a in chain[level:] if a is not None]
            if clock["agency_id"] is not None:
                areas.append(agency_key(clock["agency_id"]))
            announce.append((step_id, areas, detail))
        # The outbox events last, right before commit (db.events).
        for step_id, areas, detail in announce:
            await _emit(conn, runtime, post_id, step_id, areas, detail, now - due)
            fired += 1
    return fired


async def _chain(conn: asyncpg.Connection, clock: Any, post_area: int | None) -> list[Any]:
    """The owner, then whom each escalation level reaches: an area's ancestors; for an agency, the root of
    the report's area (nothing when the report lies outside every area)."""
    if clock["agency_id"] is None:
        return await area_chain_ids(conn, clock["area_id"])
    areas = await area_chain_ids(conn, post_area)
    return [None, areas[-1]] if areas else [None]


async def _emit(
    conn: asyncpg.Connection,
    runtime: AppRuntime,
    post_id: int,
    step_id: int,
    areas: list[int],
    detail: dict[str, Any],
    late: Any,
) -> None:
    step = await status_db.step(conn, step_id)
    assert step is not None
    escalation = {**detail, "overdue_s": int(late.total_seconds())}
    extra = {"escalation": escalation, "step": step_json(step, runtime.storage)}
    await emit(conn, runtime.storage, "post.escalated", post_id, extra, areas=areas)


class Sweeper:
    """Runs sweep() every settings.escalation_every_s seconds until stopped."""

    def __init__(self, runtime: AppRuntime) -> None:
        self._runtime = runtime
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="escalation-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def _run(self) -> None:
        while True:
            # Sleep first: a process that just started has nothing urgent, and the relay settles first.
            await asyncio.sleep(self._runtime.settings.escalation_every_s)
            try:
                fired = await sweep(self._runtime)
                if fired:
                    log.info("escalated %d overdue reports", fired)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("escalation sweep failed; retrying")
