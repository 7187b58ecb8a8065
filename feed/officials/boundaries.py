"""Administrative areas: GeoJSON import with validation, exact point-in-polygon, and routing a point to the
deepest area containing it through an H3 cell index.

Import file: a GeoJSON FeatureCollection. Each Feature has a Polygon or MultiPolygon geometry (holes allowed;
rings closed, no ring crossing or touching itself or another ring) and properties:
  name        required, e.g. "Gambir"
  level       required: provinsi | kota | kabupaten | kecamatan | kelurahan | desa | rw | rt
  parent      optional: the code, or else the unique name, of the parent area (in this file or imported
              before); its level must be above this one's (kota above kecamatan above kelurahan)
  code        optional, unique (e.g. a Kemendagri code "31.71.01"); re-importing a code updates that area
  population  optional, a whole number (used for per-resident league figures)
An import is all-or-nothing: any invalid feature and nothing is written; the error names every bad feature.

Inside means GeoJSON's meaning: edges are straight lines in longitude/latitude. The test is even-odd ray
casting over all rings (so holes and multipolygons need no special cases), half-open so that a point on an
edge shared by two neighbouring areas belongs to exactly one of them.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import h3
from h3.api import basic_int as h3i  # integer cell ids, as stored: no string round trips

from db import areas as areas_db
from feed.core.context import AppRuntime
from kernel import geo

# Rank in the tree: a parent's rank must be lower than its child's. kota and kabupaten are peers.
LEVELS: dict[str, int] = {
    "provinsi": 0,
    "kota": 1,
    "kabupaten": 1,
    "kecamatan": 2,
    "kelurahan": 3,
    "desa": 3,
    "rw": 4,
    "rt": 5,
}
PROPERTIES = {"name", "level", "parent", "code", "population"}
MAX_ERRORS = 20

Point = tuple[float, float]  # (lon, lat), GeoJSON order
Ring = tuple[Point, ...]  # open: the closing point is not repeated
Polygon = tuple[Ring, ...]  # outer ring first, then holes


class AreaImportError(ValueError):
    """The file was refused; `errors` lists what is wrong, each naming its feature. Nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# --- Geometry -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Geometry:
    polygons: tuple[Polygon, ...]
    # Edges bucketed by latitude band, so a point meets only the few edges at its latitude, not all of a
    # real boundary's thousands: (first band's lat, band height, bands of (low point, high point)).
    _bands: tuple[float, float, list[list[tuple[Point, Point]]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        edges = []
        for ring in self.rings():
            for i in range(len(ring)):
                a, b = ring[i - 1], ring[i]
                if a[1] != b[1]:  # a horizontal edge is never crossed by a horizontal ray
                    edges.append((a, b) if a[1] < b[1] else (b, a))
        low = min(a[1] for a, _ in edges)
        high = max(b[1] for _, b in edges)
        count = max(1, len(edges) // 2)
        height = (high - low) / count or 1.0
        bands: list[list[tuple[Point, Point]]] = [[] for _ in range(count)]
        for a, b in edges:
            for k in range(self._band(a[1], low, height, count), self._band(b[1], low, height, count) + 1):
                bands[k].append((a, b))
        object.__setattr__(self, "_bands", (low, height, bands))

    @staticmethod
    def _band(y: float, low: float, height: float, count: int) -> int:
        return min(count - 1, max(0, int((y - low) / height)))

    def contains(self, lat: float, lon: float) -> bool:
        """Even-odd over the edges of every ring: a hole flips back to outside, a second polygon in.

        Half-open (an edge owns its lower end, a point owns what lies to its right), and each edge is read
        bottom-up whatever its ring's direction, so neighbours sharing an edge compute the very same
        crossing and a point on their common edge belongs to exactly one of them.
        """
        low, height, bands = self._bands
        x, y = lon, lat
        if y < low:
            return False
        inside = False
        for a, b in bands[self._band(y, low, height, len(bands))]:
            if a[1] <= y < b[1] and x < a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]):
                inside = not inside
        return inside

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, max_lat, min_lon, max_lon)."""
        lons = [p[0] for polygon in self.polygons for p in polygon[0]]
        lats = [p[1] for polygon in self.polygons for p in polygon[0]]
        return min(lats), max(lats), min(lons), max(lons)

    def to_geojson(self) -> dict[str, Any]:
        coords = [[[[x, y] for x, y in (*ring, ring[0])] for ring in polygon] for polygon in self.polygons]
        if len(coords) == 1:
            return {"type": "Polygon", "coordinates": coords[0]}
        return {"type": "MultiPolygon", "coordinates": coords}

    def rings(self) -> Iterable[Ring]:
        for polygon in self.polygons:
            yield from polygon


def _crossings(ring: Ring, x: float, y: float) -> int:
    count = 0
    n = len(ring)
    for i in range(n):
        a, b = ring[i - 1], ring[i]
        # Each edge is read bottom-up whatever the ring's direction, so two neighbours sharing an edge
        # compute the very same crossing x and agree on which of them owns a point on it.
        if a[1] > b[1]:
            a, b = b, a
        if a[1] <= y < b[1]:
            cross_x = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < cross_x:
                count += 1
    return count


def parse_geometry(obj: Any, *, check: bool = True) -> Geometry:
    """A validated Polygon or MultiPolygon; ValueError saying what is wrong. check=False skips the ring
    crossing and nesting checks, for geometries validated when they were imported."""
    if not isinstance(obj, dict):
        raise ValueError("geometry is missing")
    kind, coords = obj.get("type"), obj.get("coordinates")
    if kind == "Polygon":
        raw_polygons = [coords]
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise ValueError("MultiPolygon needs at least one polygon")
        raw_polygons = coords
    else:
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, not {kind!r}")
    polygons = tuple(_parse_polygon(p, i, len(raw_polygons) > 1) for i, p in enumerate(raw_polygons))
    geometry = Geometry(polygons)
    if check:
        _check_simple(geometry)
        _check_nesting(geometry)
    return geometry


def _parse_polygon(raw: Any, index: int, multi: bool) -> Polygon:
    where = f"polygon {index} " if multi else ""
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}needs at least an outer ring")
    return tuple(
        _parse_ring(r, f"{where}{'outer ring' if i == 0 else f'hole {i}'}") for i, r in enumerate(raw)
    )


def _parse_ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise ValueError(f"{where} needs at least 4 positions (a closed triangle)")
    points = [_parse_position(p, where) for p in raw]
    if points[0] != points[-1]:
        raise ValueError(f"{where} is not closed (first and last positions differ)")
    ring: list[Point] = []
    for p in points[:-1]:
        if not ring or ring[-1] != p:  # repeated positions add nothing
            ring.append(p)
    if len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    # All on one line is no ring; a zero signed area alone is not enough (a symmetric bow-tie has one,
    # and is reported as crossing itself instead).
    if len(ring) < 3 or all(_orient(ring[0], ring[1], p) == 0 for p in ring[2:]):
        raise ValueError(f"{where} has no area")
    return tuple(ring)


def _parse_position(raw: Any, where: str) -> Point:
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise ValueError(f"{where} has a position that is not [lon, lat]")
    lon, lat = raw[0], raw[1]
    for value in (lon, lat):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{where} has a coordinate that is not a number: {value!r}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"{where} has a position out of range: [{lon}, {lat}] (GeoJSON is [lon, lat])")
    return float(lon), float(lat)


# Segments: (ring number, index in ring, ring length, start, end).
Segment = tuple[int, int, int, Point, Point]


def _check_simple(geometry: Geometry) -> None:
    """No two edges of any rings may cross or touch, except neighbours in a ring at their shared vertex.

    Edges are bucketed in a grid so n edges cost about n tests, not n squared.
    """
    segments: list[Segment] = []
    for r, ring in enumerate(geometry.rings()):
        segments.extend((r, i, len(ring), ring[i - 1], ring[i]) for i in range(len(ring)))
    min_lat, max_lat, min_lon, max_lon = geometry.bbox
    # Buckets about twice a typical edge: each edge lands in a few, each bucket holds a few edges.
    extents = sorted(max(abs(b[0] - a[0]), abs(b[1] - a[1])) for _, _, _, a, b in segments)
    side = max(2 * extents[len(extents) // 2], (max_lon - min_lon + max_lat - min_lat) / 2048, 1e-9)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, (_, _, _, a, b) in enumerate(segments):
        for gx in range(int((min(a[0], b[0]) - min_lon) / side), int((max(a[0], b[0]) - min_lon) / side) + 1):
            for gy in range(
                int((min(a[1], b[1]) - min_lat) / side), int((max(a[1], b[1]) - min_lat) / side) + 1
            ):
                buckets[gx, gy].append(k)
    seen: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, k in enumerate(members):
            for m in members[i + 1 :]:
                pair = (k, m) if k < m else (m, k)
                if pair in seen:
                    continue
                seen.add(pair)
                if _bad_pair(segments[pair[0]], segments[pair[1]]):
                    a, b = segments[pair[0]][3], segments[pair[0]][4]
                    raise ValueError(
                        f"rings cross or touch themselves or each other near [{a[0]:.6f}, {a[1]:.6f}]"
                        f"-[{b[0]:.6f}, {b[1]:.6f}]"
                    )


def _bad_pair(s: Segment, t: Segment) -> bool:
    ring_s, i, n, a, b = s
    ring_t, j, _, c, d = t
    if ring_s == ring_t and (j - i) % n in (1, n - 1):
        # Neighbours share one vertex; they are bad only if they fold back over each other.
        return _orient(a, b, c) == 0 and _orient(a, b, d) == 0 and _overlap_collinear(a, b, c, d)
    return _segments_meet(a, b, c, d)


def _orient(p: Point, q: Point, r: Point) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _within(p: Point, q: Point, r: Point) -> bool:
    """r (collinear with pq) lies on the segment pq."""
    return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])


def _segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return (
        (o1 == 0 and _within(a, b, c))
        or (o2 == 0 and _within(a, b, d))
        or (o3 == 0 and _within(c, d, a))
        or (o4 == 0 and _within(c, d, b))
    )


def _overlap_collinear(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Two collinear segments sharing an endpoint overlap beyond it (a spike)."""
    shared = {a, b} & {c, d}
    far = [p for p in (c, d) if p not in shared] + [p for p in (a, b) if p not in shared]
    return any(_within(a, b, p) or _within(c, d, p) for p in far if p not in shared)


