"""The one outbox emitter. Every event any handler writes goes through emit() here, and every event type is
declared in REGISTRY with the audiences that may receive it; emit() refuses a name that is not declared.

An event stores one view per audience class (kernel.visibility), built from the same serializers and the same
rule as the REST API, as of the writing transaction: the public, the post's author, the officials who own it
and staff each get what `GET /api/posts/{id}` (or the comment list) would show them, or nothing. Identical
views are stored once. The gateway picks a socket's view at delivery time (realtime.wire, realtime.gateway)
and, for replay and catch-up, drops the views of what its viewer may no longer see now.

Withdrawals (a post hidden or deleted, a comment hidden) tell non-staff only ids, and only those who could
see the item before; moderators' reasons and queue details reach staff alone. An event that neither the
public nor the officials may see anything of (staff-only types: flags, the queue, holds; anything about a
held post) carries no position or area, so only the moderation channel hears it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from db import comments as comments_db
from db import events as events_db
from db import posts as posts_db
from db.owners import officials_of, owner_keys
from feed.core.privacy import is_fuzzed
from feed.core.serialize import comment_json, post_json
from kernel.visibility import (
    AUDIENCES,
    AUTHOR,
    OFFICIAL,
    PUBLIC,
    STAFF,
    comment_visible,
    post_visible,
    tombstone,
)

ALL = frozenset(AUDIENCES)
STAFF_ONLY = frozenset({STAFF})


@dataclass(frozen=True)
class EventType:
    name: str
    audiences: frozenset[str]  # who may receive it at all; others never hear of it
    # A withdrawal clears what the event is about for those who could see it: ("post", "hidden_at") means
    # "the post was visible before this hidden_at was set". Non-staff get ids only.
    withdraws: tuple[str, str] | None = None
    ids_only: bool = False  # non-staff get the post's id and the extra fields, never its content
    staff_fields: frozenset[str] = frozenset()  # extra fields for staff alone (reasons, queue details)
    located: bool = True  # published to the post's map cells too, not only to its areas

    @property
    def staff_only(self) -> bool:
        return self.audiences == STAFF_ONLY


_QUEUE = frozenset({"queue"})
_REASONS = frozenset({"reason", "queue"})

REGISTRY: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType("post.created", ALL, staff_fields=_QUEUE),  # new, or a held post released
        EventType("post.updated", ALL),  # a status step (with "step"), a deleted comment's new count
        EventType("vote.changed", ALL),
        EventType("post.unhidden", ALL, staff_fields=_QUEUE),
        EventType("post.hidden", ALL, withdraws=("post", "hidden_at"), staff_fields=_REASONS),
        EventType("post.deleted", ALL, withdraws=("post", "deleted_at")),
        EventType("post.merged", ALL, ids_only=True),
        EventType("post.escalated", ALL, located=False),  # to the areas it escalates to
        EventType("comment.created", ALL),
        EventType("comment.unhidden", ALL, staff_fields=_QUEUE),
        EventType("comment.hidden", ALL, withdraws=("comment", "hidden_at"), staff_fields=_QUEUE),
        EventType("post.held", STAFF_ONLY),
        EventType("flag.created", STAFF_ONLY),
        EventType("queue.resolved", STAFF_ONLY),
    )
}


async def emit(
    conn: asyncpg.Connection,
    storage: Any,
    name: str,
    post_id: int,
    extra: Mapping[str, Any] | None = None,
    *,
    comment_id: int | None = None,
    areas: Collection[int] | None = None,
    actor_id: int | None = None,
) -> dict[str, Any]:
    """Append the outbox event `name` about a post (and a comment), as of this transaction; returns the
        post's JSON as staff see it. `areas` overrides whom an area-routed event reaches (default: the post's
        area chain and owning agency). `actor_id` names who acted where neither the step nor the comment says
    (notify/ tells everyone concerned but them). Must be the last statement before commit (see db.events)."""
    kind = REGISTRY[name]  # an undeclared event type cannot be written
    # The post and the comment are built here, per audience; passed in, they would reach everyone.
    assert extra is None or not {"post", "comment"} & extra.keys(), "pass comment_id, not the JSON"
    row = await posts_db.get(conn, post_id)
    assert row is not None, "emit() is called after the post row was locked"
    body = post_json(row, storage)
    comment = None
    if comment_id is not None:
        comment = await comments_db.get(conn, comment_id)
        assert comment is not None
    if areas is None:
        areas = await owner_keys(conn, row["area_id"], row["agency_id"])
    exact = {"lat": row["lat"], "lon": row["lon"]} if is_fuzzed(row) else None
    # Officials are told apart from the public only where their view differs: a fuzzed post's position.
    officials = await officials_of(conn, areas) if exact is not None and not kind.staff_only else []
    views: list[dict[str, Any]] = []
    by: dict[str, int | None] = {}
    for who in AUDIENCES:
        view = _view(kind, who, row, body, exact, comment, extra or {})
        if view is None:
            by[who] = None
            continue
        if view not in views:
            views.append(view)
        by[who] = views.index(view)
    payload = {
        "views": views,
        "by": by,
        "author_id": row["author_id"],
        "official_ids": officials,
        "category": row["category"],
        "comment_id": comment_id,
        "withdraws": kind.withdraws is not None,
        "actor_id": actor_id,
    }
    # Published on the map cells and the areas only if the public or the officials may see something of
    # it; otherwise (a staff-only type, anything about a held post) on the moderation channel alone: a held
    # post's story never travels on a public channel, not even as ids (its author reads it over REST).
    routed = by[PUBLIC] is not None or by[OFFICIAL] is not None
    located = routed and kind.located
    await events_db.append(
        conn,
        name,
        payload,
        post_id=post_id,
        lat=row["pub_lat"] if located else None,
        lon=row["pub_lon"] if located else None,
        area_ids=list(areas) if routed else (),
    )
    return body


def _view(
    kind: EventType,
    who: str,
    row: Mapping[str, Any],
    body: dict[str, Any],
    exact: dict[str, Any] | None,
    comment: Mapping[str, Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any] | None:
    """What `who` is told by this event, or None: the one place an event's content meets the rule."""
    if who not in kind.audiences:
        return None
    fields = {k: v for k, v in extra.items() if who == STAFF or k not in kind.staff_fields}
    if kind.withdraws is not None and not (who == STAFF and post_visible(row, who)):
        # Gone for this viewer (staff still see a hidden post, not a deleted one): ids only, and only to
        # those who could see it before.
        target, cleared = kind.withdraws
        if target == "post":
            could = post_visible({**row, cleared: None}, who)
            return {**fields, "post": tombstone(row["id"])} if could else None
        assert comment is not None
        if not comment_visible({**comment, cleared: None}, row, who):
            return None
        gone = {**tombstone(comment["id"]), "post_id": row["id"]}
        return {**fields, "post": {"id": row["id"]}, "comment": gone}
    if not post_visible(row, who):
        return None
    if comment is not None and not comment_visible(comment, row, who):
        return None
    if kind.ids_only and who != STAFF:
        return {**fields, "post": {"id": row["id"], "merged_into": row["merged_into"]}}
    view = {**fields, "post": body}
    if exact is not None and who in (AUTHOR, OFFICIAL, STAFF):
        view["exact"] = exact  # beside the post, as the REST answer has it beside its public position
    if comment is not None:
        view["comment"] = comment_json(comment)
    return view
