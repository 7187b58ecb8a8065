"""Spam signals and new-account limits: decide, inside the creating transaction, whether a post is held for
review instead of published. Each rule names its reason (shown to moderators in the queue):

- new_account: an account younger than `new_account_hours` publishes at most `new_account_posts` posts;
- same_text: the author posted the same text (case, spacing and punctuation aside) in the last 24 hours;
- links: more than `spam_max_links` links in the text;
- burst: `spam_burst_posts` or more posts by the author within `spam_burst_window_s`.

Officials, moderators and admins are never held. Holds follow `spam_holds` (on, off, or auto = whenever this
process's rate limits are on: WARGA_RATE_LIMITS=off turns both off for benchmarks and load tests, and the demo
seeder's pause of the limiter pauses holds too).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from db import duplicates as duplicates_db
from feed.core.auth import User

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
SAME_TEXT_WINDOW = timedelta(hours=24)
MESSAGE = "Your report is held for review by a moderator before it is published."


def enabled(settings: Any, limits_on: bool) -> bool:
    mode = settings.spam_holds.lower()
    if mode == "auto":
        return limits_on
    return bool(mode in {"on", "1", "true", "yes"})


def normalise(text: str) -> str:
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def link_count(text: str) -> int:
    return len(_LINK.findall(text))


async def hold_reason(
    conn: asyncpg.Connection, settings: Any, user: User, text: str, now: datetime, *, limits_on: bool
) -> str | None:
    if not enabled(settings, limits_on) or user.role != "citizen":
        return None
    if link_count(text) > settings.spam_max_links:
        return "links"
    window_s = max(
        SAME_TEXT_WINDOW.total_seconds(), settings.spam_burst_window_s, settings.new_account_hours * 3600
    )
    recent = await duplicates_db.recent_by_author(conn, user.id, window_s)
    young = now - user.created_at < timedelta(hours=settings.new_account_hours)
    if young and len(recent) >= settings.new_account_posts:
        return "new_account"
    burst_since = now - timedelta(seconds=settings.spam_burst_window_s)
    if sum(1 for r in recent if r["created_at"] > burst_since) >= settings.spam_burst_posts:
        return "burst"
    mine = normalise(text)
    if mine and any(
        r["created_at"] > now - SAME_TEXT_WINDOW and normalise(r["text"]) == mine for r in recent
    ):
        return "same_text"
    return None