def _check_nesting(geometry: Geometry) -> None:
    """Rings never meet (checked above), so one vertex tells on which side of another ring a ring lies."""
    for n, polygon in enumerate(geometry.polygons):
        outer, holes = polygon[0], polygon[1:]
        for h, hole in enumerate(holes, start=1):
            if not _crossings(outer, *hole[0]) % 2:
                raise ValueError(f"hole {h} of polygon {n} lies outside its outer ring")
            for g, other_hole in enumerate(holes, start=1):
                if g != h and _crossings(other_hole, *hole[0]) % 2:
                    raise ValueError(f"hole {h} of polygon {n} lies inside hole {g}")
    for n, polygon in enumerate(geometry.polygons):
        for m, other in enumerate(geometry.polygons):
            if n != m and Geometry((other,)).contains(polygon[0][0][1], polygon[0][0][0]):
                raise ValueError(f"polygon {n} overlaps polygon {m}")


# --- Cell cover ------------------------------------------------------------------------------------------
FINE, COARSE = geo.FINE_RES, geo.COARSE_RES


def cover(geometry: Geometry) -> list[tuple[int, bool]]:
    """(cell, interior) rows indexing the geometry for lookup by a point's res-9 cell and its res-7 parent.

    Boundary cells at a resolution are the cells an edge passes through (found by sampling each edge at a
    third of a cell's edge length) widened by one ring, so no sampling gap or curvature slips a cell past.
    A cell outside that set meets no edge, so its centre tells whether all of it is inside.
    - res 7: a cell whose centre is inside and that is not a boundary cell is stored as interior. No edge
      comes within a whole res-7 ring of it, and H3 children stay well within their parent's ring, so
      every res-9 cell whose parent it is lies inside too: a point whose res-9 parent is such a cell is in.
    - res 9, only under res-7 boundary cells: boundary cells are stored as partial (exact test at lookup),
      the others as interior if their centre is inside.
    Work and rows grow with the perimeter, not the area, so a province costs little more than a kelurahan.
    """
    shape = _h3_shape(geometry)
    boundary7 = _boundary_cells(geometry, COARSE)
    boundary9 = _boundary_cells(geometry, FINE)
    coarse = set(h3i.h3shape_to_cells(shape, COARSE)) - boundary7
    rows = [(c, True) for c in sorted(coarse)]
    for parent in sorted(boundary7):
        for cell in h3i.cell_to_children(parent, FINE):
            if cell in boundary9:
                rows.append((cell, False))
            elif geometry.contains(*h3i.cell_to_latlng(cell)):
                rows.append((cell, True))
    # Belt and braces: a boundary cell under no res-7 boundary cell cannot happen (see above); were it to,
    # listing it as partial keeps the answer exact.
    rows += [
        (c, False) for c in sorted(boundary9) if _parent(c) not in boundary7 and _parent(c) not in coarse
    ]
    return rows


