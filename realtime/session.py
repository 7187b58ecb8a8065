"""What the gateway holds per socket (Client) and per subscription (Sub), with the exact event filter."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from kernel.geo import distance_m
from kernel.visibility import STAFF_ROLES
from realtime import channels
from realtime.protocol import Subscribe
from realtime.wire import Event

# A burst of 50 messages, then 20 a second: far above what a client needs, far below a flood.
RATE_BURST, RATE_PER_S = 50.0, 20.0


@dataclass(slots=True)
class User:
    id: int
    role: str
    token_digest: bytes

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class Bucket:
    """Token bucket for incoming messages."""

    __slots__ = ("at", "tokens")

    def __init__(self) -> None:
        self.tokens = RATE_BURST
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.at) * RATE_PER_S)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False, slots=True)
class Client:
    conn: Any  # websockets.asyncio.server.ServerConnection
    ip: str
    user: User | None = None
    subs: dict[str, Sub] = field(default_factory=dict)
    bucket: Bucket = field(default_factory=Bucket)
    closing: bool = False
    # Bytes of frames queued for this turn's write (gateway._out), and all bytes handed to the transport so
    # far: written minus the transport's backlog is what the kernel has taken, the progress 4008 looks at.
    queued: int = 0
    written: int = 0
    # While the backlog is over the limit: what the kernel had taken when last seen moving, and when.
    stall_sent: int = -1
    stall_at: float = 0.0


class Sub:
    """One subscription: its channels, its filter, and how far it has been served."""

    __slots__ = (
        "buffer",
        "categories",
        "channels",
        "client",
        "id",
        "id_json",
        "last_seq",
        "request",
    )

    def __init__(self, client: Client, request: Subscribe) -> None:
        self.client = client
        self.request = request
        self.id = request.id
        self.id_json = json.dumps(request.id).encode()
        self.categories = request.categories
        self.last_seq = 0
        # Events that arrive while the subscription replays from PostgreSQL wait here; None once live.
        self.buffer: list[Event] | None = []
        self.channels: tuple[str, ...]
        if request.kind == "near":
            self.channels = channels.for_near(request.lat, request.lon, request.radius_m)
        elif request.kind in ("area", "agency"):
            self.channels = (channels.area(request.area_id),)
        else:
            self.channels = (channels.MODERATION,)

    def matches(self, ev: Event) -> bool:
        """Where and what the subscription asked for; who may see the event is the view's business
        (Event.tail_for)."""
        if self.categories is not None and ev.category not in self.categories:
            return False
        r = self.request
        if r.kind == "near":
            return (
                ev.lat is not None
                and ev.lon is not None
                and (distance_m(r.lat, r.lon, ev.lat, ev.lon) <= r.radius_m)
            )
        if r.kind in ("area", "agency"):
            return r.area_id in ev.area_ids
        return True
