"""Areas: GeoJSON import (validation, all-or-nothing, re-import), routing a point to the deepest area at
edges and holes, the cell index against brute force, and the HTTP lookups."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h3
import httpx
import pytest
from starlette.routing import Route

from feed.app import build_app
from feed.officials import areas as areas_http
from feed.officials import boundaries
from warga.demo import demo_areas_path
from warga.runtime import Runtime

# --- Helpers ------------------------------------------------------------------------------------------------


def box(x0: float, y0: float, x1: float, y1: float, clockwise: bool = False) -> list[list[float]]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return ring[::-1] if clockwise else ring


def feature(name: str, level: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"name": name, "level": level, **props}, "geometry": geometry}


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# A kota P split into kecamatan A | B along x = 110.010; A has a hole that is kecamatan C (an enclave);
# kelurahan D is a triangle in A's south-west corner whose long edge is the diagonal x + y = 102.994.
HOLE = box(110.004, -7.002, 110.006, -6.998, clockwise=True)
TEST_AREAS = collection(
    feature("P", "kota", polygon(box(110.000, -7.010, 110.020, -6.990)), code="P"),
    feature("A", "kecamatan", polygon(box(110.000, -7.010, 110.010, -6.990), HOLE), code="A", parent="P"),
    feature("B", "kecamatan", polygon(box(110.010, -7.010, 110.020, -6.990)), code="B", parent="P"),
    feature("C", "kecamatan", polygon(box(110.004, -7.002, 110.006, -6.998)), code="C", parent="P"),
    feature(
        "D",
        "kelurahan",
        polygon([[110.000, -7.010], [110.004, -7.010], [110.000, -7.006], [110.000, -7.010]]),
        code="D",
        parent="A",
    ),
)


async def import_(runtime: Runtime, data: Any) -> boundaries.ImportResult:
    async with runtime.pool.acquire() as conn:
        return await boundaries.import_areas(conn, data)


async def ids_by_code(runtime: Runtime) -> dict[str, int]:
    async with runtime.pool.acquire() as conn:
        return {r["code"]: r["id"] for r in await conn.fetch("SELECT id, code FROM areas")}


async def deepest(runtime: Runtime, lat: float, lon: float) -> int | None:
    async with runtime.pool.acquire() as conn:
        return await boundaries.deepest_area_for(conn, lat, lon)


def brute_force(features: list[boundaries.Feature], lat: float, lon: float) -> list[boundaries.Feature]:
    """Every area containing the point, deepest level first, straight from the polygons."""
    found = [f for f in features if f.geometry.contains(lat, lon)]
    return sorted(found, key=lambda f: -boundaries.LEVELS[f.level])


@pytest.fixture
async def areas_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the area routes (first, ahead of any catch-all mount) until feed/app.py lists them."""
    app = build_app(runtime)
    app.router.routes[0:0] = [
        Route("/api/areas", areas_http.lookup, methods=["GET"]),
        Route("/api/areas/{id}", areas_http.detail, methods=["GET"]),
    ]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# --- Routing at edges and holes -----------------------------------------------------------------------------


async def test_points_at_edges_and_holes_go_to_the_right_area(runtime: Runtime) -> None:
    result = await import_(runtime, TEST_AREAS)
    assert (result.created, result.updated) == (5, 0)
    ids = await ids_by_code(runtime)
    eps = 1e-9  # ~0.1 mm: the exact test, not the cell index, decides here
    cases = [
        ((-7.000, 110.002), "A"),  # plain A
        ((-7.000, 110.005), "C"),  # in A's hole: the enclave
        ((-7.000, 110.004 - eps), "A"),  # just outside the hole's west edge
        ((-7.000, 110.004 + eps), "C"),  # just inside it
        ((-6.998 + eps, 110.005), "A"),  # just north of the hole
        ((-7.000, 110.010 - eps), "A"),  # either side of the A|B edge
        ((-7.000, 110.010 + eps), "B"),
        ((-7.008 - 1e-7, 110.002), "D"),  # either side of D's diagonal edge x + y = 102.994
        ((-7.008 + 1e-7, 110.002), "A"),
        ((-7.009, 110.0005), "D"),
        ((-6.990 - eps, 110.015), "B"),  # just inside P's north edge
    ]
    for (lat, lon), expected in cases:
        assert await deepest(runtime, lat, lon) == ids[expected], (lat, lon, expected)
    for lat, lon in [
        (-6.990 + eps, 110.015),
        (-7.000, 110.020 + eps),
        (-7.010 - eps, 110.005),
        (-7.0, 109.99),
    ]:
        assert await deepest(runtime, lat, lon) is None, (lat, lon)

    # The chain goes up the tree: D -> A -> P, C -> P.
    async with runtime.pool.acquire() as conn:
        assert await boundaries.route(conn, -7.009, 110.0005) == [ids["D"], ids["A"], ids["P"]]
        assert await boundaries.route(conn, -7.000, 110.005) == [ids["C"], ids["P"]]
        assert await boundaries.route(conn, -7.0, 109.99) == []


