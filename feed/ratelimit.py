"""Sliding-window rate limits per user and per client IP (IPv6 grouped by /64).

Two stores behind one method: Redis (atomic Lua over a sorted set, shared by every process) when REDIS_URL
is set, memory for the single-process embedded default. A sliding log rather than fixed buckets: a burst
straddling a bucket boundary cannot get twice the limit through.
"""

from __future__ import annotations

import asyncio
import hashlib
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

    async def hit_all(self, checks: list[tuple[str, Rule]]) -> float:
        """Atomically: if every key is under its limit, record one hit on each and return 0; else record
        nothing and return the longest wait. One round trip for a request's per-IP and per-user limits."""
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

    async def hit_all(self, checks: list[tuple[str, Rule]]) -> float:
        now = time.monotonic()
        wait = 0.0
        for key, rule in checks:
            log = self._log.setdefault(key, deque())
            while log and log[0] <= now - rule.window_s:
                log.popleft()
            if len(log) >= rule.limit:
                wait = max(wait, log[0] + rule.window_s - now)
        if wait:
            return wait
        for key, _ in checks:
            self._log[key].append(now)
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


# The same over several keys (KEYS[i] with ARGV[2i-1] = window ms, ARGV[2i] = limit; ARGV[last] = member):
# all or nothing, so a request refused by one limit spends nothing from the others.
_SLIDING_WINDOW_ALL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 * i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return wait
end
local member = ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i - 1]))
end
return 0
"""


class _RedisError(Exception):
    pass


class _EvalProtocol(asyncio.Protocol):
    """A minimal pipelined RESP2 client for the one hot command, EVALSHA of a script that returns an integer.
    Replies arrive in request order, each completing the oldest waiter. A third of redis-py's cost per call
    (docs/bench-trust.md): the limiter runs on every post, comment, vote and flag."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiters: deque[asyncio.Future[int]] = deque()
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n")) >= 0:
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            if not self.waiters:
                continue  # nothing asked for it (cannot happen with integer and error replies only)
            waiter = self.waiters.popleft()
            if waiter.done():
                continue
            if line[:1] == b":":
                waiter.set_result(int(line[1:]))
            elif line[:1] == b"-":
                waiter.set_exception(_RedisError(line[1:].decode(errors="replace")))
            else:
                waiter.set_exception(_RedisError(f"unexpected reply {line[:20]!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("Redis connection lost"))


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.connection import parse_url

        self._redis: Any = aioredis.from_url(url)
        self._script = self._redis.register_script(_SLIDING_WINDOW)
        self._script_all = self._redis.register_script(_SLIDING_WINDOW_ALL)
        self._sha_all = hashlib.sha1(_SLIDING_WINDOW_ALL.encode()).hexdigest().encode()  # noqa: S324 - Redis's id
        # The fast path takes plain redis://host:port URLs (what deployments on one network use); anything
        # else (TLS, passwords, sockets, another database) goes through redis-py.
        opts = parse_url(url)
        plain = url.startswith("redis://") and not opts.get("password") and not opts.get("username")
        self._fast_addr: tuple[str, int] | None = (
            (opts.get("host", "localhost"), int(opts.get("port", 6379)))
            if plain and int(opts.get("db", 0) or 0) == 0 and "path" not in opts
            else None
        )
        self._fast: _EvalProtocol | None = None
        self._connecting = asyncio.Lock()

    async def hit(self, key: str, rule: Rule) -> float:
        wait_ms = await self._script(
            keys=["warga:rl:" + key], args=[int(rule.window_s * 1000), rule.limit, secrets.token_hex(8)]
        )
        return float(wait_ms) / 1000.0

    async def hit_all(self, checks: list[tuple[str, Rule]]) -> float:
        args: list[int | str] = []
        for _, rule in checks:
            args += [int(rule.window_s * 1000), rule.limit]
        args.append(secrets.token_hex(8))
        keys = ["warga:rl:" + key for key, _ in checks]
        if self._fast_addr is None:
            wait_ms = await self._script_all(keys=keys, args=args)
        else:
            wait_ms = await self._eval_fast(keys, args)
        return float(wait_ms) / 1000.0

    async def _eval_fast(self, keys: list[str], args: list[int | str]) -> int:
        tail = [str(len(keys)).encode(), *(k.encode() for k in keys), *(str(a).encode() for a in args)]
        try:
            return await self._send(_command(b"EVALSHA", self._sha_all, *tail))
        except _RedisError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            # Not cached on this server (first use, or after a restart): EVAL sends it once and caches it.
            return await self._send(_command(b"EVAL", _SLIDING_WINDOW_ALL.encode(), *tail))

    async def _send(self, command: bytes) -> int:
        protocol = self._fast
        if protocol is None or protocol.transport is None:
            async with self._connecting:
                protocol = self._fast
                if protocol is None or protocol.transport is None:
                    assert self._fast_addr is not None
                    loop = asyncio.get_running_loop()
                    _, protocol = await loop.create_connection(_EvalProtocol, *self._fast_addr)
                    self._fast = protocol
        assert protocol.transport is not None
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        protocol.waiters.append(waiter)
        protocol.transport.write(command)
        return await waiter

    async def close(self) -> None:
        if self._fast is not None and self._fast.transport is not None:
            self._fast.transport.close()
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
        checks = [(f"{action}:{client_key(ip)}", per_ip)]
        if user_id is not None:
            checks.append((f"{action}:u{user_id}", per_user))
        # One atomic step (one Redis round trip) for both limits.
        wait = await self.store.hit_all(checks)
        if wait:
            retry = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many {action} requests; try again in {retry} s.",
                headers={"Retry-After": str(retry)},
            )

    def begin(self, request: Request, actions: list[str], user_id: int | None) -> Verdict:
        """Start checking now, learn the answer later (`await verdict.wait()` before committing anything):
        the store's round trip then overlaps the request's own database work instead of adding to it."""
        return Verdict(self._check_all(request, actions, user_id) if self.enabled and actions else None)

    async def _check_all(self, request: Request, actions: list[str], user_id: int | None) -> None:
        for action in actions:
            await self.check(request, action, user_id)

    async def close(self) -> None:
        await self.store.close()


class Verdict:
    """A rate-limit check in flight (Limits.begin). wait() raises the 429 if over a limit; close() in a
    finally makes sure an abandoned check neither leaks nor warns."""

    def __init__(self, coro: Any) -> None:
        self._task: asyncio.Task[None] | None = asyncio.ensure_future(coro) if coro is not None else None

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    def close(self) -> None:
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()  # retrieved: an unawaited 429 is not an "exception never retrieved"


def make_limits(spec: str, redis_url: str | None) -> Limits:
    rules = parse_rules(spec)
    store: Store = RedisStore(redis_url) if redis_url and rules is not None else MemoryStore()
    return Limits(rules, store)