def _parent(cell: int) -> int:
    return int(h3i.cell_to_parent(cell, COARSE))


def lookup_cells(lat: float, lon: float) -> list[int]:
    """The index keys a point is looked up by: its res-9 cell and that cell's res-7 parent."""
    fine = geo.cell(lat, lon, FINE)
    return [fine, _parent(fine)]


def _boundary_cells(geometry: Geometry, res: int) -> set[int]:
    step_m = float(h3.average_hexagon_edge_length(res, unit="m")) / 3
    touched: set[int] = set()
    for ring in geometry.rings():
        for i in range(len(ring)):
            (x0, y0), (x1, y1) = ring[i - 1], ring[i]
            steps = max(1, math.ceil(geo.distance_m(y0, x0, y1, x1) / step_m))
            for k in range(steps + 1):
                t = k / steps
                touched.add(h3i.latlng_to_cell(y0 + (y1 - y0) * t, x0 + (x1 - x0) * t, res))
    widened: set[int] = set()
    for c in touched:
        widened.update(h3i.grid_disk(c, 1))
    return widened


def _h3_shape(geometry: Geometry) -> h3.H3Shape:
    polys = [
        h3.LatLngPoly(*[[(lat, lon) for lon, lat in ring] for ring in polygon])
        for polygon in geometry.polygons
    ]
    return polys[0] if len(polys) == 1 else h3.LatLngMultiPoly(*polys)