async def test_every_lattice_point_matches_brute_force_and_siblings_tile(runtime: Runtime) -> None:
    """Points on a lattice that includes the exact edges and corners: the index agrees with testing every
    polygon, and inside P each point lies in exactly one of A, B, C (shared edges belong to one side)."""
    await import_(runtime, TEST_AREAS)
    ids = await ids_by_code(runtime)
    features = boundaries.parse_collection(TEST_AREAS)
    checked = on_edges = 0
    for i in range(-2, 47):
        for j in range(-2, 47):
            lon, lat = round(110.000 + i * 0.0005, 6), round(-7.010 + j * 0.0005, 6)
            found = brute_force(features, lat, lon)
            assert await deepest(runtime, lat, lon) == (ids[found[0].name] if found else None), (lat, lon)
            if any(f.name == "P" for f in found):
                assert sum(f.level == "kecamatan" for f in found) == 1, (lat, lon)
            checked += 1
            on_edges += lon in (110.004, 110.006, 110.010) or lat in (-7.002, -6.998)
    assert checked == 49 * 49 and on_edges > 100


async def test_multipolygon_parts_and_the_gap_between(runtime: Runtime) -> None:
    islands = {
        "type": "MultiPolygon",
        "coordinates": [[box(111.0, -7.0, 111.01, -6.99)], [box(111.02, -7.0, 111.03, -6.99)]],
    }
    await import_(runtime, collection(feature("Kepulauan", "kota", islands, code="KS")))
    ids = await ids_by_code(runtime)
    assert await deepest(runtime, -6.995, 111.005) == ids["KS"]
    assert await deepest(runtime, -6.995, 111.025) == ids["KS"]
    assert await deepest(runtime, -6.995, 111.015) is None


def test_cover_indexes_large_interiors_at_res_7() -> None:
    big = boundaries.parse_geometry(polygon(box(110.0, -7.2, 110.2, -7.0)))
    rows = boundaries.cover(big)
    coarse = [c for c, interior in rows if h3.get_resolution(h3.int_to_str(c)) == 7]
    boundary = [c for c, interior in rows if not interior]
    assert coarse and boundary
    assert all(interior for c, interior in rows if c in set(coarse))
    # Fewer rows than listing every res-9 cell inside, and the gap widens with size (perimeter vs area).
    every_fine = h3.h3shape_to_cells(
        h3.LatLngPoly([(lat, lon) for lon, lat in box(110.0, -7.2, 110.2, -7.0)]), 9
    )
    assert len(rows) < 0.75 * len(every_fine)
    huge = boundaries.cover(boundaries.parse_geometry(polygon(box(110.0, -7.8, 110.8, -7.0))))  # 16x the area
    assert len(huge) < 6 * len(rows)
    index = dict(rows)
    rng = random.Random(5)
    for _ in range(2000):
        lat, lon = rng.uniform(-7.25, -6.95), rng.uniform(109.95, 110.25)
        hits = [(c, index[c]) for c in boundaries.lookup_cells(lat, lon) if c in index]
        indexed = any(interior for _, interior in hits) or (bool(hits) and big.contains(lat, lon))
        assert indexed == big.contains(lat, lon), (lat, lon)


# --- The shipped Jakarta set --------------------------------------------------------------------------------


