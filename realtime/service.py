"""PLACEHOLDER — the realtime helper replaces this file entirely (interface used by warga/runtime.py)."""

from __future__ import annotations

from typing import Any


class Realtime:
    broker_name = "memory"

    def __init__(self, settings: Any, pool: Any, dsn: str) -> None:
        self.settings = settings

    async def start(self, *, relay: bool, gateway: bool) -> None:
        return None

    async def stop(self) -> None:
        return None

    def ws_url(self, request: Any) -> str:
        return ""

    async def tokens_revoked(self, user_id: int) -> None:
        return None

    def describe(self) -> str:
        return "off"
