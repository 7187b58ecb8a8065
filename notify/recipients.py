"""Who is told of an outbox event, and which of its views each may see (kernel.visibility):
- officials of the event's areas (the report's area chain and owning agency; for an escalation the areas it
  escalates to) hear of a report routed to them (post.created), an escalation and a reopen; the new owner
  (the area or agency it was forwarded to, not the chain above) hears of a forward;
- the reporter and the report's followers hear of every status step, a comment, a merge.
Nobody hears of their own action, of a report that is hidden, held or deleted now, or of a comment hidden or
deleted now; each recipient gets the view of the audience they fall in now, never more (feed.core.outbox
stored one per audience when the event was written)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from db import comments as comments_db
from db import follows as follows_db
from db import posts as posts_db
from db import push as push_db
from db.owners import officials_of, owner_keys
from kernel.owners import agency_key
from kernel.visibility import PUBLIC, audience, comment_visible, post_visible

FOLLOWED = frozenset({"comment.created", "post.merged"})  # plus every status step (post.updated with a step)


@dataclass(frozen=True)
class Notice:
    user_id: int
    view: Mapping[str, Any]  # the event's view for this recipient's audience
    own_report: bool
    as_owner: bool = False  # told as an official the report is routed to (not as its reporter or follower)


async def notices(conn: asyncpg.Connection, event: Mapping[str, Any]) -> list[Notice]:
    """Everyone to tell of `event` (an events row), with what they may see of it."""
    payload, post_id, step = event["payload"], event["post_id"], _step(event["payload"])
    to_officials, to_followers = _who(event["type"], step)
    if post_id is None or not (to_officials or to_followers):
        return []
    post = await posts_db.get(conn, post_id)
    # A report that is hidden, held or deleted now is never announced, to anyone.
    if post is None or not post_visible(post, PUBLIC):
        return []
    comment = await comments_db.get(conn, payload["comment_id"]) if payload.get("comment_id") else None
    owners_told: set[int] = set()
    if to_officials:
        owners_told = set(await officials_of(conn, _routed_to(event, step, post)))
    wanted = set(owners_told)
    if to_followers:
        wanted |= {post["author_id"], *await follows_db.followers(conn, post_id)}
    wanted.discard(_actor(event["type"], payload, post))
    if not wanted:
        return []
    owners = await officials_of(conn, await owner_keys(conn, post["area_id"], post["agency_id"]))
    roles = await push_db.roles(conn, sorted(wanted))
    found = []
    for user_id in sorted(wanted):
        who = audience(user_id, roles.get(user_id), post["author_id"], owners)
        view = _view(payload, who)
        if view is None or not post_visible(post, who):
            continue
        if comment is not None and not comment_visible(comment, post, who):
            continue
        own = user_id == post["author_id"]
        found.append(Notice(user_id, view, own, as_owner=user_id in owners_told and not own))
    return found


def urgency(event_type: str) -> str:
    return "high" if event_type == "post.escalated" else "normal"


def _who(event_type: str, step: Mapping[str, Any] | None) -> tuple[bool, bool]:
    """(to the owning officials, to the reporter and followers) for this kind of event."""
    reopened = step is not None and step.get("kind") == "reopened"
    officials = event_type in ("post.created", "post.escalated") or reopened or _forwarded(step)
    followers = event_type in FOLLOWED or (event_type == "post.updated" and step is not None)
    return officials, followers


def _forwarded(step: Mapping[str, Any] | None) -> bool:
    return step is not None and step.get("kind") == "status" and step.get("status") == "forwarded"


def _routed_to(
    event: Mapping[str, Any], step: Mapping[str, Any] | None, post: Mapping[str, Any]
) -> list[int]:
    """The owner keys whose officials hear of the event: the event's own (the report's area chain and
    agency; an escalation's targets), or for a forward only the new owner: the area, or the agency."""
    if not _forwarded(step):
        return list(event["area_ids"])
    assert step is not None
    if step.get("to_area") is not None:
        return [step["to_area"]]
    return [agency_key(post["agency_id"])] if post["agency_id"] is not None else []


def _step(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The timeline step an event carries (the same in every view that has one)."""
    for view in payload["views"]:
        if view.get("step"):
            step: Mapping[str, Any] = view["step"]
            return step
    return None


def _actor(event_type: str, payload: Mapping[str, Any], post: Mapping[str, Any]) -> int | None:
    if event_type == "post.created":
        author: int = post["author_id"]
        return author
    step = _step(payload)
    if step is not None and step.get("actor"):
        actor: int = step["actor"]["id"]
        return actor
    if event_type == "comment.created":
        for view in payload["views"]:
            if view.get("comment", {}).get("author"):
                commenter: int = view["comment"]["author"]["id"]
                return commenter
    actor_id: int | None = payload.get("actor_id")
    return actor_id


def _view(payload: Mapping[str, Any], who: str) -> Mapping[str, Any] | None:
    index = payload["by"].get(who)
    if index is None:
        return None
    view: Mapping[str, Any] = payload["views"][index]
    return view