async def test_jakarta_demo_areas_route_real_places(
    runtime: Runtime, areas_client: httpx.AsyncClient
) -> None:
    result = await import_(runtime, json.loads(demo_areas_path().read_text(encoding="utf-8")))
    assert result.created == 153 and result.updated == 0
    r = await areas_client.get("/api/areas", params={"lat": -6.1754, "lon": 106.8272})  # Monas
    assert r.status_code == 200
    chain = r.json()["items"]
    assert [(a["level"], a["name"]) for a in chain] == [
        ("kelurahan", "Gambir"),
        ("kecamatan", "Gambir"),
        ("kota", "Jakarta Pusat"),
    ]
    assert chain[0]["parent_id"] == chain[1]["id"] and chain[1]["parent_id"] == chain[2]["id"]
    for (lat, lon), kota in [
        ((-6.2443, 106.8006), "Jakarta Selatan"),  # Blok M
        ((-6.1170, 106.7900), "Jakarta Utara"),  # Pluit
        ((-6.1530, 106.7350), "Jakarta Barat"),  # Cengkareng
        ((-6.1950, 106.8900), "Jakarta Timur"),  # Rawamangun
    ]:
        r = await areas_client.get("/api/areas", params={"lat": lat, "lon": lon})
        assert r.json()["items"][-1]["name"] == kota
    r = await areas_client.get("/api/areas", params={"lat": -5.9, "lon": 106.8})  # the Java Sea
    assert r.status_code == 200 and r.json() == {"items": []}


async def test_jakarta_index_matches_brute_force_at_random_points(runtime: Runtime) -> None:
    data = json.loads(demo_areas_path().read_text(encoding="utf-8"))
    await import_(runtime, data)
    ids = await ids_by_code(runtime)
    features = boundaries.parse_collection(data)
    rng = random.Random(7)
    inside = 0
    for _ in range(400):
        lat, lon = rng.uniform(-6.38, -6.08), rng.uniform(106.68, 106.99)
        found = brute_force(features, lat, lon)
        assert await deepest(runtime, lat, lon) == (ids[found[0].code or ""] if found else None)
        if found:
            inside += 1
            assert [f.level for f in found] == ["kelurahan", "kecamatan", "kota"]  # one of each: they tile
    assert inside > 200
    async with runtime.pool.acquire() as conn:
        cells = [r["cell"] for r in await conn.fetch("SELECT cell FROM area_cells")]
    assert any(h3.get_resolution(h3.int_to_str(c)) == 7 for c in cells)


async def test_area_detail_has_parent_children_and_geometry(
    runtime: Runtime, areas_client: httpx.AsyncClient
) -> None:
    await import_(runtime, TEST_AREAS)
    ids = await ids_by_code(runtime)
    r = await areas_client.get(f"/api/areas/{ids['P']}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "P" and body["parent"] is None
    assert sorted(c["name"] for c in body["children"]) == ["A", "B", "C"]
    assert body["geometry"]["type"] == "Polygon"
    assert body["bbox"] == {"min_lat": -7.01, "max_lat": -6.99, "min_lon": 110.0, "max_lon": 110.02}
    body = (await areas_client.get(f"/api/areas/{ids['A']}")).json()
    assert body["parent"]["name"] == "P" and [c["name"] for c in body["children"]] == ["D"]
    assert len(body["geometry"]["coordinates"]) == 2  # outer ring and the hole


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/areas?lat=91&lon=106.8", 422, "lat"),
        ("/api/areas?lat=abc&lon=106.8", 422, "lat"),
        ("/api/areas?lat=NaN&lon=106.8", 422, "lat"),
        ("/api/areas?lat=-6.2", 422, "lon"),
        ("/api/areas?lat=-6.2&lon=106.8&radius=5", 422, "radius"),
        ("/api/areas/999999999", 404, None),
        ("/api/areas/abc", 404, None),
    ],
)
async def test_area_lookup_bad_input(
    areas_client: httpx.AsyncClient, path: str, status: int, field: str | None
) -> None:
    r = await areas_client.get(path)
    assert r.status_code == status
    error = r.json()["error"]
    assert isinstance(error["message"], str)
    if field is not None:
        assert field in error["fields"]


# --- Import errors and all-or-nothing -----------------------------------------------------------------------

