"""Helpers for the officials tests: a small area tree with an enclave hole, its officials, a clock the tests
move by hand, and shortcuts for posting and changing status over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from feed.officials import boundaries
from feed.officials.admin import assign
from tests.conftest import Account, MakeUser
from tests.photo_samples import phone_jpeg
from warga.runtime import Runtime


def box(x0: float, y0: float, x1: float, y1: float, clockwise: bool = False) -> list[list[float]]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return ring[::-1] if clockwise else ring


def feature(name: str, level: str, *rings: list[list[float]], **props: Any) -> dict[str, Any]:
    geometry = {"type": "Polygon", "coordinates": list(rings)}
    return {"type": "Feature", "properties": {"name": name, "level": level, **props}, "geometry": geometry}


# Kota K (lon 120.00-120.04, lat -5.02..-5.00) = kecamatan C1 (west half) + C2 (east half).
# C1 = kelurahan L1 (west) + L2 (east), sharing the edge lon 120.010; L1 has a hole (H) that no kelurahan
# covers, so a report there belongs to C1 itself. C2 = kelurahan L3.
HOLE = box(120.004, -5.012, 120.006, -5.008, clockwise=True)
AREAS = {
    "type": "FeatureCollection",
    "features": [
        feature("K", "kota", box(120.000, -5.020, 120.040, -5.000), code="K", population=60000),
        feature("C1", "kecamatan", box(120.000, -5.020, 120.020, -5.000), code="C1", parent="K"),
        feature("C2", "kecamatan", box(120.020, -5.020, 120.040, -5.000), code="C2", parent="K"),
        feature(
            "L1",
            "kelurahan",
            box(120.000, -5.020, 120.010, -5.000),
            HOLE,
            code="L1",
            parent="C1",
            population=10000,
        ),
        feature(
            "L2", "kelurahan", box(120.010, -5.020, 120.020, -5.000), code="L2", parent="C1", population=30000
        ),
        feature(
            "L3", "kelurahan", box(120.020, -5.020, 120.040, -5.000), code="L3", parent="C2", population=20000
        ),
    ],
}
IN_L1 = (-5.015, 120.002)
IN_HOLE = (-5.010, 120.005)
IN_L2 = (-5.005, 120.015)
IN_L3 = (-5.005, 120.030)
OUTSIDE = (-4.900, 120.005)
ON_L1_L2_EDGE = (-5.015, 120.010)


@dataclass
class World:
    area: dict[str, int]
    lurah: Account  # official of L1
    camat: Account  # official of C1 (sees L1 and L2)
    other: Account  # official of L3
    citizen: Account
    admin: Account


async def make_world(runtime: Runtime, make_user: MakeUser) -> World:
    async with runtime.pool.acquire() as conn:
        await boundaries.import_areas(conn, AREAS)
        ids = {r["code"]: r["id"] for r in await conn.fetch("SELECT id, code FROM areas")}
    lurah, camat, other = [await make_user("citizen") for _ in range(3)]
    async with runtime.pool.acquire() as conn:
        for who, code in ((lurah, "L1"), (camat, "C1"), (other, "L3")):
            await assign(conn, who.handle, code)
            who.role = "official"
    return World(ids, lurah, camat, other, await make_user("citizen"), await make_user("admin"))


class Clock:
    """runtime.clock for tests: time moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# Tomorrow 08:00 UTC: after a test the real clock is behind every deadline it made, so the background sweep
# (running on real time again) finds nothing overdue in what the test left behind.
START = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)


@asynccontextmanager
async def controlled_clock(runtime: Runtime) -> AsyncIterator[Clock]:
    """The runtime reads this clock meanwhile, and its background escalation sweep is paused (the tests run
    sweeps themselves, at the times they choose)."""
    clock = Clock(START)
    saved = runtime.clock
    sweeper = runtime.sweeper
    if sweeper is not None:
        await sweeper.stop()
    runtime.clock = clock
    try:
        yield clock
    finally:
        runtime.clock = saved
        if sweeper is not None:
            sweeper.start()


async def post_at(
    client: httpx.AsyncClient, who: Account, where: tuple[float, float], category: str = "flood"
) -> dict[str, Any]:
    body = {"text": "banjir di sini", "category": category, "lat": where[0], "lon": where[1]}
    r = await client.post("/api/posts", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    post: dict[str, Any] = r.json()
    return post


async def change(
    client: httpx.AsyncClient, who: Account, post_id: int, status: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"/api/posts/{post_id}/status", json={"status": status, **fields}, headers=who.headers
    )


async def resolve(
    client: httpx.AsyncClient,
    who: Account,
    post_id: int,
    *,
    gps: tuple[float, float] | None,
    note: str | None = "diperbaiki",
    device: tuple[float, float] | None = None,
    photo: bool = True,
) -> httpx.Response:
    data: dict[str, str] = {"status": "resolved"}
    if note is not None:
        data["note"] = note
    if device is not None:
        data["lat"], data["lon"] = str(device[0]), str(device[1])
    files = {"photo": ("proof.jpg", phone_jpeg(gps=gps), "image/jpeg")} if photo else None
    if files is None:
        return await client.post(f"/api/posts/{post_id}/status", json=data, headers=who.headers)
    return await client.post(f"/api/posts/{post_id}/status", data=data, files=files, headers=who.headers)


def away(point: tuple[float, float], metres_north: float) -> tuple[float, float]:
    """A point `metres_north` due north of `point` (1 degree of latitude is about 111.2 km)."""
    return point[0] + metres_north / 111_195.0, point[1]
