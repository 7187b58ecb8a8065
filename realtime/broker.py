"""The broker interface and its in-process backend.

A broker carries bytes on named channels. Each process holds at most one broker subscription per channel (the
gateway counts its own users of a channel); every message arrives through one handler, in publish order.
`on_gap` is called when messages may have been lost (a Redis reconnect): the gateway then catches up from
PostgreSQL, so a lost connection is never a silent gap.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

Handler = Callable[[str, bytes], None]
GapHandler = Callable[[], None]


class Broker:
    name = "base"
    # What this backend raises when its server is unreachable: callers (the relay) treat those as an
    # outage to wait out, logged in one line, not as a bug with a traceback.
    connection_errors: tuple[type[BaseException], ...] = ()

    def __init__(self) -> None:
        self._handler: Handler = lambda channel, data: None
        self._on_gap: GapHandler = lambda: None
        self.channels: set[str] = set()

    def set_handlers(self, handler: Handler, on_gap: GapHandler) -> None:
        self._handler = handler
        self._on_gap = on_gap

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, channel: str, data: bytes) -> None:
        await self.publish_many([(channel, data)])

    async def publish_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        raise NotImplementedError

    async def subscribe(self, names: Collection[str]) -> None:
        """Returns once messages published on these channels from now on will be delivered."""
        raise NotImplementedError

    async def unsubscribe(self, names: Collection[str]) -> None:
        raise NotImplementedError


class MemoryBroker(Broker):
    """One process: publish calls the handler directly, in order, without copying."""

    name = "memory"

    async def publish_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        for channel, data in items:
            if channel in self.channels:
                self._handler(channel, data)

    async def subscribe(self, names: Collection[str]) -> None:
        self.channels.update(names)

    async def unsubscribe(self, names: Collection[str]) -> None:
        self.channels.difference_update(names)
