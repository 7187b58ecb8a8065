"""Comments on posts: insert, read, lock, page newest first, soft delete, hide."""

from __future__ import annotations

import asyncpg

COMMENT_COLUMNS = """c.id, c.post_id, c.author_id, u.handle AS author_handle, c.text, c.created_at,
    c.deleted_at, c.hidden_at, c.hidden_reason"""


async def insert(conn: asyncpg.Connection, post_id: int, author_id: int, text: str) -> int:
    comment_id: int = await conn.fetchval(
        "INSERT INTO comments (post_id, author_id, text) VALUES ($1, $2, $3) RETURNING id",
        post_id,
        author_id,
        text,
    )
    return comment_id


async def get(conn: asyncpg.Connection, comment_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id = $1",
        comment_id,
    )


async def post_of(conn: asyncpg.Connection, comment_id: int) -> int | None:
    """The post a comment belongs to (never changes, so it may be read before taking locks)."""
    value: int | None = await conn.fetchval("SELECT post_id FROM comments WHERE id = $1", comment_id)
    return value


async def lock(conn: asyncpg.Connection, comment_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, post_id, author_id, deleted_at, hidden_at FROM comments WHERE id = $1 FOR UPDATE",
        comment_id,
    )


async def page(
    conn: asyncpg.Connection, post_id: int, below_id: int, limit: int, *, staff: bool
) -> list[asyncpg.Record]:
    """Comments of a post with id < below_id, newest first; hidden ones only for staff."""
    return await conn.fetch(
        f"""SELECT {COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.author_id
            WHERE c.post_id = $1 AND c.id < $2 AND c.deleted_at IS NULL AND ($4 OR c.hidden_at IS NULL)
            ORDER BY c.id DESC LIMIT $3""",
        post_id,
        below_id,
        limit,
        staff,
    )


async def mark_deleted(conn: asyncpg.Connection, comment_id: int) -> None:
    await conn.execute("UPDATE comments SET deleted_at = now() WHERE id = $1", comment_id)


async def set_hidden(conn: asyncpg.Connection, comment_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE comments SET hidden_at = now(), hidden_reason = $2 WHERE id = $1", comment_id, reason
    )


async def clear_hidden(conn: asyncpg.Connection, comment_id: int) -> None:
    await conn.execute("UPDATE comments SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1", comment_id)
