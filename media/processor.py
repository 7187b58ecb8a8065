"""PLACEHOLDER — the media helper replaces this file entirely."""

from __future__ import annotations

from typing import Any


class PhotoProcessor:
    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
