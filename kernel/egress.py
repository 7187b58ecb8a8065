"""Requests to URLs that users supplied (Web Push endpoints), guarded against server-side request forgery:
https only; no loopback, private, link-local, CGNAT, multicast, unspecified, reserved or cloud-metadata
address, IPv4 or IPv6 (an IPv4-mapped IPv6 address is judged as its IPv4 address); the name is resolved,
every address it resolves to is checked, and the connection goes to a checked address — the one that was
checked, so a second lookup (DNS rebinding) cannot swap in another. Redirects are not followed and every
request has a timeout. `allow_private` (WARGA_PUSH_ALLOW_PRIVATE, tests and local trials only) lets those
addresses and http:// through.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ipaddress
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

# httpcore asks `import sniffio` on every request to tell asyncio from trio; without sniffio installed each
# failed import scans sys.path on disk (bench/notify.py: a third of the worker's time). Say once that it is
# absent, as a failed import would.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# getaddrinfo's answer as addresses; replaceable in tests that play a resolver.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Not covered by is_global in every Python version, or worth saying by name.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",  # CGNAT, shared address space (RFC 6598)
        "169.254.0.0/16",  # link-local, where 169.254.169.254 (cloud metadata) lives
        "fd00:ec2::/32",  # AWS's IPv6 metadata service (inside fc00::/7 too)
        "64:ff9b::/96",  # NAT64: an IPv4 address in disguise, often a private one
        "2002::/16",  # 6to4: likewise
    )
)


MAX_CONNECTIONS = 16  # per client; httpcore's pool scans its queue per request, so more costs more
RESOLVE_TIMEOUT_S = 5.0  # a lookup that hangs must not hold a request (or the worker) for long


class EgressRefused(ValueError):
    """The URL may not be requested; the message says why (never the URL's secrets: it names the host)."""


def refused_address(ip: IPAddress) -> str | None:
    """Why the server must not connect to `ip`, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refused_address(ip.ipv4_mapped)
    for label, hit in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if hit:
            return f"a {label} address"
    if any(ip in net for net in _REFUSED_NETWORKS) or not ip.is_global:
        return "not a public address"
    return None


def check_url(url: str, *, allow_private: bool) -> tuple[str, int]:
    """The host and port of an acceptable URL (its addresses still to be checked), or EgressRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EgressRefused("not a valid URL") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise EgressRefused("must be an https:// URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise EgressRefused("must name a host, without credentials")
    literal = _literal(parts.hostname)
    why = refused_address(literal) if literal is not None and not allow_private else None
    if why is not None:
        raise EgressRefused(f"host {parts.hostname!r} is {why}")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """Every address `host` resolves to, each checked: one refused address refuses the host (a name that
    answers a public and a private address could be steered to the private one)."""
    literal = _literal(host)
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                found = await resolve(host, port)
        except (OSError, UnicodeError, TimeoutError) as exc:
            raise EgressRefused(f"host {host!r} does not resolve") from exc
    if not found:
        raise EgressRefused(f"host {host!r} does not resolve")
    if not allow_private:
        for address in found:
            why = refused_address(ipaddress.ip_address(address.split("%")[0]))
            if why is not None:
                raise EgressRefused(f"host {host!r} resolves to {why}")
    return found


async def check(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """Refuse (EgressRefused) a URL the server must not request; used when a user hands one in."""
    host, port = check_url(url, allow_private=allow_private)
    await checked_addresses(host, port, allow_private=allow_private, resolve=resolve)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking each host itself and connecting to the checked
    address; TLS still verifies, and Host still names, the host (httpcore passes the name for SNI)."""

    def __init__(self, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._resolve = resolve
        self.connected: list[tuple[str, str]] = []  # (host, address) of recent connections, for tests

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(
            host, port, allow_private=self._allow_private, resolve=self._resolve
        )
        self.connected = [*self.connected[-99:], (host, addresses[0])]
        return await self._inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("unix sockets are not an egress")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(
    *, allow_private: bool, timeout_s: float, resolve: Resolver = system_resolver
) -> tuple[httpx.AsyncClient, GuardedBackend]:
    """An httpx client whose every connection goes through GuardedBackend: no proxies from the environment
    (a proxy would connect for us, unchecked), no redirects, a timeout on every phase of every request."""
    backend = GuardedBackend(allow_private=allow_private, resolve=resolve)
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend; its transport is a thin shell around this pool, so swap the pool.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=backend,
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_CONNECTIONS,
        keepalive_expiry=5.0,
    )
    client = httpx.AsyncClient(
        transport=transport, follow_redirects=False, timeout=httpx.Timeout(timeout_s), trust_env=False
    )
    return client, backend
