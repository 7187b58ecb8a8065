"""Suspensions and their appeals."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def lock_user(conn: asyncpg.Connection, user_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, handle, role, suspended_until FROM users WHERE id = $1 FOR UPDATE", user_id
    )


async def suspend(
    conn: asyncpg.Connection, user_id: int, actor_id: int, reason: str, ends_at: datetime, hide_content: bool
) -> int:
    await conn.execute(
        "UPDATE users SET suspended_until = $2, suspension_reason = $3 WHERE id = $1",
        user_id,
        ends_at,
        reason,
    )
    suspension_id: int = await conn.fetchval(
        """INSERT INTO suspensions (user_id, actor_id, reason, ends_at, hide_content)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        user_id,
        actor_id,
        reason,
        ends_at,
        hide_content,
    )
    return suspension_id


async def lift(conn: asyncpg.Connection, suspension_id: int, user_id: int) -> None:
    await conn.execute("UPDATE suspensions SET lifted_at = now() WHERE id = $1", suspension_id)
    await conn.execute(
        "UPDATE users SET suspended_until = NULL, suspension_reason = NULL WHERE id = $1", user_id
    )


async def current(conn: asyncpg.Connection, user_id: int) -> asyncpg.Record | None:
    """The user's suspension in force now, if any."""
    return await conn.fetchrow(
        """SELECT id, reason, starts_at, ends_at FROM suspensions
           WHERE user_id = $1 AND lifted_at IS NULL AND ends_at > now() ORDER BY id DESC LIMIT 1""",
        user_id,
    )


async def visible_posts_of(conn: asyncpg.Connection, user_id: int) -> list[int]:
    rows = await conn.fetch(
        """SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL
           ORDER BY id FOR UPDATE""",
        user_id,
    )
    return [r["id"] for r in rows]


async def visible_comments_of(conn: asyncpg.Connection, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT c.id, c.post_id FROM comments c JOIN posts p ON p.id = c.post_id
           WHERE c.author_id = $1 AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND p.deleted_at IS NULL
           ORDER BY c.post_id, c.id""",
        user_id,
    )


async def insert_appeal(conn: asyncpg.Connection, suspension_id: int, user_id: int, text: str) -> int | None:
    """The appeal's id, or None if this suspension was already appealed."""
    return await conn.fetchval(
        """INSERT INTO appeals (suspension_id, user_id, text) VALUES ($1, $2, $3)
           ON CONFLICT (suspension_id) DO NOTHING RETURNING id""",
        suspension_id,
        user_id,
        text,
    )


_APPEAL = """SELECT a.id, a.suspension_id, a.user_id, u.handle, a.text, a.created_at, a.decision,
                    a.decided_by, a.decision_reason, a.decided_at, s.reason AS suspension_reason, s.ends_at
             FROM appeals a JOIN suspensions s ON s.id = a.suspension_id JOIN users u ON u.id = a.user_id"""


async def appeals_page(
    conn: asyncpg.Connection, pending_only: bool, below_id: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""{_APPEAL} WHERE a.id < $1 AND ($2 = false OR a.decision IS NULL) ORDER BY a.id DESC LIMIT $3""",
        below_id,
        pending_only,
        limit,
    )


async def lock_appeal(conn: asyncpg.Connection, appeal_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_APPEAL} WHERE a.id = $1 FOR UPDATE OF a", appeal_id)


async def decide_appeal(
    conn: asyncpg.Connection, appeal_id: int, decision: str, actor_id: int, reason: str | None
) -> None:
    await conn.execute(
        """UPDATE appeals SET decision = $2, decided_by = $3, decision_reason = $4, decided_at = now()
           WHERE id = $1""",
        appeal_id,
        decision,
        actor_id,
        reason,
    )


async def refusal_details(conn: asyncpg.Connection, user_id: int) -> asyncpg.Record | None:
    """The suspension in force with whether it was appealed: what sign-in tells a suspended user."""
    return await conn.fetchrow(
        """SELECT s.reason, s.ends_at,
                  EXISTS (SELECT 1 FROM appeals a WHERE a.suspension_id = s.id) AS appealed
           FROM suspensions s
           WHERE s.user_id = $1 AND s.lifted_at IS NULL AND s.ends_at > now() ORDER BY s.id DESC LIMIT 1""",
        user_id,
    )