# --- Import ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    index: int
    name: str
    level: str
    code: str | None
    parent: str | None
    population: int | None
    geometry: Geometry

    @property
    def label(self) -> str:
        return _label(self.index, self.name)


def _label(index: int, name: Any) -> str:
    return f"feature {index} ({name!r})" if isinstance(name, str) and name else f"feature {index}"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    cells: int


def parse_collection(data: Any) -> list[Feature]:
    """Every feature validated on its own and against the others; AreaImportError lists all problems."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise AreaImportError(["the file must be a GeoJSON FeatureCollection"])
    raw_features = data.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        raise AreaImportError(["the FeatureCollection has no features"])
    features: list[Feature] = []
    errors: list[str] = []
    for index, raw in enumerate(raw_features):
        try:
            features.append(_parse_feature(index, raw))
        except ValueError as exc:
            props = raw.get("properties") if isinstance(raw, dict) else None
            name = props.get("name") if isinstance(props, dict) else None
            errors.append(f"{_label(index, name)}: {exc}")
    codes: dict[str, Feature] = {}
    for f in features:
        if f.code is not None:
            if f.code in codes:
                errors.append(f"{f.label}: code {f.code!r} is also used by {codes[f.code].label}")
            codes[f.code] = f
    if errors:
        raise AreaImportError(errors[:MAX_ERRORS])
    return features


def _parse_feature(index: int, raw: Any) -> Feature:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = raw.get("properties")
    if not isinstance(props, dict):
        raise ValueError("has no properties (name and level are required)")
    unknown = sorted(set(props) - PROPERTIES)
    if unknown:
        raise ValueError(f"unknown properties {unknown} (known: {sorted(PROPERTIES)})")
    name, level = props.get("name"), props.get("level")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or _has_control(name):
        raise ValueError("property 'name' must be a non-empty string of at most 200 printable characters")
    if level not in LEVELS:
        raise ValueError(f"property 'level' must be one of {list(LEVELS)}, not {level!r}")
    code = _optional_text(props, "code")
    parent = _optional_text(props, "parent")
    population = props.get("population")
    if population is not None and (
        isinstance(population, bool) or not isinstance(population, int) or not 0 <= population < 2**31
    ):
        raise ValueError("property 'population' must be a whole number >= 0")
    return Feature(index, name.strip(), level, code, parent, population, parse_geometry(raw.get("geometry")))


def _optional_text(props: dict[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric codes (BPS style) are codes all the same
    if not isinstance(value, str) or not value.strip() or len(value) > 100 or _has_control(value):
        raise ValueError(f"property {key!r} must be a non-empty string of at most 100 printable characters")
    return value.strip()


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


async def import_areas(conn: asyncpg.Connection, data: Any) -> ImportResult:
    """Validate, then write every area with its cell index in one transaction (all or nothing)."""
    features = parse_collection(data)
    covers = {f.index: cover(f.geometry) for f in features}  # before the transaction: CPU only
    async with conn.transaction():
        await areas_db.lock_for_import(conn)
        parents = await _resolve_parents(conn, features)
        ids: dict[int, int] = {}
        created = updated = 0
        # Parents rank above children, so sorting by rank writes every parent before its children.
        for f in sorted(features, key=lambda f: (LEVELS[f.level], f.index)):
            parent_id = parents[f.index]
            if isinstance(parent_id, Feature):
                parent_id = ids[parent_id.index]
            min_lat, max_lat, min_lon, max_lon = f.geometry.bbox
            fields = {
                "parent_id": parent_id,
                "level": f.level,
                "name": f.name,
                "code": f.code,
                "population": f.population,
                "geometry": f.geometry.to_geojson(),
                "depth": 0,  # recomputed below from the parent links
                "min_lat": min_lat,
                "max_lat": max_lat,
                "min_lon": min_lon,
                "max_lon": max_lon,
            }
            if f.code is not None:
                existing = await areas_db.by_code(conn, f.code)
            else:
                existing = await areas_db.same_place(conn, f.level, f.name, parent_id)
            if existing is None:
                ids[f.index] = await areas_db.insert(conn, fields)
                created += 1
            else:
                ids[f.index] = existing["id"]
                await areas_db.update(conn, existing["id"], fields)
                updated += 1
            await areas_db.replace_cells(conn, ids[f.index], covers[f.index])
        await areas_db.recompute_depths(conn)
    return ImportResult(created, updated, sum(len(c) for c in covers.values()))


async def _resolve_parents(
    conn: asyncpg.Connection, features: list[Feature]
) -> dict[int, int | Feature | None]:
    """Each feature's parent: a feature of this file (by code, then unique name) or an existing area."""
    by_code = {f.code: f for f in features if f.code is not None}
    by_name: dict[str, list[Feature]] = defaultdict(list)
    for f in features:
        by_name[f.name.lower()].append(f)
    resolved: dict[int, int | Feature | None] = {}
    errors: list[str] = []
    for f in features:
        if f.parent is None:
            resolved[f.index] = None
            continue
        parent: int | Feature | None = None
        level = ""
        named = by_name.get(f.parent.lower(), [])
        if f.parent in by_code:
            parent, level = by_code[f.parent], by_code[f.parent].level
        elif len(named) == 1:
            parent, level = named[0], named[0].level
        elif len(named) > 1:
            errors.append(f"{f.label}: parent {f.parent!r} names {len(named)} features; use its code")
            continue
        else:
            row = await areas_db.by_code(conn, f.parent)
            rows = [row] if row is not None else await areas_db.by_name(conn, f.parent)
            if len(rows) > 1:
                errors.append(f"{f.label}: parent {f.parent!r} names {len(rows)} areas; use its code")
                continue
            if rows:
                parent, level = rows[0]["id"], rows[0]["level"]
        if parent is None:
            errors.append(f"{f.label}: parent {f.parent!r} is neither in the file nor imported before")
        elif LEVELS.get(level, -1) >= LEVELS[f.level]:
            errors.append(f"{f.label}: a {f.level} cannot sit under a {level} ({f.parent!r})")
        else:
            resolved[f.index] = parent
    if errors:
        raise AreaImportError(errors[:MAX_ERRORS])
    return resolved


