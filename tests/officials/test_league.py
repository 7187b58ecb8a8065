"""The league on a constructed data set, every figure checked against values computed by hand (below), plus
one area's stats, CSV, and bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest

from feed.officials.admin import assign
from feed.officials.league import COLUMNS
from tests.conftest import MakeUser
from tests.officials_helpers import (
    IN_L1,
    IN_L2,
    IN_L3,
    Clock,
    World,
    change,
    make_world,
    post_at,
    resolve,
)
from warga.runtime import Runtime

H = 3600.0


@pytest.fixture
async def league(runtime: Runtime, make_user: MakeUser, clock: Clock, client: httpx.AsyncClient) -> World:
    """Category garbage (default SLA: acknowledge 24 h, resolve 168 h). Everything reported at T0.

    L1 (lurah; population 10,000): a ack +1h resolved +10h; b ack +2h resolved +30h; c ack +3h, open;
        d ack +30h (late) resolved +200h (late).
    L2 (no official of its own; population 30,000): e ack +4h resolved +5h, reopened +6h by its reporter
        (a new clock from +6h, never acknowledged); f never acknowledged.
    L3 (two officials; population 20,000): g rejected +1h.
    The league is read at T0 + 200h.
    """
    w = await make_world(runtime, make_user)
    second = await make_user()
    async with runtime.pool.acquire() as conn:
        await assign(conn, second.handle, "L3")
    a, b, c, d = [await post_at(client, w.citizen, IN_L1, "garbage") for _ in range(4)]
    e, f = [await post_at(client, w.citizen, IN_L2, "garbage") for _ in range(2)]
    g = await post_at(client, w.citizen, IN_L3, "garbage")
    del f  # f is never touched

    async def at(hours: float, *steps: Any) -> None:
        clock.now = w_start + timedelta(hours=hours)
        for step in steps:
            r = await step
            assert r.status_code == 200, r.text

    w_start = clock.now
    await at(
        1,
        change(client, w.lurah, a["id"], "acknowledged"),
        change(client, w.other, g["id"], "rejected", reason="x"),
    )
    await at(2, change(client, w.lurah, b["id"], "acknowledged"))
    await at(3, change(client, w.lurah, c["id"], "acknowledged"))
    await at(4, change(client, w.camat, e["id"], "acknowledged"))
    await at(5, resolve(client, w.camat, e["id"], gps=IN_L2))
    await at(
        6, client.post(f"/api/posts/{e['id']}/reopen", json={"reason": "lagi"}, headers=w.citizen.headers)
    )
    await at(10, resolve(client, w.lurah, a["id"], gps=IN_L1))
    await at(
        30, resolve(client, w.lurah, b["id"], gps=IN_L1), change(client, w.lurah, d["id"], "acknowledged")
    )
    await at(200, resolve(client, w.lurah, d["id"], gps=IN_L1))
    return w


# Hand-computed. percentile_cont over n sorted values v0..v(n-1) at fraction q: position (n-1)q, interpolated.
# L1 acknowledge times 1h, 2h, 3h, 30h: p50 at 1.5 -> 2.5h = 9000 s; p90 at 2.7 -> 3h + 0.7 x 27h = 78840 s.
# L1 resolve times 10h, 30h, 200h: p50 = 30h = 108000 s; p90 at 1.8 -> 30h + 0.8 x 170h = 166h = 597600 s.
# L1 within SLA: a, b yes; c (resolve deadline 168h passed, still open) no; d (acknowledged late) no -> 2/4.
# L2: clocks e (on time), e' (reopen clock, acknowledge deadline +30h passed) and f (deadline +24h passed)
#     -> 1/3; resolved 1, reopened 1 -> reopen rate 1.0; 2 reports, no official of its own (counts as 1).
# L3: g rejected at 1h: answered and closed in time -> 1/1; no resolutions -> reopen rate undefined.
# Workload: reports per official L1 4/1 = 4, L2 2/1 = 2, L3 1/2 = 0.5; median 2; factors clamp(x/2, 0.5, 2):
# L1 2, L2 1, L3 0.5. Score = 100 x share x factor^0.25: L1 50 x 2^0.25 = 59.4604, L2 33.3333,
# L3 100 x 0.5^0.25 = 84.0896 -> ranks L3 1, L1 2, L2 3.
EXPECTED = {
    "L3": {
        "rank": 1,
        "reports": 1,
        "clocks": 1,
        "officials": 2,
        "population": 20000,
        "ack_median_s": 1 * H,
        "ack_p90_s": 1 * H,
        "resolve_median_s": None,
        "resolve_p90_s": None,
        "decided": 1,
        "within_sla": 1,
        "within_sla_share": 1.0,
        "resolved": 0,
        "reopened": 0,
        "reopen_rate": None,
        "reports_per_official": 0.5,
        "reports_per_1000_residents": 0.05,
        "workload_factor": 0.5,
        "score": 84.0896,
    },
    "L1": {
        "rank": 2,
        "reports": 4,
        "clocks": 4,
        "officials": 1,
        "population": 10000,
        "ack_median_s": 9000.0,
        "ack_p90_s": 78840.0,
        "resolve_median_s": 108000.0,
        "resolve_p90_s": 597600.0,
        "decided": 4,
        "within_sla": 2,
        "within_sla_share": 0.5,
        "resolved": 3,
        "reopened": 0,
        "reopen_rate": 0.0,
        "reports_per_official": 4.0,
        "reports_per_1000_residents": 0.4,
        "workload_factor": 2.0,
        "score": 59.4604,
    },
    "L2": {
        "rank": 3,
        "reports": 2,
        "clocks": 3,
        "officials": 0,
        "population": 30000,
        "ack_median_s": 4 * H,
        "ack_p90_s": 4 * H,
        "resolve_median_s": 5 * H,
        "resolve_p90_s": 5 * H,
        "decided": 3,
        "within_sla": 1,
        "within_sla_share": 1 / 3,
        "resolved": 1,
        "reopened": 1,
        "reopen_rate": 1.0,
        "reports_per_official": 2.0,
        "reports_per_1000_residents": 2 / 30,
        "workload_factor": 1.0,
        "score": 33.3333,
    },
}


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if isinstance(value, float):
            assert row[key] == pytest.approx(value, abs=1e-3), key
        else:
            assert row[key] == value, key


async def test_kelurahan_league_matches_hand_computed_figures(
    client: httpx.AsyncClient, league: World
) -> None:
    r = await client.get("/api/league", params={"level": "kelurahan", "period": "30d"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["level"] == "kelurahan" and body["period"] == "30d"
    assert [row["name"] for row in body["items"]] == ["L3", "L1", "L2"]
    for row in body["items"]:
        assert set(row) == set(COLUMNS)
        assert row["area_id"] == league.area[row["name"]]
        check(row, EXPECTED[row["name"]])


async def test_kecamatan_league_aggregates_the_kelurahan_below(
    client: httpx.AsyncClient, league: World
) -> None:
    r = await client.get("/api/league", params={"level": "kecamatan"})
    rows = {row["name"]: row for row in r.json()["items"]}
    # C1 = L1 + L2: acknowledge times 1h, 2h, 3h, 4h, 30h -> p50 3h; p90 at 3.6 -> 4h + 0.6 x 26h = 19.6h.
    # Officials in C1's subtree: the camat and the lurah. Within SLA 3 of 7 decided clocks.
    check(
        rows["C1"],
        {
            "reports": 6,
            "clocks": 7,
            "officials": 2,
            "ack_median_s": 3 * H,
            "ack_p90_s": 19.6 * H,
            "decided": 7,
            "within_sla": 3,
            "resolved": 4,
            "reopened": 1,
            "reopen_rate": 0.25,
        },
    )
    check(rows["C2"], {"reports": 1, "officials": 2, "within_sla_share": 1.0})


async def test_area_stats_and_period(client: httpx.AsyncClient, league: World) -> None:
    r = await client.get(f"/api/areas/{league.area['L1']}/stats")
    assert r.status_code == 200, r.text
    check(r.json(), EXPECTED["L1"])
    assert r.json()["period"] == "30d"
    # A 1-hour window at T0 + 200h holds no clock start: nothing to rank.
    r = await client.get("/api/league", params={"period": "1h"})
    assert all(row["reports"] == 0 and row["rank"] is None for row in r.json()["items"])


async def test_csv(client: httpx.AsyncClient, league: World) -> None:
    r = await client.get("/api/league", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0]) == COLUMNS
    assert [row["name"] for row in rows] == ["L3", "L1", "L2"]
    assert rows[0]["resolve_median_s"] == "" and float(rows[1]["ack_p90_s"]) == pytest.approx(78840.0)
    r = await client.get(f"/api/areas/{league.area['L2']}/stats", headers={"Accept": "text/csv"})
    assert list(csv.reader(io.StringIO(r.text)))[1][COLUMNS.index("reopen_rate")] == "1.0"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "planet"}, "level"),
        ({"period": "30x"}, "period"),
        ({"period": "999d"}, "period"),
        ({"period": "0d"}, "period"),
        ({"sort": "x"}, "sort"),
    ],
)
async def test_bad_input(
    client: httpx.AsyncClient, runtime: Runtime, params: dict[str, str], field: str
) -> None:
    r = await client.get("/api/league", params=params)
    assert r.status_code == 422 and field in r.json()["error"]["fields"]


async def test_stats_of_unknown_area_is_404(client: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await client.get("/api/areas/999999/stats")).status_code == 404
