"""Sliding-window rate limits per user and per client IP (IPv6 grouped by /64).

Two stores behind one method (submit: every limit a request touches, in one atomic step): Redis (one Lua
script over sorted sets, shared by every process, one round trip) when REDIS_URL is set, memory for the
single-process embedded default. A sliding log rather than fixed buckets: a burst
straddling a bucket boundary cannot get twice the limit through.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import itertools
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol, cast

from starlette.requests import Request

from feed.core.errors import ApiError


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


# Sign-in throttling per account (accounts/sessions.py; counted in PostgreSQL, db/users.py, so every process
# agrees and a restart forgets nothing). Every attempt on a handle, known or not, counts until one succeeds;
# after the 5th failure in a row the next attempt must wait 1 s, then 2, 4, ... up to 15 min; a day without
# attempts starts the count again.
SIGN_IN_FREE_FAILURES = 4
SIGN_IN_MAX_BACKOFF_S = 900.0
SIGN_IN_FORGET_S = 24 * 3600.0


def sign_in_backoff_s(failures: int) -> float:
    """Seconds a handle is refused after `failures` failed sign-ins in a row."""
    if failures <= SIGN_IN_FREE_FAILURES:
        return 0.0
    return min(SIGN_IN_MAX_BACKOFF_S, 2.0 ** min(failures - SIGN_IN_FREE_FAILURES - 1, 30))


def sign_in_backoffs() -> list[float]:
    """sign_in_backoff_s(1), (2), ... up to the first at the cap (which holds for every later failure)."""
    table = [sign_in_backoff_s(1)]
    while table[-1] < SIGN_IN_MAX_BACKOFF_S:
        table.append(sign_in_backoff_s(len(table) + 1))
    return table


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


# One request's limits: (key, rule, hits). A photo post spends one "upload" hit per photo on the same keys.
Check = tuple[str, Rule, int]

# A store answers a request's checks with one integer: 0 when every limit let it through (and every hit was
# recorded), else wait_ms * REFUSED_BY + the index of the check that refused the longest. Packed into one
# integer because the Redis fast path below reads integer replies only.
REFUSED_BY = 256
MAX_CHECKS = REFUSED_BY - 1


def merge_checks(checks: list[tuple[str, Rule]]) -> list[Check]:
    """Repeated keys (several photos' upload limit) become one check with that many hits."""
    hits: dict[str, int] = {}
    rules: dict[str, Rule] = {}
    for key, rule in checks:
        hits[key] = hits.get(key, 0) + 1
        rules[key] = rule
    if len(hits) > MAX_CHECKS:
        raise ValueError("too many limits for one request")
    return [(key, rules[key], n) for key, n in hits.items()]


class Store(Protocol):
    def submit(self, checks: list[Check]) -> asyncio.Future[int]:
        """Start checking now (the Redis command is written before this returns, so its round trip runs
        while the caller does other work); the future gives the packed answer above. Atomic: either every
        limit has room and each records its hits, or nothing is recorded."""
        ...

    async def hit_all(self, checks: list[tuple[str, Rule]]) -> float:
        """submit() for (key, rule) pairs (a repeated key counts twice); 0 or seconds to wait."""
        ...

    async def hit(self, key: str, rule: Rule) -> float:
        """One key: 0 if the hit was recorded, else seconds until one would be allowed."""
        ...

    async def close(self) -> None: ...


class _Checks:
    """hit_all and hit, the same for every store, over its submit()."""

    def submit(self, checks: list[Check]) -> asyncio.Future[int]:
        raise NotImplementedError

    async def hit_all(self, checks: list[tuple[str, Rule]]) -> float:
        return (await self.submit(merge_checks(checks)) // REFUSED_BY) / 1000.0

    async def hit(self, key: str, rule: Rule) -> float:
        return await self.hit_all([(key, rule)])


class MemoryStore(_Checks):
    def __init__(self) -> None:
        self._log: dict[str, deque[float]] = {}

    def submit(self, checks: list[Check]) -> asyncio.Future[int]:
        # No await between read and write: atomic within the event loop.
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        answer.set_result(self._check(checks, time.monotonic()))
        return answer

    def _check(self, checks: list[Check], now: float) -> int:
        wait, refused = 0.0, -1
        for i, (key, rule, hits) in enumerate(checks):
            log = self._log.setdefault(key, deque())
            while log and log[0] <= now - rule.window_s:
                log.popleft()
            if len(log) + hits > rule.limit:
                # Room comes when enough of the oldest entries have left the window.
                need = len(log) + hits - rule.limit
                w = rule.window_s if hits > rule.limit else log[need - 1] + rule.window_s - now
                if w > wait or refused < 0:
                    wait, refused = w, i
        if refused >= 0:
            return max(1, math.ceil(wait * 1000)) * REFUSED_BY + refused
        for key, _, hits in checks:
            self._log[key].extend([now] * hits)
        if len(self._log) > 100_000:
            self._sweep(now)
        return 0

    def _sweep(self, now: float) -> None:
        longest = max(r.window_s for pair in DEFAULT_RULES.values() for r in pair)
        for key in [k for k, log in self._log.items() if not log or log[-1] <= now - longest]:
            del self._log[key]

    async def close(self) -> None:
        self._log.clear()


# KEYS[i] with ARGV[3i-2] = window (ms), ARGV[3i-1] = limit, ARGV[3i] = hits; ARGV[last] = a unique member
# prefix. Redis runs a script atomically, so a hundred concurrent requests at the edge let exactly `limit`
# through, and all or nothing: a request refused by one limit spends nothing from the others. The clock is
# read INSIDE the script (Redis's clock: every web process agrees on the window edges, and no request can
# carry a time older than an entry already logged; scripts replicate by effects since Redis 5, so TIME is
# allowed). The answer is packed as described at REFUSED_BY.
_SLIDING_WINDOW_ALL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, refused = 0, -1
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local hits = tonumber(ARGV[3 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  if used + hits > limit then
    local w = window
    if hits <= limit then
      local need = used + hits - limit
      local oldest = redis.call('ZRANGE', key, need - 1, need - 1, 'WITHSCORES')
      w = tonumber(oldest[2]) + window - now
    end
    if w > wait or refused < 0 then
      wait, refused = w, i - 1
    end
  end
end
if refused >= 0 then
  return math.max(wait, 1) * 256 + refused
end
local member = ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  for j = 1, tonumber(ARGV[3 * i]) do
    redis.call('ZADD', key, now, member .. ':' .. j)
  end
  redis.call('PEXPIRE', key, ARGV[3 * i - 2])
end
return 0
"""
_SHA_ALL = hashlib.sha1(_SLIDING_WINDOW_ALL.encode()).hexdigest().encode()  # noqa: S324 - Redis's script id


class _RedisError(Exception):
    pass


class _EvalProtocol(asyncio.Protocol):
    """A minimal pipelined RESP2 client for the one hot command, EVALSHA of a script that returns an integer.
    Every request's command goes down one connection as soon as it is made, no connection checked out of a
    pool; replies arrive in request order, each completing the oldest waiter. A reply of NOSCRIPT (the
    server's script cache was flushed, or it restarted) re-sends that request as EVAL, which caches the script
    again, and the waiter moves to the back of the line where the new reply will arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiters: deque[tuple[asyncio.Future[int], bytes | None]] = deque()
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's TCPTransport (what `warga web` runs on) is no subclass
        # of asyncio.Transport, and the check made every rate-limited request a 500 (bench/faults.py).
        self.transport = cast(asyncio.Transport, transport)

    def send(self, command: bytes, fallback: bytes | None) -> asyncio.Future[int]:
        assert self.transport is not None
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.waiters.append((waiter, fallback))
        self.transport.write(command)
        return waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n")) >= 0:
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            if not self.waiters:
                continue  # nothing asked for it (cannot happen with integer and error replies only)
            waiter, fallback = self.waiters.popleft()
            if line[:1] == b"-" and line.startswith(b"-NOSCRIPT") and fallback and self.transport:
                self.waiters.append((waiter, None))
                self.transport.write(fallback)
            elif waiter.done():
                continue
            elif line[:1] == b":":
                waiter.set_result(int(line[1:]))
            elif line[:1] == b"-":
                waiter.set_exception(_RedisError(line[1:].decode(errors="replace")))
            else:
                waiter.set_exception(_RedisError(f"unexpected reply {line[:20]!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        while self.waiters:
            waiter, _ = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("Redis connection lost"))


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


class RedisStore(_Checks):
    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.connection import parse_url

        self._redis: Any = aioredis.from_url(url)
        self._script_all = self._redis.register_script(_SLIDING_WINDOW_ALL)
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
        # Unique members without a random draw per request: this store's random prefix and a counter.
        self._prefix = secrets.token_hex(6)
        self._serial = itertools.count()

    def submit(self, checks: list[Check]) -> asyncio.Future[int]:
        member = f"{self._prefix}{next(self._serial)}"
        if self._fast_addr is None:
            keys = ["warga:rl:" + key for key, _, _ in checks]
            args: list[int | str] = [v for _, rule, hits in checks for v in _rule_args(rule, hits)]
            return asyncio.ensure_future(self._script_all(keys=keys, args=[*args, member]))
        tail = [b"%d" % len(checks)]
        tail += [b"warga:rl:" + key.encode() for key, _, _ in checks]
        tail += [b"%d" % v for _, rule, hits in checks for v in _rule_args(rule, hits)]
        tail.append(member.encode())
        command = _command(b"EVALSHA", _SHA_ALL, *tail)
        fallback = _command(b"EVAL", _SLIDING_WINDOW_ALL.encode(), *tail)
        protocol = self._fast
        if protocol is not None and protocol.transport is not None:
            return protocol.send(command, fallback)  # the common case: written now, no task, no checkout
        return asyncio.ensure_future(self._connect_and_send(command, fallback))

    async def _connect_and_send(self, command: bytes, fallback: bytes) -> int:
        async with self._connecting:
            protocol = self._fast
            if protocol is None or protocol.transport is None:
                assert self._fast_addr is not None
                loop = asyncio.get_running_loop()
                _, protocol = await loop.create_connection(_EvalProtocol, *self._fast_addr)
                self._fast = protocol
        return await protocol.send(command, fallback)

    async def close(self) -> None:
        if self._fast is not None and self._fast.transport is not None:
            self._fast.transport.close()
        await self._redis.aclose()


def _rule_args(rule: Rule, hits: int) -> tuple[int, int, int]:
    return int(rule.window_s * 1000), rule.limit, hits


class Limits:
    """`await limits.check(request, "post", user_id)` raises 429 with Retry-After when over a limit."""

    def __init__(self, rules: dict[str, tuple[Rule, Rule]] | None, store: Store) -> None:
        self.rules = rules
        self.store = store

    @property
    def enabled(self) -> bool:
        return self.rules is not None

    async def check(self, request: Request, action: str, user_id: int | None = None) -> None:
        verdict = self.begin(request, [action], user_id)
        try:
            await verdict.wait()
        finally:
            verdict.close()

    def begin(self, request: Request, actions: list[str], user_id: int | None) -> Verdict:
        """Start checking every limit of these actions now, in ONE atomic store call (one Redis round trip),
        and learn the answer later (`await verdict.wait()` before committing anything): the round trip then
        overlaps the request's own database work instead of adding to it."""
        if self.rules is None or not actions:
            return Verdict(None, [])
        # The resolved client: feed/core/observability.py has put the address behind trusted proxies (if any,
        # WARGA_TRUSTED_PROXIES) into the scope, so a client cannot pick its key with X-Forwarded-For.
        address = client_key(request.client.host if request.client else "unknown")
        pairs: list[tuple[str, Rule]] = []
        for action in actions:
            per_user, per_ip = self.rules[action]
            pairs.append((f"{action}:{address}", per_ip))
            if user_id is not None:
                pairs.append((f"{action}:u{user_id}", per_user))
        checks = merge_checks(pairs)
        names = [key.partition(":")[0] for key, _, _ in checks]
        return Verdict(self.store.submit(checks), names)

    async def close(self) -> None:
        await self.store.close()


class Verdict:
    """A rate-limit check in flight (Limits.begin). wait() raises the 429 if over a limit; close() in a
    finally makes sure an abandoned check neither leaks nor warns."""

    def __init__(self, answer: asyncio.Future[int] | None, actions: list[str]) -> None:
        self._answer = answer
        self._actions = actions

    async def wait(self) -> None:
        if self._answer is None:
            return
        packed = await self._answer
        if packed:
            retry = max(1, math.ceil(packed // REFUSED_BY / 1000))
            action = self._actions[packed % REFUSED_BY]
            raise ApiError(
                429,
                "rate_limited",
                f"Too many {action} requests; try again in {retry} s.",
                headers={"Retry-After": str(retry)},
            )

    def close(self) -> None:
        answer = self._answer
        if answer is None:
            return
        if not answer.done():
            answer.cancel()
        elif not answer.cancelled():
            answer.exception()  # retrieved: an unawaited failure is not an "exception never retrieved"


def make_limits(spec: str, redis_url: str | None) -> Limits:
    rules = parse_rules(spec)
    store: Store = RedisStore(redis_url) if redis_url and rules is not None else MemoryStore()
    return Limits(rules, store)
