"""The trust and safety domain's request and response shapes, declared once (msgspec): moderation, flags,
the queue, suspensions, appeals, duplicates (docs/trust.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from feed.core.errors import invalid
from feed.core.shapes import Author, Comment, Cursor, DateTime, Post, page_size, strip_text

MAX_REASON = 500
MAX_NOTE = 500
MAX_APPEAL = 2000
MAX_DAYS = 3650
STAFF_LIMIT, STAFF_MAX_LIMIT = 50, 200  # the moderators' lists
REASONS = ("spam", "abuse", "false", "duplicate", "personal_data")
ACTIONS = ("hide", "restore", "dismiss")
DECISIONS = ("upheld", "lifted")
KINDS = ("post", "comment")

Reason = Annotated[str, Meta(min_length=1, max_length=MAX_REASON)]
Kind = Annotated[str, Meta(extra_json_schema={"enum": list(KINDS)})]
StaffPage = Annotated[int, page_size(STAFF_MAX_LIMIT)]


def one_of(value: str, choices: tuple[str, ...], name: str, problem: str | None = None) -> None:
    if value not in choices:
        raise invalid({name: problem or "one of " + ", ".join(choices)})


def enum(choices: tuple[str, ...]) -> Meta:
    return Meta(extra_json_schema={"enum": list(choices)})


class HideReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason

    def __post_init__(self) -> None:
        strip_text(self, "reason")


class UnhideReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None

    def __post_init__(self) -> None:
        strip_text(self, "reason")


class LogEntry(msgspec.Struct):
    id: int
    actor: Author | None
    action: str
    target_type: str
    target_id: int
    reason: str | None
    created_at: DateTime


class LogParams(msgspec.Struct, forbid_unknown_fields=True):
    limit: StaffPage = STAFF_LIMIT
    before: Cursor = None


class NewFlag(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, enum(REASONS)]
    note: Annotated[str, Meta(max_length=MAX_NOTE)] | None = None

    def __post_init__(self) -> None:
        one_of(self.reason, REASONS, "reason")
        self.note = (self.note or "").strip() or None


class Flag(msgspec.Struct):
    id: int
    target_type: Kind
    target_id: int
    reason: str
    weight: float
    hidden: Annotated[bool, Meta(description="the target is hidden (now or already)")]


class QueueParams(msgspec.Struct, forbid_unknown_fields=True):
    order: Annotated[str, enum(("newest", "flags")), Meta(description="Ordering.")] = "newest"
    limit: StaffPage = STAFF_LIMIT
    cursor: Cursor = None

    def __post_init__(self) -> None:
        one_of(self.order, ("newest", "flags"), "order", "newest or flags")


class FlagBy(msgspec.Struct):
    user: Author
    reason: str
    note: str | None
    weight: float


class QueueItem(msgspec.Struct, kw_only=True):
    """A flagged or held item (docs/trust.md)."""

    kind: Kind
    id: int
    post_id: int
    flags: int
    weight: float
    reasons: list[str]
    held: bool
    hidden: bool
    at: DateTime
    post: Post
    comment: Comment | msgspec.UnsetType | None = msgspec.UNSET
    flag_list: list[FlagBy]


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    action: Annotated[str, enum(ACTIONS)]
    reason: Reason

    def __post_init__(self) -> None:
        one_of(self.action, ACTIONS, "action")
        strip_text(self, "reason")


class QueuePath(msgspec.Struct):
    kind: Kind
    id: Annotated[int, Meta(ge=1)]


class Suspend(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason
    days: Annotated[int, Meta(ge=1, le=MAX_DAYS)]
    hide_content: bool = False

    def __post_init__(self) -> None:
        strip_text(self, "reason")


class NewAppeal(msgspec.Struct, forbid_unknown_fields=True):
    handle: Annotated[str, Meta(min_length=1)]
    password: Annotated[str, Meta(min_length=1)]
    text: Annotated[str, Meta(min_length=1, max_length=MAX_APPEAL)]

    def __post_init__(self) -> None:
        strip_text(self, "text")


class Appeal(msgspec.Struct):
    """An appeal against a suspension (docs/trust.md)."""

    id: int
    suspension_id: int
    user: Author
    text: str
    suspension_reason: str
    suspended_until: DateTime | None
    created_at: DateTime
    decision: str | None
    decision_reason: str | None
    decided_at: DateTime | None


class AppealsParams(msgspec.Struct, forbid_unknown_fields=True):
    pending: Annotated[bool, Meta(description="Undecided only.")] = False
    limit: StaffPage = STAFF_LIMIT
    before: Cursor = None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    decision: Annotated[str, enum(DECISIONS)]
    reason: Reason

    def __post_init__(self) -> None:
        one_of(self.decision, DECISIONS, "decision", "upheld (the suspension stands) or lifted")
        strip_text(self, "reason")


class Merge(msgspec.Struct, forbid_unknown_fields=True):
    into: Annotated[int, Meta(ge=1, le=2**63 - 1)]
    reason: Annotated[str, Meta(max_length=MAX_REASON)] | None = None


Loose = dict[str, Any]  # an answer documented in docs/trust.md, not (yet) declared field by field
