"""Broker channel names: the only place that knows how an event is routed and what a subscription listens to.

A post's event goes to its H3 cell at each of the routing resolutions (9, 8, 7), to every area it lies in,
and to the moderation channel. A `near` subscription listens to the cells (at one resolution, picked for its
radius) that cover its disk; the cover is a superset and the gateway's exact filter does the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from kernel import geo

CONTROL = "control"  # session revocations and role changes, to every gateway
MODERATION = "moderation"


def cell(res: int, cell_id: int) -> str:
    # Interned: thousands of subscriptions share a neighbourhood's cells, and so share these strings.
    return sys.intern(f"cell:{res}:{cell_id}")


def area(area_id: int) -> str:
    return f"area:{area_id}"


# (largest radius, resolution) for `near` subscriptions. Coarser than the feed's SQL cells on purpose: each
# cell of a cover is an entry in a listener list held as long as the socket lives, and that is most of what a
# subscription weighs (a 1 km disk: 49 cells at res 9, 13 at res 8). A coarser cover only makes the exact
# filter look at ~2x more candidates per event (about a microsecond each), which is cheap next to memory
# held by every idle phone. Res 9 stays for small disks, where res 8 would be mostly outside the disk.
NEAR_RESOLUTIONS = ((250.0, 9), (1500.0, 8), (float("inf"), 7))
EVENT_RESOLUTIONS = tuple(sorted({res for _, res in NEAR_RESOLUTIONS}, reverse=True))


def near_resolution(radius_m: float) -> int:
    return next(res for limit, res in NEAR_RESOLUTIONS if radius_m <= limit)


def for_event(lat: float | None, lon: float | None, area_ids: Iterable[int]) -> list[str]:
    """Every channel an event is published to."""
    names: list[str] = []
    if lat is not None and lon is not None:
        names.extend(cell(res, geo.cell(lat, lon, res)) for res in EVENT_RESOLUTIONS)
    names.extend(area(a) for a in area_ids)
    names.append(MODERATION)
    return names


def for_near(lat: float, lon: float, radius_m: float) -> tuple[str, ...]:
    res = near_resolution(radius_m)
    return tuple(cell(res, c) for c in geo.cover(lat, lon, radius_m, res))
