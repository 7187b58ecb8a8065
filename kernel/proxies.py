"""Which address a request came from, when reverse proxies stand in front of warga.

`X-Forwarded-For` and `Forwarded` (RFC 7239) are believed only as far as they were written by a proxy the
operator trusts (`WARGA_TRUSTED_PROXIES`: comma-separated addresses or CIDRs; default none, so no header is
ever believed and the client is the TCP peer). The walk starts at the TCP peer: if the peer is a trusted
proxy, the rightmost entry of the header is the address *it* saw; if that is trusted too, the entry left of
it, and so on; the first untrusted address is the client. Entries further left were written by the client
itself and are never read, so a client cannot pick its address by sending the header, and a deployment
behind nginx does not put all its users behind nginx's one address.

Used by the HTTP side (feed/core/observability.py rewrites the ASGI scope's client once per request, so rate
limits and logs see the resolved address) and by the websocket gateway's per-address cap. No imports from
the rest of warga: this module is a kernel both sides share.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Trusted = tuple[Network, ...]

# How many hops from the right are walked at most: a header with more trusted entries than this is a loop
# or an attack, and the walk stops at the last address it reached.
MAX_HOPS = 32


@functools.lru_cache(maxsize=8)
def parse_trusted(spec: str | tuple[str, ...]) -> Trusted:
    """`WARGA_TRUSTED_PROXIES` (a comma-separated string, or the settings' tuple of strings) as networks.
    A bare address is a /32 (or /128). Raises ValueError naming the first entry that is neither."""
    items = spec.split(",") if isinstance(spec, str) else spec
    networks: list[Network] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an address or CIDR: {text!r}") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An address from a header entry or a peer: bare, `v4:port`, `[v6]` or `[v6]:port`; None if garbage
    (`unknown`, an obfuscated `_name`, anything unparseable). IPv4-mapped IPv6 becomes IPv4."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # v4:port (a bare v6 address has at least two colons)
        text = text.partition(":")[0]
    if "%" in text:  # a zone id (fe80::1%eth0) identifies nothing off this host
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Trusted) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def peer_is_trusted(peer: str | None, trusted: Trusted) -> bool:
    """Whether the TCP peer is one of the trusted proxies (so its X-Forwarded-Proto may be believed too)."""
    if not trusted or peer is None:
        return False
    address = _address(peer)
    return address is not None and _is_trusted(address, trusted)


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out: list[str] = []
        escaped = False
        for ch in value[1:-1]:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def forwarded_for_values(forwarded: str) -> list[str]:
    """The `for=` value of each element of a `Forwarded` header, in order; "" for an element without one
    (so the walk stops there). Never raises."""
    values: list[str] = []
    for element in _split_outside_quotes(forwarded, ","):
        found = ""
        for pair in _split_outside_quotes(element, ";"):
            name, eq, value = pair.partition("=")
            if eq and name.strip().lower() == "for":
                found = _unquote(value)
                break
        values.append(found)
    return values


def _walk(peer: Address, hops: list[str], trusted: Trusted) -> Address:
    """From the right: skip trusted hops, return the first untrusted address. An entry that is no address
    (`unknown`, garbage) ends the walk at the last address reached, a trusted proxy's: never a guess."""
    current = peer
    for entry in reversed(hops[-MAX_HOPS:] if len(hops) > MAX_HOPS else hops):
        if not _is_trusted(current, trusted):
            return current
        address = _address(entry)
        if address is None:
            return current
        current = address
    return current


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    forwarded: str | None,
    trusted: Trusted,
) -> str:
    """The client's address: `peer` (the TCP peer's host) unchanged unless it is a trusted proxy; then the
    first untrusted address walking X-Forwarded-For (`forwarded_for`) or Forwarded (`forwarded`) from the
    right. Pass each header's repeated lines joined with ","; None when absent. With no peer (a Unix
    socket) the answer is "unknown". Never raises on malformed headers.

    Both headers present: each is walked; if they agree that is the answer, else the peer. A proxy writes
    one of them and passes the other through from the client, so a disagreement means a forgery, and the
    forger is then counted with every other forger at the proxy's address rather than where it chose."""
    if peer is None:
        return "unknown"
    if not trusted:
        return peer
    start = _address(peer)
    if start is None or not _is_trusted(start, trusted):
        return peer
    answers: list[Address] = []
    if forwarded_for is not None and forwarded_for.strip():
        answers.append(_walk(start, [e for e in forwarded_for.split(",")], trusted))
    if forwarded is not None and forwarded.strip():
        answers.append(_walk(start, forwarded_for_values(forwarded), trusted))
    if not answers:
        return peer
    if len(answers) == 2 and answers[0] != answers[1]:
        return peer
    return str(answers[0])


def joined(values: Iterable[str]) -> str | None:
    """Repeated lines of one header as the single comma-separated value client_address takes; None if none."""
    items = [v for v in values]
    return ",".join(items) if items else None
