"""The one visibility rule: who may see what of a post or a comment, now. Every read path asks here — the
REST API (feed.core.privacy), the outbox emitter that builds each event's views (feed.core.outbox), and the
websocket gateway when it delivers, replays or catches up (realtime.gateway) — so no channel shows what
another withholds.

A viewer falls in one of four audience classes relative to a post; what each may see is decided by the
post's state alone, so an event carries one view per class (not per socket) and fan-out stays cheap:
- staff (moderators, admins): everything but deleted posts and comments, with moderators' reasons;
- the author: their own post while it is held for review (not once hidden or deleted), and its exact
  position if fuzzed;
- officials of the post's area chain or owning agency: what the public sees, plus the exact position;
- the public (anyone else, signed in or not): posts that are neither held, hidden nor deleted, at their
  public (fuzzed) position.
A comment is seen where its post is, unless it is deleted (by no one) or hidden (by staff only).

This module imports nothing of warga's other packages: it is part of the kernel every layer may use.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

PUBLIC, AUTHOR, OFFICIAL, STAFF = "public", "author", "official", "staff"
AUDIENCES = (PUBLIC, AUTHOR, OFFICIAL, STAFF)
STAFF_ROLES = frozenset({"moderator", "admin"})


def audience(
    user_id: int | None, role: str | None, author_id: int | None, official_ids: Collection[int] = ()
) -> str:
    """The class a viewer falls in for one post. Staff first: a moderator's own post is still staff's."""
    if user_id is None:
        return PUBLIC
    if role in STAFF_ROLES:
        return STAFF
    if author_id is not None and user_id == author_id:
        return AUTHOR
    if user_id in official_ids:
        return OFFICIAL
    return PUBLIC


def post_visible(state: Mapping[str, Any], who: str) -> bool:
    """Whether a post in `state` (deleted_at, hidden_at, held_at: None or a time) exists for `who`."""
    if state["deleted_at"] is not None:
        return False
    if state["hidden_at"] is not None:
        return who == STAFF
    if state["held_at"] is not None:
        return who in (STAFF, AUTHOR)
    return True


def comment_visible(comment: Mapping[str, Any], post: Mapping[str, Any], who: str) -> bool:
    """Whether a comment in `comment` (deleted_at, hidden_at) on a post in `post` exists for `who`."""
    if comment["deleted_at"] is not None or not post_visible(post, who):
        return False
    return comment["hidden_at"] is None or who == STAFF


def tombstone(item_id: int) -> dict[str, Any]:
    """What a viewer who may not see a post or comment (any more) is told of it: that it is gone."""
    return {"id": item_id, "removed": True}
