"""Redis pub/sub backend: many processes and machines share one Redis.

Publishing uses an ordinary client (pipelined: one round trip per relay batch, order kept). Receiving uses one
pub/sub connection read by one task. redis-py would reconnect and resubscribe a pub/sub connection silently,
which would hide lost messages, so retries are off and this module reconnects itself: a fresh connection,
every channel subscribed again and confirmed, then `on_gap` so the gateway replays from PostgreSQL what it may
have missed. A subscribe returns only after Redis confirmed it, so "live from now" really is from now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Collection, Iterable
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kernel import metrics
from kernel.tasks import cancel_and_wait
from realtime.broker import Broker

log = logging.getLogger("warga.realtime.redis")

_BACKOFF_START_S, _BACKOFF_MAX_S = 0.1, 5.0
_LOST = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class RedisBroker(Broker):
    name = "redis"
    connection_errors = _LOST

    def __init__(self, url: str, prefix: str = "warga") -> None:
        super().__init__()
        self._publisher = redis.Redis.from_url(url)
        # Redis pub/sub ignores the database number: staging on /1 and production on /0 of one server would
        # hear each other's events. Every channel on the wire carries the prefix and the URL's database, so
        # deployments that keep their data apart the usual way (database numbers, or WARGA_REDIS_PREFIX) keep
        # their events apart too. Inside warga, names stay unprefixed.
        db = self._publisher.connection_pool.connection_kwargs.get("db", 0)
        self._ns = f"{prefix}:{db}:"
        # Named, so an operator (or a test) can tell which pub/sub connection belongs to which process.
        self.client_name = f"warga-pubsub-{os.getpid()}-{secrets.token_hex(3)}"
        self._receiver = redis.Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=5,
            socket_keepalive=True,
            client_name=self.client_name,
        )
        self._pubsub: Any = None
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def start(self) -> None:
        self._pubsub = self._receiver.pubsub()
        await self._pubsub.connect()  # fail fast at startup if Redis is not there
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")

    async def close(self) -> None:
        if self._reader is not None:
            await cancel_and_wait(self._reader)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._publisher.aclose()
        await self._receiver.aclose()

    async def publish_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        async with self._publisher.pipeline(transaction=False) as pipe:
            for channel, data in items:
                pipe.publish(self._ns + channel, data)
            await pipe.execute()

    async def subscribe(self, names: Collection[str]) -> None:
        if not names:
            return
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[None]] = []
        for channel in names:
            future: asyncio.Future[None] = loop.create_future()
            self._waiting.setdefault(channel, []).append(future)
            futures.append(future)
        self.channels.update(names)
        try:
            await self._pubsub.subscribe(*(self._ns + n for n in names))
        except _LOST:
            pass  # the reader reconnects and subscribes every channel again; the futures resolve then
        await asyncio.gather(*futures)

    async def unsubscribe(self, names: Collection[str]) -> None:
        if not names:
            return
        self.channels.difference_update(names)
        with contextlib.suppress(*_LOST):
            await self._pubsub.unsubscribe(*(self._ns + n for n in names))

    async def _read_forever(self) -> None:
        backoff = _BACKOFF_START_S
        while True:
            try:
                await self._read(self._pubsub)
            except _LOST as exc:
                log.warning("redis pub/sub connection lost (%s); reconnecting", type(exc).__name__)
            while True:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                try:
                    await self._reconnect()
                    backoff = _BACKOFF_START_S
                    break
                except _LOST as exc:
                    log.warning("redis reconnect failed (%s); retrying in %.1fs", type(exc).__name__, backoff)

    async def _read(self, pubsub: Any) -> None:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                self._on_message(message)

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = self._name(message["channel"])
        if kind == "message":
            if channel in self.channels:
                self._handler(channel, message["data"])
        elif kind == "subscribe":
            for future in self._waiting.pop(channel, []):
                if not future.done():
                    future.set_result(None)

    async def _reconnect(self) -> None:
        old = self._pubsub
        with contextlib.suppress(Exception):
            await old.aclose()
        pubsub = self._receiver.pubsub()
        await pubsub.connect()
        self._pubsub = pubsub  # from here on, new subscriptions go to the new connection
        wanted = set(self.channels)
        early: list[dict[str, Any]] = []
        if wanted:
            await pubsub.subscribe(*(self._ns + n for n in wanted))
        # Hold any message until every channel is confirmed: only then can the catch-up read from
        # PostgreSQL be sure that anything it does not see will arrive here.
        while wanted:
            message = await pubsub.get_message(timeout=1.0)
            if message is None:
                continue
            if message["type"] == "subscribe":
                wanted.discard(self._name(message["channel"]))
            early.append(message)
        self.reconnects += 1
        metrics.broker_reconnects.inc()
        self._on_gap()
        for message in early:
            self._on_message(message)

    def _name(self, value: str | bytes) -> str:
        """warga's name of a channel on the wire (the namespace taken off)."""
        name = value.decode() if isinstance(value, bytes) else value
        return name.removeprefix(self._ns)
