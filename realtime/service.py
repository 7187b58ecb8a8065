"""Realtime: the broker, the relay and the websocket gateway of one process, behind the interface the
Runtime and the HTTP handlers use (start/stop, where the socket lives, and session revocation)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from kernel.settings import Settings
from kernel.tasks import cancel_and_wait
from realtime import channels
from realtime.broker import Broker, MemoryBroker
from realtime.gateway import Gateway
from realtime.redis_broker import RedisBroker
from realtime.relay import Relay


class Realtime:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, dsn: str) -> None:
        self.settings = settings
        self._pool = pool
        self._dsn = dsn
        self.broker = make_broker(settings)
        self.broker_name = self.broker.name
        self.gateway: Gateway | None = None
        self.relay: Relay | None = None
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self, *, relay: bool, gateway: bool) -> None:
        await self.broker.start()
        if gateway:
            self.gateway = Gateway(self.settings, self._pool, self.broker)
            await self.gateway.start()
        if relay:
            self.relay = Relay(self._dsn, self.broker, self.settings.event_retention_hours)
            self._relay_task = asyncio.create_task(self.relay.run(), name="relay")

    async def stop(self) -> None:
        if self._relay_task is not None:
            await cancel_and_wait(self._relay_task)
        if self.gateway is not None:
            await self.gateway.stop()
        await self.broker.close()

    def ws_url(self, request: Any) -> str:
        """Where clients open the socket: WARGA_WS_PUBLIC_URL, else WARGA_PUBLIC_URL's host (or the
        listener's) on the websocket port — never the request's Host header, which any client can forge
        and a cache could keep. Only a server listening on every interface with no public URL set has no
        name of its own to give (a LAN trial): it answers with the host the client used, and `warga serve`
        warns about it at start."""
        s = self.settings
        if s.ws_public_url:
            return s.ws_public_url
        if s.listens_everywhere and not s.public_url:
            host, secure = request.url.hostname or s.host, request.url.scheme == "https"
        else:
            base = urlsplit(s.public_base)
            host, secure = base.hostname or s.host, base.scheme == "https"
        if ":" in host:
            host = f"[{host}]"
        return f"{'wss' if secure else 'ws'}://{host}:{s.effective_ws_port}/ws"

    def describe(self) -> str:
        parts = [f"broker {self.broker_name}"]
        if self.gateway is not None:
            parts.insert(0, f"ws://{self.settings.host}:{self.gateway.port}/ws")
        if self.relay is not None:
            parts.append(f"relay {self.relay.state}")
        return ", ".join(parts)

    async def tokens_revoked(self, user_id: int) -> None:
        """Ask every gateway (via the broker) to close this user's sockets whose token is no longer live."""
        await self._check_user(user_id)

    async def user_changed(self, user_id: int) -> None:
        """A role change or suspension: the user's sockets are closed and must sign in again."""
        await self._check_user(user_id)

    async def _check_user(self, user_id: int) -> None:
        message = json.dumps({"op": "check_user", "user_id": user_id}).encode()
        await self.broker.publish(channels.CONTROL, message)


def make_broker(settings: Settings) -> Broker:
    """Redis when REDIS_URL is set (many processes, many machines), else the in-process broker."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url.reveal(), settings.redis_prefix)
    return MemoryBroker()
