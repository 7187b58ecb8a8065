"""Sliding-window rate limits per user and per client IP (IPv6 grouped by /64).

Two stores behind one method: Redis (atomic Lua over a sorted set, shared by every process) when REDIS_URL
is set, memory for the single-process embedded default. A sliding log rather than fixed buckets: a burst
straddling a bucket boundary cannot get twice the limit through.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request

from feed.errors import ApiError


@dataclass(frozen=True)
class Rule:
    limit: int
    window_s: float


# action: (per user, per IP). Generous for people, tight for scripts; every value configurable.
DEFAULT_RULES: dict[str, tuple[Rule, Rule]] = {
    "post": (Rule(10, 600), Rule(30, 600)),
    "upload": (Rule(40, 600), Rule(120, 600)),
    "comment": (Rule(30, 300), Rule(90, 300)),
    "vote": (Rule(120, 60), Rule(360, 60)),
    "flag": (Rule(20, 600), Rule(60, 600)),
    "register": (Rule(3, 3600), Rule(10, 3600)),
    "login": (Rule(10, 300), Rule(30, 300)),
}


def parse_rules(spec: str) -> dict[str, tuple[Rule, Rule]] | None:
    """WARGA_RATE_LIMITS: "off", "on" (defaults), or overrides like "post=5/60:20/60,vote=60/60:200/60"
    (per-user limit/seconds : per-IP limit/seconds). None means limits are off."""
    spec = spec.strip()
    if spec.lower() == "off":
        return None
    rules = dict(DEFAULT_RULES)
    if spec.lower() in {"", "on"}:
        return rules
    for item in spec.split(","):
        action, _, values = item.partition("=")
        user_part, _, ip_part = values.partition(":")
        try:
            rules[action.strip()] = (_rule(user_part), _rule(ip_part or user_part))
        except ValueError:
            raise SystemExit(f"WARGA_RATE_LIMITS: cannot read {item!r} (want action=N/S:N/S)") from None
    return rules


def _rule(text: str) -> Rule:
    limit, _, window = text.partition("/")
    return Rule(int(limit), float(window))


def client_key(ip: str) -> str:
    """One key per client address; an IPv6 /64 is one subscriber line, so it is one client."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "ip:" + ip
    if address.version == 6:
        if address.ipv4_mapped:
            return "ip:" + str(address.ipv4_mapped)
        return "ip6:" + str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return "ip:" + str(address)


class Store(Protocol):
    async def hit(self, key: str, rule: Rule) -> float:
        """Record one hit if under the limit and return 0; else return seconds until one would be allowed."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._log: dict[str, deque[float]] = {}

    async def hit(self, key: str, rule: Rule) -> float:
        # No await between read and write: atomic within the event loop.
        now = time.monotonic()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - rule.window_s:
            log.popleft()
        if len(log) >= rule.limit:
            return log[0] + rule.window_s - now
        log.append(now)
        if len(self._log) > 100_000:
            self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        longest = max(r.window_s for pair in DEFAULT_RULES.values() for r in pair)
        for key in [k for k, log in self._log.items() if not log or log[-1] <= now - longest]:
            del self._log[key]

    async def close(self) -> None:
        self._log.clear()


# KEYS[1] = the log; ARGV = window (ms), limit, a unique member. Redis runs scripts atomically, so a
# hundred concurrent requests at the edge let exactly `limit` through. The clock is read INSIDE the script
# (Redis's clock: every web process agrees on the window edges, and no request can carry a time older than
# an entry already logged; scripts replicate by effects since Redis 5, so TIME is allowed).
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.from_url(url)
        self._script = self._redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str, rule: Rule) -> float:
        wait_ms = await self._script(
            keys=["warga:rl:" + key], args=[int(rule.window_s * 1000), rule.limit, secrets.token_hex(8)]
        )
        return float(wait_ms) / 1000.0

    async def close(self) -> None:
        await self._redis.aclose()


class Limits:
    """`await limits.check(request, "post", user_id)` raises 429 with Retry-After when over a limit."""

    def __init__(self, rules: dict[str, tuple[Rule, Rule]] | None, store: Store) -> None:
        self.rules = rules
        self.store = store

    @property
    def enabled(self) -> bool:
        return self.rules is not None

    async def check(self, request: Request, action: str, user_id: int | None = None) -> None:
        if self.rules is None:
            return
        per_user, per_ip = self.rules[action]
        ip = request.client.host if request.client else "unknown"
        wait = await self.store.hit(f"{action}:{client_key(ip)}", per_ip)
        if not wait and user_id is not None:
            wait = await self.store.hit(f"{action}:u{user_id}", per_user)
        if wait:
            retry = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many {action} requests; try again in {retry} s.",
                headers={"Retry-After": str(retry)},
            )

    async def close(self) -> None:
        await self.store.close()


def make_limits(spec: str, redis_url: str | None) -> Limits:
    rules = parse_rules(spec)
    store: Store = RedisStore(redis_url) if redis_url and rules is not None else MemoryStore()
    return Limits(rules, store)
