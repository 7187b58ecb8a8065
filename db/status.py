"""A post's accountability record: routing it to an area, its hand-offs (assignments with their clocks),
the steps of its public timeline, and fired escalations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

ASSIGNMENT_COLUMNS = """id, post_id, area_id, agency_id, category, started_at, ack_due_at, resolve_due_at,
    acknowledged_at, resolved_at, ended_at, outcome, reopened_at"""


async def lock_post(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    """Lock the post row; its workflow columns (status, area, exact position, category, author)."""
    return await conn.fetchrow(
        """SELECT id, author_id, status, area_id, agency_id, category, lat, lon, deleted_at, hidden_at,
                  held_at
           FROM posts WHERE id = $1 FOR UPDATE""",
        post_id,
    )


async def post_state(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, author_id, status, area_id, agency_id, category, lat, lon, deleted_at, hidden_at,
                  held_at
           FROM posts WHERE id = $1""",
        post_id,
    )


async def set_status(
    conn: asyncpg.Connection,
    post_id: int,
    status: str,
    area_id: int | None,
    now: datetime,
    agency_id: int | None = None,
) -> None:
    """The post's status and owner: an area, or an agency (area_id then keeps the area it came from)."""
    await conn.execute(
        "UPDATE posts SET status = $2, area_id = $3, updated_at = $4, agency_id = $5 WHERE id = $1",
        post_id,
        status,
        area_id,
        now,
        agency_id,
    )


async def set_area(conn: asyncpg.Connection, post_id: int, area_id: int) -> None:
    await conn.execute("UPDATE posts SET area_id = $2 WHERE id = $1", post_id, area_id)


# --- Assignments (hand-offs and their clocks) -------------------------------------------------------
async def start_assignment(
    conn: asyncpg.Connection,
    *,
    post_id: int,
    area_id: int | None,
    category: str,
    started_at: datetime,
    ack_due_at: datetime,
    resolve_due_at: datetime,
    agency_id: int | None = None,
) -> int:
    """A new owner's clock: an area's, or (area_id None) an agency's."""
    assignment_id: int = await conn.fetchval(
        """INSERT INTO post_assignments (post_id, area_id, category, started_at, ack_due_at, resolve_due_at,
                                         next_escalation_at, agency_id)
           VALUES ($1, $2, $3, $4, $5, $6, $5, $7) RETURNING id""",
        post_id,
        area_id,
        category,
        started_at,
        ack_due_at,
        resolve_due_at,
        agency_id,
    )
    return assignment_id


async def running(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    """The post's running clock, if any (the post row lock serialises writers)."""
    return await conn.fetchrow(
        f"SELECT {ASSIGNMENT_COLUMNS} FROM post_assignments WHERE post_id = $1 AND ended_at IS NULL", post_id
    )


async def last_ended(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {ASSIGNMENT_COLUMNS} FROM post_assignments
            WHERE post_id = $1 AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 1""",
        post_id,
    )


async def acknowledge(conn: asyncpg.Connection, assignment_id: int, now: datetime) -> None:
    await conn.execute(
        # The first answer ends the acknowledge escalations; the resolve ones begin at its deadline.
        """UPDATE post_assignments
           SET next_escalation_at = CASE WHEN acknowledged_at IS NULL THEN resolve_due_at
                                         ELSE next_escalation_at END,
               acknowledged_at = coalesce(acknowledged_at, $2)
           WHERE id = $1""",
        assignment_id,
        now,
    )


async def end(conn: asyncpg.Connection, assignment_id: int, outcome: str, now: datetime) -> None:
    """Close a clock: resolved (counts as acknowledged too), rejected, forwarded or merged."""
    await conn.execute(
        """UPDATE post_assignments
           SET ended_at = $3::timestamptz, outcome = $2::text,
               resolved_at = CASE WHEN $2::text = 'resolved' THEN $3::timestamptz END
           WHERE id = $1""",
        assignment_id,
        outcome,
        now,
    )


async def mark_reopened(conn: asyncpg.Connection, assignment_id: int, now: datetime) -> None:
    await conn.execute("UPDATE post_assignments SET reopened_at = $2 WHERE id = $1", assignment_id, now)


async def assignments(conn: asyncpg.Connection, post_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {ASSIGNMENT_COLUMNS} FROM post_assignments WHERE post_id = $1 ORDER BY id", post_id
    )


# --- Timeline steps ----------------------------------------------------------------------------------
async def add_step(
    conn: asyncpg.Connection,
    *,
    post_id: int,
    kind: str,
    actor_id: int | None,
    from_status: str | None,
    status: str,
    now: datetime,
    note: str | None = None,
    reason: str | None = None,
    photo: dict[str, Any] | None = None,
    proof: tuple[float, float] | None = None,
    from_area: int | None = None,
    to_area: int | None = None,
    detail: dict[str, Any] | None = None,
    from_agency: int | None = None,
    to_agency: int | None = None,
) -> int:
    step_id: int = await conn.fetchval(
        """INSERT INTO post_steps (post_id, kind, actor_id, from_status, status, note, reason, photo,
                                  proof_lat, proof_lon, from_area, to_area, detail, created_at,
                                  from_agency, to_agency)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id""",
        post_id,
        kind,
        actor_id,
        from_status,
        status,
        note,
        reason,
        photo,
        proof[0] if proof else None,
        proof[1] if proof else None,
        from_area,
        to_area,
        detail,
        now,
        from_agency,
        to_agency,
    )
    return step_id


STEP_COLUMNS = """s.id, s.post_id, s.kind, s.actor_id, u.handle AS actor_handle, s.from_status, s.status,
    s.note, s.reason, s.photo, s.proof_lat, s.proof_lon, s.from_area, s.to_area, s.detail, s.created_at,
    fa.code AS from_agency, ta.code AS to_agency"""
# Steps name agencies by code (what clients and the forward request use).
_STEP_FROM = """post_steps s LEFT JOIN users u ON u.id = s.actor_id
    LEFT JOIN agencies fa ON fa.id = s.from_agency LEFT JOIN agencies ta ON ta.id = s.to_agency"""


async def step(conn: asyncpg.Connection, step_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {STEP_COLUMNS} FROM {_STEP_FROM} WHERE s.id = $1",
        step_id,
    )


async def steps(conn: asyncpg.Connection, post_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {STEP_COLUMNS} FROM {_STEP_FROM}
            WHERE s.post_id = $1 ORDER BY s.id""",
        post_id,
    )


async def created_at(conn: asyncpg.Connection, post_id: int) -> datetime | None:
    """When the post's first clock started (its routing time), else its creation time."""
    value: datetime | None = await conn.fetchval(
        """SELECT coalesce((SELECT min(started_at) FROM post_assignments WHERE post_id = $1), p.created_at)
           FROM posts p WHERE p.id = $1""",
        post_id,
    )
    return value


async def is_voter(conn: asyncpg.Connection, post_id: int, user_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM votes WHERE post_id = $1 AND user_id = $2)", post_id, user_id
    )
    return found


