"""Broker channel names: the only place that knows how an event is routed and what a subscription listens to.

A post's event goes to its H3 cell at both feed resolutions (fine and coarse), to every area it lies in, and
to the moderation channel. A `near` subscription listens to the cells (at one resolution, picked for its
radius) that cover its disk; the cover is a superset and the gateway's exact filter does the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from warga import geo

CONTROL = "control"  # session revocations and role changes, to every gateway
MODERATION = "moderation"


def cell(res: int, cell_id: int) -> str:
    # Interned: thousands of subscriptions share a neighbourhood's cells, and so share these strings.
    return sys.intern(f"cell:{res}:{cell_id}")


def area(area_id: int) -> str:
    return f"area:{area_id}"


def agency_key(agency_id: int) -> int:
    """A city agency's place in an event's area_ids: its id negated (area ids are positive). An agency owns
    reports as an area does, so its subscribers ride the area machinery unchanged: the channel, the replay
    index on events.area_ids and the subscription filter."""
    return -agency_id


def for_event(lat: float | None, lon: float | None, area_ids: Iterable[int]) -> list[str]:
    """Every channel an event is published to."""
    names = []
    if lat is not None and lon is not None:
        names.append(cell(geo.FINE_RES, geo.cell(lat, lon, geo.FINE_RES)))
        names.append(cell(geo.COARSE_RES, geo.cell(lat, lon, geo.COARSE_RES)))
    names.extend(area(a) for a in area_ids)
    names.append(MODERATION)
    return names


def for_near(lat: float, lon: float, radius_m: float) -> tuple[str, ...]:
    res = geo.resolution_for(radius_m)
    return tuple(cell(res, c) for c in geo.cover(lat, lon, radius_m, res))
