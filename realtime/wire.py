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


def encode(
    seq: int,
    type_: str,
    lat: float | None,
    lon: float | None,
    area_ids: list[int] | tuple[int, ...],
    payload: dict[str, Any],
) -> bytes:
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
    name, cause = _CLIENT_NAMES.get(type_, (type_, None))
    body: dict[str, Any] = {"seq": seq, "event": name}
    if cause:
        body["cause"] = cause
    body.update(payload)
    head = json.dumps(header, separators=(",", ":")).encode()
    tail = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return head + b"\n" + tail[1:]


def encode_row(row: Any) -> bytes:
    """An events row (id, type, lat, lon, area_ids, payload) as a relay message."""
    return encode(row["id"], row["type"], row["lat"], row["lon"], row["area_ids"], row["payload"])


def decode(data: bytes) -> Event:
    cut = data.index(b"\n")
    h = json.loads(data[:cut])
    return Event(
        seq=h["seq"],
        type=h["type"],
        lat=h["lat"],
        lon=h["lon"],
        area_ids=tuple(h["area_ids"]),
        category=h["category"],
        hidden=h["hidden"],
        tail=data[cut + 1 :],
    )


def frame(sub_id_json: bytes, event: Event) -> bytes:
    return b'{"type":"event","sub":' + sub_id_json + b"," + event.tail


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
