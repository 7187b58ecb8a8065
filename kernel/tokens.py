"""Session tokens as they are stored and looked up: a SHA-256 digest, never the token itself. Shared by the
HTTP API (feed/core/auth.py issues and checks tokens) and the websocket gateway (its `auth` message)."""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
