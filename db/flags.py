"""Flags on posts and comments: insert one per user per target, weigh a target, a flagger's record, and the
moderation queue (flagged or held items)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    *,
    target_type: str,
    target_id: int,
    post_id: int,
    user_id: int,
    reason: str,
    note: str | None,
    weight: float,
) -> int | None:
    """The new flag's id, or None if this user already flagged this target."""
    return await conn.fetchval(
        """INSERT INTO flags (target_type, target_id, post_id, user_id, reason, note, weight)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (target_type, target_id, user_id) DO NOTHING RETURNING id""",
        target_type,
        target_id,
        post_id,
        user_id,
        reason,
        note,
        weight,
    )


async def record_of(conn: asyncpg.Connection, user_id: int) -> tuple[int, int]:
    """(upheld, rejected): how this user's resolved flags turned out."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE outcome = 'upheld') AS upheld,
                  count(*) FILTER (WHERE outcome = 'rejected') AS rejected
           FROM flags WHERE user_id = $1 AND outcome IS NOT NULL""",
        user_id,
    )
    return int(row["upheld"]), int(row["rejected"])


async def standing(conn: asyncpg.Connection, user_id: int) -> tuple[int, int, bool]:
    """(upheld, rejected, published): the flagger's record, and whether they have a published report (not
    held, hidden or deleted) -- without one their flags weigh nothing (feed/trust/flags.py)."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE outcome = 'upheld') AS upheld,
                  count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
                  EXISTS (SELECT 1 FROM posts WHERE author_id = $1 AND held_at IS NULL
                          AND hidden_at IS NULL AND deleted_at IS NULL) AS published
           FROM flags WHERE user_id = $1 AND outcome IS NOT NULL""",
        user_id,
    )
    return int(row["upheld"]), int(row["rejected"]), bool(row["published"])


async def pending_weight(conn: asyncpg.Connection, target_type: str, target_id: int) -> float:
    value = await conn.fetchval(
        """SELECT coalesce(sum(weight), 0) FROM flags
           WHERE target_type = $1 AND target_id = $2 AND outcome IS NULL""",
        target_type,
        target_id,
    )
    return float(value)


async def resolve(conn: asyncpg.Connection, target_type: str, target_id: int, outcome: str) -> int:
    """Mark every pending flag on the target upheld or rejected; returns how many."""
    status = await conn.execute(
        """UPDATE flags SET outcome = $3, resolved_at = now()
           WHERE target_type = $1 AND target_id = $2 AND outcome IS NULL""",
        target_type,
        target_id,
        outcome,
    )
    return int(status.split()[-1])


# The queue: every post or comment with pending flags, and every held post; newest activity first or most
# flagged first. Deleted targets drop out; so do held posts already hidden (decided).
# Paged by keyset over a snapshot: $1 as_of freezes the ordering (only flags made and holds placed by then
# count towards an item's weight and time), so a flag arriving while a moderator pages cannot move an item
# from a later page to an earlier one (a skip) or back (a repeat); a resolved item simply drops out, which a
# keyset (unlike an offset) does not feel. New items appear on the next first page.
# $2 limit; then the last item's keys, NULL on the first page: (at, kind, id) newest first, (weight, at,
# kind, id) heaviest first. The weight is summed as
# numeric: a float sum could round differently from one plan to the next and break the keyset's equality.
_QUEUE = """
WITH flagged AS (
    SELECT target_type AS kind, target_id AS id, sum(weight::numeric) AS weight, count(*) AS flags,
           max(created_at) AS at
    FROM flags WHERE outcome IS NULL AND created_at <= $1 GROUP BY target_type, target_id
),
held AS (
    SELECT 'post'::text AS kind, id, 0::numeric AS weight, 0::bigint AS flags, held_at AS at
    FROM posts WHERE held_at IS NOT NULL AND held_at <= $1 AND hidden_at IS NULL AND deleted_at IS NULL
),
items AS (
    SELECT kind, id, sum(weight) AS weight, sum(flags) AS flags, max(at) AS at
    FROM (SELECT * FROM flagged UNION ALL SELECT * FROM held) u GROUP BY kind, id
)
SELECT i.kind, i.id, i.weight, i.flags, i.at,
       (SELECT array_agg(DISTINCT f.reason ORDER BY f.reason) FROM flags f
        WHERE f.target_type = i.kind AND f.target_id = i.id AND f.outcome IS NULL) AS reasons,
       p.id AS post_id, p.held_at, p.held_reason, p.hidden_at AS post_hidden_at, p.hidden_reason,
       c.hidden_at AS comment_hidden_at, c.text AS comment_text
FROM items i
LEFT JOIN comments c ON i.kind = 'comment' AND c.id = i.id
JOIN posts p ON p.id = CASE WHEN i.kind = 'post' THEN i.id ELSE c.post_id END
WHERE p.deleted_at IS NULL AND (c.id IS NULL OR c.deleted_at IS NULL) AND ({after})
ORDER BY {order}
LIMIT $2
"""
# After the last item in each ordering (weight and time descending, then kind and id ascending).
_NEWEST = (
    "i.at DESC, i.kind, i.id",
    "$5::bigint IS NULL OR i.at < $3 OR (i.at = $3 AND (i.kind, i.id) > ($4::text, $5::bigint))",
)
_FLAGS = (
    "i.weight DESC, i.at DESC, i.kind, i.id",
    """$6::bigint IS NULL OR i.weight < $3::numeric OR (i.weight = $3::numeric AND (i.at < $4
       OR (i.at = $4 AND (i.kind, i.id) > ($5::text, $6::bigint))))""",
)


async def snapshot_time(conn: asyncpg.Connection) -> datetime:
    """The database's clock: what a first page's snapshot is taken at (flags are stamped by it too)."""
    value: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return value


async def queue(
    conn: asyncpg.Connection,
    order: str,
    limit: int,
    as_of: datetime,
    after: tuple[Decimal, datetime, str, int] | None,
) -> list[asyncpg.Record]:
    by, after_last = _FLAGS if order == "flags" else _NEWEST
    sql = _QUEUE.format(order=by, after=after_last)
    weight, at, kind, item_id = after if after is not None else (None, None, None, None)
    keys = (weight, at, kind, item_id) if order == "flags" else (at, kind, item_id)
    return await conn.fetch(sql, as_of, limit, *keys)


async def of_target(conn: asyncpg.Connection, target_type: str, target_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT f.id, f.user_id, u.handle, f.reason, f.note, f.weight, f.outcome, f.created_at
           FROM flags f JOIN users u ON u.id = f.user_id
           WHERE f.target_type = $1 AND f.target_id = $2 ORDER BY f.id""",
        target_type,
        target_id,
    )
