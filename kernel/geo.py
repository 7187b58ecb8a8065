"""Geography shared by the feed and the live gateway: distances, H3 cells, and cell covers of a disk.

A cover is a superset: every point within the radius lies in one of its cells. Exactness comes from the
great-circle filter applied afterwards; the cover only has to be cheap and never miss.
"""

from __future__ import annotations

import math
from functools import lru_cache

import h3

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), the one h3.great_circle_distance uses


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def cell(lat: float, lon: float, res: int) -> int:
    return int(h3.str_to_int(h3.latlng_to_cell(lat, lon, res)))


# Feed and channels use these resolutions: res 9 cells (~0.1 km²) for small radii, res 7 (~5 km²) for large.
FINE_RES, COARSE_RES = 9, 7
FINE_MAX_RADIUS_M = 1500.0
_POLYGON_SIDES = 24


@lru_cache(maxsize=16)
def _max_edge_m(res: int) -> float:
    # Edge lengths vary about +/-30 % around the average within a resolution (pentagons aside); 1.4x the
    # average bounds the largest hexagon's circumradius, which equals its edge.
    return float(h3.average_hexagon_edge_length(res, unit="m")) * 1.4


def resolution_for(radius_m: float) -> int:
    return FINE_RES if radius_m <= FINE_MAX_RADIUS_M else COARSE_RES


def cover(lat: float, lon: float, radius_m: float, res: int) -> list[int]:
    """Cells at `res` that together contain every point within radius_m of (lat, lon).

    Near the poles or the antimeridian, where a polygon around the disk is ill-formed, a generous k-ring
    is used instead.
    """
    if abs(lat) > 80 or abs(lon) > 179:
        return _ring_cover(lat, lon, radius_m, res)
    # A cell reaches the disk only if its centre is within radius + its circumradius (= its edge length) of
    # the disk's centre; so listing the cells whose CENTRE lies in a polygon that circumscribes that larger
    # circle finds every cell the disk touches, and centre containment is H3's cheapest polygon fill.
    grown = radius_m + _max_edge_m(res)
    reach = grown / math.cos(math.pi / _POLYGON_SIDES) * 1.01 + 5.0
    coslat = math.cos(math.radians(lat))
    ring = []
    for i in range(_POLYGON_SIDES):
        bearing = 2 * math.pi * i / _POLYGON_SIDES
        dlat = math.degrees(reach * math.cos(bearing) / EARTH_RADIUS_M)
        dlon = math.degrees(reach * math.sin(bearing) / (EARTH_RADIUS_M * coslat))
        ring.append((lat + dlat, lon + dlon))
    cells = h3.h3shape_to_cells(h3.LatLngPoly(ring), res)
    cells.append(h3.latlng_to_cell(lat, lon, res))  # a tiny radius may hold no cell centre
    return sorted({int(h3.str_to_int(c)) for c in cells})


def _ring_cover(lat: float, lon: float, radius_m: float, res: int) -> list[int]:
    edge = float(h3.average_hexagon_edge_length(res, unit="m"))
    # Neighbouring centres are ~1.7 edges apart and sizes vary ~2x: one ring per edge length is ample.
    k = math.ceil((radius_m + 3 * edge) / edge) + 1
    center = h3.latlng_to_cell(lat, lon, res)
    return sorted(int(h3.str_to_int(c)) for c in h3.grid_disk(center, k))


def bbox(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the disk; a cheap prefilter for SQL."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * coslat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
