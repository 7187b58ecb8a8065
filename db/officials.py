"""Officials' areas: who is assigned where, whether a user answers for an area, and their inbox."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from db.posts import POST_COLUMNS


async def assign(conn: asyncpg.Connection, user_id: int, area_id: int) -> bool:
    """True if the assignment is new."""
    row = await conn.fetchval(
        """INSERT INTO official_areas (user_id, area_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING area_id""",
        user_id,
        area_id,
    )
    return row is not None


async def unassign(conn: asyncpg.Connection, user_id: int, area_id: int) -> bool:
    done = await conn.fetchval(
        "DELETE FROM official_areas WHERE user_id = $1 AND area_id = $2 RETURNING area_id", user_id, area_id
    )
    return done is not None


async def areas_of(conn: asyncpg.Connection, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.id, a.parent_id, a.level, a.name, a.code, a.population
           FROM official_areas o JOIN areas a ON a.id = o.area_id
           WHERE o.user_id = $1 ORDER BY a.depth, a.name, a.id""",
        user_id,
    )


async def covers(conn: asyncpg.Connection, user_id: int, area_id: int) -> bool:
    """Whether the user is an official of the area or of one of its ancestors."""
    found: bool = await conn.fetchval(
        """WITH RECURSIVE up AS (
               SELECT id, parent_id, 0 AS hop FROM areas WHERE id = $2
               UNION ALL
               SELECT a.id, a.parent_id, up.hop + 1 FROM areas a JOIN up ON a.id = up.parent_id
               WHERE up.hop < 32
           )
           SELECT EXISTS (SELECT 1 FROM official_areas o JOIN up ON up.id = o.area_id
                          WHERE o.user_id = $1)""",
        user_id,
        area_id,
    )
    return found


async def officials_of(conn: asyncpg.Connection, area_ids: list[int]) -> list[int]:
    """User ids of the officials assigned to any of these areas."""
    rows = await conn.fetch(
        "SELECT DISTINCT user_id FROM official_areas WHERE area_id = ANY($1::bigint[])", area_ids
    )
    return [r["user_id"] for r in rows]


# The inbox: visible posts in the official's areas and below that no agency owns, and those owned by the
# official's agencies, with the running clock's deadline.
# $1 user (NULL = an admin: every area), $2 status filter, $3 now, $4 overdue only, $5 limit,
# $6/$7 the cursor: newest-first pages on id; most-overdue-first pages on (due_at, id).
_INBOX = f"""WITH RECURSIVE mine AS (
        SELECT area_id AS id FROM official_areas WHERE user_id = $1
        UNION
        SELECT a.id FROM areas a JOIN mine ON a.parent_id = mine.id
    ),
    rows AS (
        SELECT p.id,
               CASE WHEN s.acknowledged_at IS NULL THEN s.ack_due_at ELSE s.resolve_due_at END AS due_at,
               s.started_at, s.ack_due_at, s.resolve_due_at, s.acknowledged_at
        FROM posts p LEFT JOIN post_assignments s ON s.post_id = p.id AND s.ended_at IS NULL
        WHERE (p.area_id IS NOT NULL OR p.agency_id IS NOT NULL)
          AND ($1::bigint IS NULL
               OR (p.agency_id IS NULL AND p.area_id IN (SELECT id FROM mine))
               OR p.agency_id IN (SELECT agency_id FROM official_agencies WHERE user_id = $1))
          AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL
          AND ($2::text IS NULL OR p.status = $2)
    )
    SELECT {POST_COLUMNS}, r.due_at, r.started_at AS clock_started_at, r.ack_due_at, r.resolve_due_at,
           r.acknowledged_at AS clock_acknowledged_at, ag.code AS agency_code
    FROM rows r JOIN posts p ON p.id = r.id JOIN users u ON u.id = p.author_id
    LEFT JOIN agencies ag ON ag.id = p.agency_id
    WHERE CASE WHEN $4::boolean
               THEN r.due_at < $3 AND ($6::timestamptz IS NULL OR (r.due_at, r.id) > ($6, $7))
               ELSE r.id < $7 END
    ORDER BY CASE WHEN $4 THEN r.due_at END, CASE WHEN $4 THEN p.id END, p.id DESC
    LIMIT $5"""


async def inbox(
    conn: asyncpg.Connection,
    *,
    user_id: int | None,
    status: str | None,
    now: datetime,
    overdue: bool,
    limit: int,
    after_due: datetime | None,
    after_id: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(_INBOX, user_id, status, now, overdue, limit, after_due, after_id)


async def unrouted(conn: asyncpg.Connection, below_id: int, limit: int) -> list[asyncpg.Record]:
    """Posts outside every area that no agency took over (the admins' fallback queue), newest first."""
    return await conn.fetch(
        f"""SELECT {POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
            WHERE p.area_id IS NULL AND p.agency_id IS NULL AND p.id < $1 AND p.deleted_at IS NULL
            ORDER BY p.id DESC LIMIT $2""",
        below_id,
        limit,
    )
