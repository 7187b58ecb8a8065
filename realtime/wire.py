"""The relay → gateway message: a small routing header line, then one client-facing frame tail per view.

`{"seq":N,"type":…,"lat":…,"lon":…,"area_ids":[…],"category":…,"by":[0,0,1,1],"author":…,…}` then lines of
`"seq":N,"event":…,"post":{…}}`, one per distinct view of the event (feed.core.outbox builds them, one per
audience class of kernel.visibility: public, author, official, staff; `by` maps each class to its line, -1 for
none). The gateway parses only the header (decode once per process), picks a socket's line by its class and
glues it, byte for byte, behind `{"type":"event","sub":<id>,` — so an event is encoded once by the relay,
never once per socket. Replay from PostgreSQL goes through the same `encode`, so live and replayed frames
are identical.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel.visibility import AUDIENCES, STAFF, audience, comment_visible, post_visible

# The websocket protocol shows vote changes as post updates (the post JSON carries the new count).
_CLIENT_NAMES = {"vote.changed": ("post.updated", "vote.changed")}
_SLOT = {who: i for i, who in enumerate(AUDIENCES)}
_NONE = -1


@dataclass(slots=True)
class Event:
    seq: int
    type: str
    lat: float | None
    lon: float | None
    area_ids: tuple[int, ...]
    category: str | None
    tails: tuple[bytes, ...]  # `"seq":N,"event":…}` — frames without their opening `{"type":"event","sub":…,`
    by: tuple[int, ...]  # per audience class (AUDIENCES order): index into tails, or -1: not for them
    author_id: int | None = None
    officials: frozenset[int] = frozenset()
    post_id: int | None = None
    comment_id: int | None = None
    withdraws: bool = False  # its non-staff views are ids only: only staff's is re-checked at replay
    # The one tail every class gets, when they all get the same (most events): the fan-out's fast path.
    uniform: bytes | None = None

    def tail_for(self, user_id: int | None, role: str | None) -> bytes | None:
        """This event as a viewer sees it (kernel.visibility's class), or None: not for them."""
        i = self.by[_SLOT[audience(user_id, role, self.author_id, self.officials)]]
        return None if i == _NONE else self.tails[i]

    def as_now(self, post: Mapping[str, Any] | None, comment: Mapping[str, Any] | None) -> Event:
        """This event with the views of every class that may not see its post (or comment) now taken away:
        a replay or catch-up serves what the viewer may see at delivery, not what they might at commit.
        (Posts and comments are never removed from the database, only marked: an event whose post has no
        row was written without one, by a test or a bench, and is served as stored.)"""
        if post is None:
            return self
        by = list(self.by)
        for who, slot in _SLOT.items():
            if by[slot] == _NONE or (self.withdraws and who != STAFF):
                continue  # a withdrawal's non-staff views are ids only: nothing in them to withhold
            if not post_visible(post, who):
                by[slot] = _NONE
            elif self.comment_id is not None and (comment is None or not comment_visible(comment, post, who)):
                by[slot] = _NONE
        if by == list(self.by):
            return self
        return dataclasses.replace(self, by=tuple(by), uniform=_uniform(self.tails, by))


def encode(
    seq: int,
    type_: str,
    lat: float | None,
    lon: float | None,
    area_ids: list[int] | tuple[int, ...],
    payload: dict[str, Any],
    post_id: int | None = None,
) -> bytes:
    if "views" not in payload:
        payload = _from_single_view(type_, payload)
    header = {
        "seq": seq,
        "type": type_,
        "lat": lat,
        "lon": lon,
        "area_ids": list(area_ids),
        "category": payload.get("category"),
        "by": [_NONE if payload["by"].get(who) is None else payload["by"][who] for who in AUDIENCES],
        "author": payload.get("author_id"),
        "officials": list(payload.get("official_ids") or ()),
        "post": post_id,
        "comment": payload.get("comment_id"),
        "withdraws": bool(payload.get("withdraws")),
    }
    name, cause = _CLIENT_NAMES.get(type_, (type_, None))
    lines = [json.dumps(header, separators=(",", ":")).encode()]
    for view in payload["views"]:
        body: dict[str, Any] = {"seq": seq, "event": name}
        if cause:
            body["cause"] = cause
        body.update(view)
        # JSON text never holds a raw newline, so each view is a line of its own.
        lines.append(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()[1:])
    return b"\n".join(lines)


def _from_single_view(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event written with one payload for all (before feed.core.outbox built views per audience, and the
    tests' raw events): everyone sees it, a fuzzed post's `exact` only staff and its listed viewers, and a
    hidden post's events only staff."""
    exact = payload.get("exact")
    public = {k: v for k, v in payload.items() if k != "exact"}
    found = public.get("post")
    post: dict[str, Any] = found if isinstance(found, dict) else {}
    views, private = [public], 0
    officials: list[int] = []
    if isinstance(exact, dict):
        views.append({**public, "exact": {"lat": exact.get("lat"), "lon": exact.get("lon")}})
        private, officials = 1, list(exact.get("viewers") or ())
    hidden = bool(post.get("hidden")) and type_ != "post.hidden"
    return {
        "views": views,
        "by": {
            "public": None if hidden else 0,
            "author": None if hidden else private,
            "official": None if hidden else private,
            "staff": private,
        },
        "official_ids": officials,
        "category": post.get("category"),
        "comment_id": comment["id"] if isinstance(comment := public.get("comment"), dict) else None,
    }


def encode_row(row: Any) -> bytes:
    """An events row (id, type, post_id, lat, lon, area_ids, payload) as a relay message."""
    return encode(
        row["id"], row["type"], row["lat"], row["lon"], row["area_ids"], row["payload"], row["post_id"]
    )


def decode(data: bytes) -> Event:
    lines = data.split(b"\n")
    h = json.loads(lines[0])
    tails = tuple(lines[1:])
    by = tuple(h["by"])
    return Event(
        seq=h["seq"],
        type=h["type"],
        lat=h["lat"],
        lon=h["lon"],
        area_ids=tuple(h["area_ids"]),
        category=h["category"],
        tails=tails,
        by=by,
        author_id=h.get("author"),
        officials=frozenset(h.get("officials") or ()),
        post_id=h.get("post"),
        comment_id=h.get("comment"),
        withdraws=h.get("withdraws", False),
        uniform=_uniform(tails, by),
    )


def _uniform(tails: tuple[bytes, ...], by: tuple[int, ...] | list[int]) -> bytes | None:
    first = by[0]
    if first == _NONE or any(i != first for i in by):
        return None
    return tails[first]


def frame(sub_id_json: bytes, tail: bytes) -> bytes:
    return b'{"type":"event","sub":' + sub_id_json + b"," + tail


def ws_text_frame(payload: bytes) -> bytes:
    """A complete, unmasked, uncompressed websocket text frame (RFC 6455 §5.2), built once and written to
    every socket as is. Valid because the gateway negotiates no extensions and never fragments."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload
