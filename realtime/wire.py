"""The relay → gateway message: a small routing header line, then the client-facing frame tail.

`{"seq":N,"type":…,"lat":…,"lon":…,"area_ids":[…],"category":…,"hidden":…}\n"seq":N,"event":…,"post":{…}}`

The gateway parses only the header (decode once per process) and glues the tail, byte for byte, behind
`{"type":"event","sub":<id>,` — so an event is encoded once by the relay, never once per socket. Replay from
PostgreSQL goes through the same `encode`, so live and replayed frames are identical.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

# The websocket protocol shows vote changes as post updates (the post JSON carries the new count).
_CLIENT_NAMES = {"vote.changed": ("post.updated", "vote.changed")}


@dataclass(slots=True)
class Event:
    seq: int
    type: str
    lat: float | None
    lon: float | None
    area_ids: tuple[int, ...]
    category: str | None
    hidden: bool
    tail: bytes  # `"seq":N,"event":…}` — a frame without its opening `{"type":"event","sub":…,`
    # A fuzzed post's event (docs/trust.md): the same tail plus "exact": {lat, lon}, for staff and `viewers`
    # (the author and the area's officials) only. Everyone else gets `tail`, which never contains it.
    exact_tail: bytes | None = None
    viewers: frozenset[int] = frozenset()

    def tail_for(self, user_id: int | None, staff: bool) -> bytes:
        if self.exact_tail is not None and (staff or (user_id is not None and user_id in self.viewers)):
            return self.exact_tail
        return self.tail


def encode(
    seq: int,
    type_: str,
    lat: float | None,
    lon: float | None,
    area_ids: list[int] | tuple[int, ...],
    payload: dict[str, Any],
) -> bytes:
    exact = payload.get("exact")
    if exact is not None:
        payload = {k: v for k, v in payload.items() if k != "exact"}
    found = payload.get("post")
    post: dict[str, Any] = found if isinstance(found, dict) else {}
    header = {
        "seq": seq,
        "type": type_,
        "lat": lat,
        "lon": lon,
        "area_ids": list(area_ids),
        "category": post.get("category"),
        "hidden": bool(post.get("hidden")),
    }
    if isinstance(exact, dict):
        header["viewers"] = list(exact.get("viewers") or ())
    name, cause = _CLIENT_NAMES.get(type_, (type_, None))
    body: dict[str, Any] = {"seq": seq, "event": name}
    if cause:
        body["cause"] = cause
    body.update(payload)
    head = json.dumps(header, separators=(",", ":")).encode()
    tail = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    if not isinstance(exact, dict):
        return head + b"\n" + tail[1:]
    # JSON text never holds a raw newline, so a second line can carry the private variant.
    body["exact"] = {"lat": exact.get("lat"), "lon": exact.get("lon")}
    private = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return head + b"\n" + tail[1:] + b"\n" + private[1:]


def encode_row(row: Any) -> bytes:
    """An events row (id, type, lat, lon, area_ids, payload) as a relay message."""
    return encode(row["id"], row["type"], row["lat"], row["lon"], row["area_ids"], row["payload"])


def decode(data: bytes) -> Event:
    cut = data.index(b"\n")
    h = json.loads(data[:cut])
    rest = data[cut + 1 :]
    second = rest.find(b"\n")
    tail, exact_tail = (rest, None) if second < 0 else (rest[:second], rest[second + 1 :])
    return Event(
        seq=h["seq"],
        type=h["type"],
        lat=h["lat"],
        lon=h["lon"],
        area_ids=tuple(h["area_ids"]),
        category=h["category"],
        hidden=h["hidden"],
        tail=tail,
        exact_tail=exact_tail,
        viewers=frozenset(h.get("viewers") or ()),
    )


def frame(sub_id_json: bytes, event: Event, tail: bytes | None = None) -> bytes:
    return b'{"type":"event","sub":' + sub_id_json + b"," + (event.tail if tail is None else tail)


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
