"""The cell cover must never miss: brute force against random points in and around the disk."""

from __future__ import annotations

import math
import random

import pytest

from kernel import geo
from realtime import channels


@pytest.mark.parametrize("radius_m", [1.0, 50.0, 400.0, 1000.0, 1500.0, 2500.0, 10000.0])
def test_cover_contains_every_point_within_radius(radius_m: float) -> None:
    rng = random.Random(int(radius_m))
    res = geo.resolution_for(radius_m)
    for _ in range(20):
        lat, lon = rng.uniform(-6.4, -6.0), rng.uniform(106.6, 107.0)
        cells = set(geo.cover(lat, lon, radius_m, res))
        for _ in range(300):
            # Points concentrated near the rim, where a cover would fail first.
            d = radius_m * math.sqrt(rng.uniform(0.8, 1.0))
            b = rng.uniform(0, 2 * math.pi)
            plat = lat + math.degrees(d * math.cos(b) / geo.EARTH_RADIUS_M)
            plon = lon + math.degrees(d * math.sin(b) / (geo.EARTH_RADIUS_M * math.cos(math.radians(lat))))
            if geo.distance_m(lat, lon, plat, plon) <= radius_m:
                assert geo.cell(plat, plon, res) in cells


def test_cover_near_pole_and_antimeridian_falls_back_to_rings() -> None:
    for lat, lon in ((85.0, 10.0), (-6.2, 179.9)):
        cells = set(geo.cover(lat, lon, 1000, 7))
        assert geo.cell(lat, lon, 7) in cells and len(cells) > 1


def test_distance_matches_known_value() -> None:
    # Monas to Bundaran HI is about 2.2 km.
    assert 2100 < geo.distance_m(-6.1754, 106.8272, -6.1950, 106.8230) < 2300


def test_bbox_contains_disk() -> None:
    lo_lat, hi_lat, lo_lon, hi_lon = geo.bbox(-6.2, 106.8, 1000)
    assert geo.distance_m(-6.2, 106.8, hi_lat, 106.8) == pytest.approx(1000, rel=1e-3)
    assert geo.distance_m(-6.2, 106.8, -6.2, hi_lon) == pytest.approx(1000, rel=1e-3)
    assert lo_lat < -6.2 < hi_lat and lo_lon < 106.8 < hi_lon


@pytest.mark.parametrize("radius_m", [1.0, 240.0, 260.0, 1000.0, 1500.0, 1600.0, 10000.0])
def test_near_channels_hear_every_event_within_the_radius(radius_m: float) -> None:
    """Routing: an event published at a point within the radius reaches one of the subscription's channels,
    whichever resolution channels.near_resolution picks for that radius."""
    rng = random.Random(int(radius_m) + 7)
    for _ in range(10):
        lat, lon = rng.uniform(-6.4, -6.0), rng.uniform(106.6, 107.0)
        listening = set(channels.for_near(lat, lon, radius_m))
        for _ in range(200):
            d = radius_m * math.sqrt(rng.uniform(0.8, 1.0))
            b = rng.uniform(0, 2 * math.pi)
            plat = lat + math.degrees(d * math.cos(b) / geo.EARTH_RADIUS_M)
            plon = lon + math.degrees(d * math.sin(b) / (geo.EARTH_RADIUS_M * math.cos(math.radians(lat))))
            if geo.distance_m(lat, lon, plat, plon) <= radius_m:
                assert listening & set(channels.for_event(plat, plon, ()))