async def import_file(conn: asyncpg.Connection, path: Path) -> ImportResult:
    try:
        data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AreaImportError([f"cannot read {path}: {exc}"]) from None
    return await import_areas(conn, data)


async def import_command(runtime: AppRuntime, path: Path | str) -> None:
    """`warga areas import FILE`: prints what happened, exits non-zero listing every problem."""
    async with runtime.pool.acquire() as conn:
        try:
            result = await import_file(conn, Path(path))
        except AreaImportError as exc:
            lines = "\n".join(f"  {e}" for e in exc.errors)
            raise SystemExit(f"warga: {path} not imported (nothing was written):\n{lines}") from None
    counts = f"{result.created} areas created, {result.updated} updated, {result.cells} cells"
    print(f"warga: imported {path}: {counts}")


# --- Lookup ------------------------------------------------------------------------------------------------
# Parsed geometries by area id, with the updated_at they were read at; a re-import bumps updated_at.
_geometries: dict[int, tuple[Any, Geometry]] = {}
_CACHE_SIZE = 4096


async def deepest_area_for(conn: asyncpg.Connection, lat: float, lon: float) -> int | None:
    """The id of the deepest area containing the point, None if no area does."""
    for candidate in await areas_db.cell_candidates(conn, lookup_cells(lat, lon)):
        if candidate["interior"]:
            return int(candidate["id"])
        shape = await _geometry(conn, candidate["id"], candidate["updated_at"])
        if shape is not None and shape.contains(lat, lon):
            return int(candidate["id"])
    return None


async def route(conn: asyncpg.Connection, lat: float, lon: float) -> list[int]:
    """The deepest area containing the point and its ancestors, deepest first (a post's area_ids)."""
    deepest = await deepest_area_for(conn, lat, lon)
    if deepest is None:
        return []
    return [row["id"] for row in await areas_db.chain(conn, deepest)]


async def _geometry(conn: asyncpg.Connection, area_id: int, updated_at: Any) -> Geometry | None:
    cached = _geometries.get(area_id)
    if cached is not None and cached[0] == updated_at:
        return cached[1]
    row = await areas_db.geometry(conn, area_id)
    if row is None or row["geometry"] is None:
        return None
    # Stored geometries were validated at import; parsing again only rebuilds the tuples.
    shape = parse_geometry(row["geometry"], check=False)
    if len(_geometries) >= _CACHE_SIZE:
        _geometries.clear()
    _geometries[area_id] = (row["updated_at"], shape)
    return shape