GOOD = polygon(box(0, 0, 0.01, 0.01))
BROKEN: list[tuple[str, Any, str]] = [
    ("bow-tie", {"type": "Polygon", "coordinates": [[[0, 0], [4, 4], [4, 0], [0, 4], [0, 0]]]}, "cross"),
    ("pinched", polygon([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]), "touch"),
    ("spike", polygon([[0, 0], [4, 0], [4, 4], [4, 6], [4, 3], [0, 4], [0, 0]]), "cross or touch"),
    ("unclosed", polygon([[0, 0], [4, 0], [4, 4], [0, 4]]), "not closed"),
    ("too short", polygon([[0, 0], [4, 0], [0, 0]]), "at least 4"),
    ("flat", polygon([[0, 0], [2, 0], [4, 0], [0, 0]]), "no area"),
    ("hole outside", polygon(box(0, 0, 4, 4), box(5, 5, 6, 6, clockwise=True)), "outside its outer ring"),
    ("hole crossing", polygon(box(0, 0, 4, 4), box(3, 1, 5, 2, clockwise=True)), "cross"),
    ("holes crossing", polygon(box(0, 0, 9, 9), box(1, 1, 4, 4), box(3, 3, 6, 6)), "cross"),
    ("hole in hole", polygon(box(0, 0, 9, 9), box(1, 1, 8, 8), box(2, 2, 3, 3)), "inside hole"),
    (
        "parts overlap",
        {"type": "MultiPolygon", "coordinates": [[box(0, 0, 9, 9)], [box(1, 1, 2, 2)]]},
        "overlaps",
    ),
    ("lat out of range", polygon([[0, 0], [4, 0], [4, 95], [0, 0]]), "out of range"),
    ("not a number", polygon([[0, 0], [4, "0"], [4, 4], [0, 0]]), "not a number"),
    ("point", {"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
    ("no geometry", None, "geometry is missing"),
]


@pytest.mark.parametrize(("label", "geometry", "message"), BROKEN, ids=[b[0] for b in BROKEN])
async def test_broken_polygons_are_refused_naming_the_feature(
    runtime: Runtime, label: str, geometry: Any, message: str
) -> None:
    data = collection(feature("Baik", "kota", GOOD, code="OK"), feature(label, "kota", geometry))
    with pytest.raises(boundaries.AreaImportError) as caught:
        await import_(runtime, data)
    assert len(caught.value.errors) == 1
    error = caught.value.errors[0]
    assert error.startswith(f"feature 1 ({label!r})") and message in error, error
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM areas") == 0


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([feature("X", "kota", GOOD, parent="Nowhere")], "neither in the file nor imported before"),
        ([feature("X", "kota", GOOD, code="1"), feature("Y", "kota", GOOD, code="1")], "also used by"),
        ([feature("X", "kelurahan", GOOD), feature("Y", "kota", GOOD, parent="X")], "cannot sit under"),
        (
            [
                feature("X", "kota", GOOD),
                feature("X", "kota", GOOD),
                feature("Y", "kelurahan", GOOD, parent="X"),
            ],
            "use its code",
        ),
        ([feature("X", "city", GOOD)], "'level' must be one of"),
        ([feature("", "kota", GOOD)], "'name'"),
        ([feature("X\x00", "kota", GOOD)], "'name'"),
        ([feature("X", "kota", GOOD, nama="typo")], "unknown properties"),
        ([feature("X", "kota", GOOD, population=-5)], "population"),
        ([feature("X", "kota", GOOD, population=1.5)], "population"),
        ([{"type": "Feature", "geometry": GOOD}], "no properties"),
        ([{"type": "Point"}], "not a GeoJSON Feature"),
    ],
)
async def test_bad_properties_and_parents_are_refused(
    runtime: Runtime, features: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(boundaries.AreaImportError) as caught:
        await import_(runtime, collection(*features))
    assert any(message in e and e.startswith("feature ") for e in caught.value.errors), caught.value.errors
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM areas") == 0


@pytest.mark.parametrize(
    "data", [[], {"type": "Feature"}, {"type": "FeatureCollection", "features": []}, "x"]
)
async def test_not_a_feature_collection(runtime: Runtime, data: Any) -> None:
    with pytest.raises(boundaries.AreaImportError):
        await import_(runtime, data)


async def test_every_bad_feature_is_listed(runtime: Runtime) -> None:
    data = collection(
        feature("Satu", "kota", polygon([[0, 0], [4, 4], [4, 0], [0, 4], [0, 0]])),
        feature("Dua", "kota", GOOD),
        feature("Tiga", "desa-ish", GOOD),
    )
    with pytest.raises(boundaries.AreaImportError) as caught:
        await import_(runtime, data)
    assert [e.split(":")[0] for e in caught.value.errors] == ["feature 0 ('Satu')", "feature 2 ('Tiga')"]


async def test_a_failure_while_writing_leaves_nothing_behind(runtime: Runtime) -> None:
    """A database error half-way through the writes (a trigger refusing one row) rolls back the earlier
    inserts and cell rows too, and an earlier import stays exactly as it was."""
    await import_(runtime, collection(feature("Lama", "kota", polygon(box(0, 0, 0.01, 0.01)), code="L")))
    async with runtime.pool.acquire() as conn:
        before = await conn.fetch("SELECT id, name, geometry, updated_at FROM areas ORDER BY id")
        cells_before = await conn.fetchval("SELECT count(*) FROM area_cells")
        await conn.execute(
            """CREATE FUNCTION test_refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN IF NEW.name = 'Boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$;
               CREATE TRIGGER test_refuse_boom BEFORE INSERT OR UPDATE ON areas
                   FOR EACH ROW EXECUTE FUNCTION test_refuse_boom();"""
        )
    try:
        data = collection(
            feature("Lama", "kota", polygon(box(0, 0, 0.02, 0.02)), code="L"),  # an update, written first
            feature("Baru", "kecamatan", polygon(box(0, 0, 0.01, 0.01)), code="N", parent="L"),
            feature("Boom", "kelurahan", polygon(box(0, 0, 0.005, 0.005)), code="Z", parent="N"),
        )
        with pytest.raises(Exception, match="boom refused"):
            await import_(runtime, data)
    finally:
        async with runtime.pool.acquire() as conn:
            await conn.execute("DROP TRIGGER test_refuse_boom ON areas; DROP FUNCTION test_refuse_boom();")
    async with runtime.pool.acquire() as conn:
        assert await conn.fetch("SELECT id, name, geometry, updated_at FROM areas ORDER BY id") == before
        assert await conn.fetchval("SELECT count(*) FROM area_cells") == cells_before


async def test_reimport_updates_in_place(runtime: Runtime) -> None:
    await import_(runtime, TEST_AREAS)
    ids = await ids_by_code(runtime)
    moved = json.loads(json.dumps(TEST_AREAS))
    # B grows east; a point there now routes to B, and ids (which posts refer to) are kept.
    moved["features"][2]["geometry"] = polygon(box(110.010, -7.010, 110.030, -6.990))
    moved["features"][0]["geometry"] = polygon(box(110.000, -7.010, 110.030, -6.990))
    result = await import_(runtime, moved)
    assert (result.created, result.updated) == (0, 5)
    assert await ids_by_code(runtime) == ids
    assert await deepest(runtime, -7.0, 110.025) == ids["B"]


async def test_parent_may_be_an_area_imported_before_by_name(runtime: Runtime) -> None:
    await import_(
        runtime, collection(feature("Jakarta Pusat", "kota", polygon(box(0, 0, 0.02, 0.02)), code="31.71"))
    )
    await import_(
        runtime,
        collection(feature("Gambir", "kecamatan", polygon(box(0, 0, 0.01, 0.01)), parent="jakarta pusat")),
    )
    async with runtime.pool.acquire() as conn:
        chain = await boundaries.route(conn, 0.005, 0.005)
        names = [
            r["name"]
            for r in await conn.fetch("SELECT name FROM areas WHERE id = ANY($1) ORDER BY depth DESC", chain)
        ]
    assert names == ["Gambir", "Jakarta Pusat"]


async def test_import_command(runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await boundaries.import_command(runtime, demo_areas_path())
    assert "153 areas created" in capsys.readouterr().out
    broken = tmp_path / "broken.geojson"
    broken.write_text(
        json.dumps(collection(feature("Rusak", "kota", {"type": "Polygon", "coordinates": []})))
    )
    with pytest.raises(SystemExit) as caught:
        await boundaries.import_command(runtime, broken)
    assert "feature 0 ('Rusak')" in str(caught.value.code) and "nothing was written" in str(caught.value.code)
    with pytest.raises(SystemExit, match="cannot read"):
        await boundaries.import_command(runtime, tmp_path / "missing.geojson")
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM areas") == 153
