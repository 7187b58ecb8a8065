"""Service levels per category: how long an area may take to acknowledge and to resolve a report.

Configured as one string (settings.sla, WARGA_SLA): `category=ACK/RESOLVE` pairs separated by commas, each
duration a whole number with a unit s, m, h or d, e.g. "flood=2h/24h,crime=1h/48h,default=24h/168h".
`default` covers every category not named (built in as 24h/168h when the string does not give one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
DEFAULT = timedelta(hours=24), timedelta(hours=168)


@dataclass(frozen=True)
class Sla:
    ack: timedelta
    resolve: timedelta

    def due(self, started_at: datetime) -> tuple[datetime, datetime]:
        """(acknowledge by, resolve by) for a clock started then."""
        return started_at + self.ack, started_at + self.resolve


def _duration(raw: str, where: str) -> timedelta:
    match = _DURATION.match(raw.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{where}: {raw!r} is not a duration like 30m, 2h or 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@lru_cache(maxsize=8)
def parse(config: str) -> dict[str, Sla]:
    """The policy a settings string describes; ValueError naming the bad part."""
    policy = {"default": Sla(*DEFAULT)}
    for part in (p.strip() for p in config.split(",")):
        if not part:
            continue
        category, sep, spans = part.partition("=")
        ack, slash, resolve = spans.partition("/")
        if not sep or not slash or not category.strip():
            raise ValueError(f"SLA entry {part!r} must look like category=ACK/RESOLVE, e.g. flood=2h/24h")
        sla = Sla(_duration(ack, category), _duration(resolve, category))
        if sla.resolve < sla.ack:
            raise ValueError(f"SLA entry {part!r}: resolving cannot be due before acknowledging")
        policy[category.strip()] = sla
    return policy


def for_category(config: str, category: str) -> Sla:
    policy = parse(config)
    return policy.get(category, policy["default"])