# --- Escalation ----------------------------------------------------------------------------------------
async def due_escalations(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Running clocks whose next escalation threshold has come, earliest first."""
    return await conn.fetch(
        """SELECT id, post_id FROM post_assignments
           WHERE ended_at IS NULL AND next_escalation_at <= $1
           ORDER BY next_escalation_at, id LIMIT $2""",
        now,
        limit,
    )


async def set_next_escalation(conn: asyncpg.Connection, assignment_id: int, at: datetime | None) -> None:
    await conn.execute("UPDATE post_assignments SET next_escalation_at = $2 WHERE id = $1", assignment_id, at)


async def record_escalation(
    conn: asyncpg.Connection, assignment_id: int, clock: str, level: int, area_id: int, now: datetime
) -> bool:
    """True if this threshold had not fired before (so exactly one sweeper announces it)."""
    done = await conn.fetchval(
        """INSERT INTO post_escalations (assignment_id, clock, level, area_id, created_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING level""",
        assignment_id,
        clock,
        level,
        area_id,
        now,
    )
    return done is not None


async def escalations(conn: asyncpg.Connection, post_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT e.assignment_id, e.clock, e.level, e.area_id, e.created_at
           FROM post_escalations e JOIN post_assignments a ON a.id = e.assignment_id
           WHERE a.post_id = $1 ORDER BY e.created_at, e.level""",
        post_id,
    )


async def area_ids_exist(conn: asyncpg.Connection, ids: Sequence[int]) -> set[int]:
    rows = await conn.fetch("SELECT id FROM areas WHERE id = ANY($1::bigint[])", list(ids))
    return {r["id"] for r in rows}


async def last_closed_at(conn: asyncpg.Connection, post_id: int) -> datetime | None:
    """When the post was last resolved or rejected (the start of its 14-day reopen window)."""
    value: datetime | None = await conn.fetchval(
        """SELECT created_at FROM post_steps
           WHERE post_id = $1 AND kind = 'status' AND status IN ('resolved', 'rejected')
           ORDER BY id DESC LIMIT 1""",
        post_id,
    )
    return value


# One sweeper at a time across processes (each relay process runs one); the escalations' primary key
# would keep a threshold from firing twice anyway, this just saves the duplicate work.
SWEEP_LOCK = 7_310_006


async def try_sweep_lock(conn: asyncpg.Connection) -> bool:
    locked: bool = await conn.fetchval("SELECT pg_try_advisory_lock($1)", SWEEP_LOCK)
    return locked


async def sweep_unlock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1)", SWEEP_LOCK)


async def resolve_due(conn: asyncpg.Connection, post_ids: Sequence[int]) -> dict[int, datetime]:
    """The running clock's resolve deadline per post (Open311's expected_datetime); absent when none runs."""
    rows = await conn.fetch(
        """SELECT post_id, resolve_due_at FROM post_assignments
           WHERE post_id = ANY ($1::bigint[]) AND ended_at IS NULL""",
        list(post_ids),
    )
    return {r["post_id"]: r["resolve_due_at"] for r in rows}
