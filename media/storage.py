"""PLACEHOLDER — the media helper replaces this file entirely."""

from __future__ import annotations

from typing import Any


class Storage:
    pass


def make_storage(settings: Any) -> Storage:
    return Storage()
