"""Generate jakarta_areas.geojson: approximate DKI Jakarta areas (5 kota > kecamatan > kelurahan).

Real boundary files cannot be downloaded here, so the demo areas are made up around real places: a grid
of ~450 m squares inside a rough outline of Jakarta is given to the nearest real kelurahan centre (a
Voronoi diagram on a grid), and each area is the union of its squares. Kecamatan and kota are unions of
their kelurahan, so the three levels tile without gaps or overlaps and share edges exactly. Shapes are
approximate; names, nesting and centres are real. Codes follow the Kemendagri pattern (31.71 Jakarta
Pusat ...) but the numbering below kota is illustrative.

Run: python warga/data/generate_jakarta_areas.py  (deterministic; rewrites the file next to it)
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

STEP = 0.004  # degrees, ~445 m
LON0, LAT0 = 106.688, -6.372
COLS, ROWS = 74, 71

# A rough outline of mainland DKI Jakarta, (lon, lat).
OUTLINE = [
    (106.690, -6.095),
    (106.800, -6.100),
    (106.880, -6.095),
    (106.970, -6.095),
    (106.975, -6.200),
    (106.945, -6.300),
    (106.900, -6.370),
    (106.820, -6.370),
    (106.770, -6.345),
    (106.740, -6.260),
    (106.690, -6.200),
]

# kota (code, name, population) > kecamatan (name) > kelurahan (name, lat, lon of its centre)
KOTA: list[tuple[str, str, dict[str, list[tuple[str, float, float]]]]] = [
    (
        "31.71",
        "Jakarta Pusat",
        {
            "Gambir": [
                ("Gambir", -6.1760, 106.8230),
                ("Cideng", -6.1770, 106.8100),
                ("Petojo Utara", -6.1650, 106.8140),
                ("Duri Pulo", -6.1620, 106.8050),
            ],
            "Tanah Abang": [
                ("Kampung Bali", -6.1850, 106.8150),
                ("Petamburan", -6.1980, 106.8050),
                ("Gelora", -6.2170, 106.8000),
                ("Bendungan Hilir", -6.2080, 106.8130),
            ],
            "Menteng": [
                ("Menteng", -6.1980, 106.8330),
                ("Gondangdia", -6.1870, 106.8310),
                ("Cikini", -6.1900, 106.8400),
                ("Pegangsaan", -6.2020, 106.8420),
            ],
            "Senen": [
                ("Senen", -6.1760, 106.8430),
                ("Kramat", -6.1860, 106.8460),
                ("Paseban", -6.1920, 106.8530),
            ],
            "Cempaka Putih": [
                ("Cempaka Putih Timur", -6.1780, 106.8740),
                ("Cempaka Putih Barat", -6.1800, 106.8630),
                ("Rawasari", -6.1930, 106.8660),
            ],
            "Kemayoran": [("Kemayoran", -6.1620, 106.8470), ("Kebon Kosong", -6.1610, 106.8580)],
        },
    ),
    (
        "31.72",
        "Jakarta Utara",
        {
            "Penjaringan": [
                ("Pluit", -6.1170, 106.7900),
                ("Penjaringan", -6.1280, 106.8020),
                ("Kapuk Muara", -6.1200, 106.7550),
                ("Kamal Muara", -6.1050, 106.7200),
            ],
            "Pademangan": [("Ancol", -6.1230, 106.8350), ("Pademangan Barat", -6.1380, 106.8350)],
            "Tanjung Priok": [
                ("Tanjung Priok", -6.1100, 106.8800),
                ("Sunter Agung", -6.1420, 106.8580),
                ("Sungai Bambu", -6.1240, 106.8820),
            ],
            "Kelapa Gading": [
                ("Kelapa Gading Barat", -6.1550, 106.8950),
                ("Kelapa Gading Timur", -6.1650, 106.9120),
                ("Pegangsaan Dua", -6.1500, 106.9180),
            ],
            "Cilincing": [
                ("Cilincing", -6.1180, 106.9420),
                ("Marunda", -6.1050, 106.9600),
                ("Semper Barat", -6.1320, 106.9300),
            ],
        },
    ),
    (
        "31.73",
        "Jakarta Barat",
        {
            "Cengkareng": [
                ("Cengkareng Barat", -6.1430, 106.7320),
                ("Cengkareng Timur", -6.1480, 106.7480),
                ("Kedaung Kali Angke", -6.1550, 106.7620),
                ("Duri Kosambi", -6.1700, 106.7240),
            ],
            "Grogol Petamburan": [
                ("Grogol", -6.1630, 106.7900),
                ("Tomang", -6.1770, 106.7960),
                ("Jelambar", -6.1480, 106.7870),
                ("Tanjung Duren Selatan", -6.1770, 106.7860),
            ],
            "Taman Sari": [
                ("Glodok", -6.1450, 106.8150),
                ("Pinangsia", -6.1360, 106.8140),
                ("Maphar", -6.1530, 106.8180),
            ],
            "Palmerah": [
                ("Palmerah", -6.2030, 106.7920),
                ("Slipi", -6.1940, 106.7980),
                ("Kemanggisan", -6.1920, 106.7830),
            ],
            "Kebon Jeruk": [
                ("Kebon Jeruk", -6.1900, 106.7680),
                ("Sukabumi Utara", -6.2100, 106.7700),
                ("Kedoya Utara", -6.1710, 106.7620),
            ],
            "Kembangan": [
                ("Kembangan Selatan", -6.1900, 106.7400),
                ("Meruya Selatan", -6.2100, 106.7350),
                ("Joglo", -6.2250, 106.7370),
            ],
        },
    ),
    (
        "31.74",
        "Jakarta Selatan",
        {
            "Kebayoran Baru": [
                ("Melawai", -6.2440, 106.8000),
                ("Senayan", -6.2270, 106.8010),
                ("Kramat Pela", -6.2430, 106.7880),
                ("Selong", -6.2340, 106.8080),
            ],
            "Kebayoran Lama": [
                ("Kebayoran Lama Utara", -6.2370, 106.7790),
                ("Pondok Pinang", -6.2700, 106.7730),
                ("Grogol Utara", -6.2200, 106.7800),
            ],
            "Mampang Prapatan": [
                ("Bangka", -6.2600, 106.8150),
                ("Mampang Prapatan", -6.2470, 106.8230),
                ("Kuningan Barat", -6.2370, 106.8240),
            ],
            "Setiabudi": [
                ("Kuningan Timur", -6.2280, 106.8320),
                ("Karet Kuningan", -6.2190, 106.8290),
                ("Setiabudi", -6.2090, 106.8260),
                ("Menteng Atas", -6.2200, 106.8420),
            ],
            "Tebet": [
                ("Tebet Barat", -6.2300, 106.8500),
                ("Bukit Duri", -6.2290, 106.8600),
                ("Manggarai", -6.2120, 106.8490),
                ("Kebon Baru", -6.2400, 106.8590),
            ],
            "Pancoran": [
                ("Kalibata", -6.2570, 106.8520),
                ("Duren Tiga", -6.2550, 106.8360),
                ("Pancoran", -6.2450, 106.8420),
            ],
            "Pasar Minggu": [
                ("Pasar Minggu", -6.2850, 106.8430),
                ("Pejaten Barat", -6.2770, 106.8300),
                ("Jati Padang", -6.2930, 106.8350),
                ("Ragunan", -6.3050, 106.8200),
            ],
            "Cilandak": [
                ("Cilandak Barat", -6.2870, 106.7960),
                ("Lebak Bulus", -6.2980, 106.7770),
                ("Pondok Labu", -6.3110, 106.7950),
                ("Gandaria Selatan", -6.2700, 106.7950),
            ],
            "Jagakarsa": [
                ("Jagakarsa", -6.3300, 106.8200),
                ("Srengseng Sawah", -6.3480, 106.8280),
                ("Ciganjur", -6.3420, 106.8050),
            ],
        },
    ),
    (
        "31.75",
        "Jakarta Timur",
        {
            "Matraman": [
                ("Kebon Manggis", -6.2030, 106.8590),
                ("Utan Kayu Utara", -6.1990, 106.8680),
                ("Palmeriam", -6.2060, 106.8540),
            ],
            "Pulo Gadung": [
                ("Rawamangun", -6.1950, 106.8880),
                ("Pulo Gadung", -6.1870, 106.9060),
                ("Jati", -6.1980, 106.9000),
            ],
            "Jatinegara": [
                ("Kampung Melayu", -6.2240, 106.8670),
                ("Bali Mester", -6.2170, 106.8690),
                ("Cipinang Besar Utara", -6.2150, 106.8800),
                ("Rawa Bunga", -6.2230, 106.8770),
            ],
            "Kramat Jati": [
                ("Cililitan", -6.2620, 106.8670),
                ("Kramat Jati", -6.2720, 106.8680),
                ("Cawang", -6.2470, 106.8720),
            ],
            "Duren Sawit": [
                ("Duren Sawit", -6.2330, 106.9150),
                ("Pondok Bambu", -6.2330, 106.8990),
                ("Klender", -6.2150, 106.9030),
            ],
            "Cakung": [
                ("Cakung Barat", -6.1800, 106.9350),
                ("Pulo Gebang", -6.2050, 106.9500),
                ("Ujung Menteng", -6.1850, 106.9600),
            ],
            "Pasar Rebo": [
                ("Kampung Rambutan", -6.3100, 106.8820),
                ("Pekayon", -6.3400, 106.8600),
                ("Kalisari", -6.3380, 106.8500),
            ],
            "Makasar": [("Halim Perdana Kusuma", -6.2650, 106.8900), ("Pinang Ranti", -6.2850, 106.8830)],
            "Cipayung": [("Setu", -6.3150, 106.9200), ("Munjul", -6.3530, 106.9000)],
        },
    ),
]

Kel = tuple[int, int, int]  # (kota index, kecamatan index, kelurahan index)


def inside(ring: list[tuple[float, float]], x: float, y: float) -> bool:
    result = False
    for i in range(len(ring)):
        (x0, y0), (x1, y1) = ring[i - 1], ring[i]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


def kelurahan_centres() -> list[tuple[Kel, float, float]]:
    return [
        ((k, c, n), lat, lon)
        for k, (_, _, kecamatan) in enumerate(KOTA)
        for c, villages in enumerate(kecamatan.values())
        for n, (_, lat, lon) in enumerate(villages)
    ]


def assign() -> dict[tuple[int, int], Kel | None]:
    """Each grid square inside the outline goes to the nearest kelurahan centre."""
    centres = kelurahan_centres()
    grid: dict[tuple[int, int], Kel | None] = {}
    for x in range(COLS):
        for y in range(ROWS):
            lon, lat = LON0 + (x + 0.5) * STEP, LAT0 + (y + 0.5) * STEP
            if not inside(OUTLINE, lon, lat):
                grid[x, y] = None
                continue
            grid[x, y] = min(centres, key=lambda c: (c[1] - lat) ** 2 + (c[2] - lon) ** 2)[0]
    return grid


def unpinch(grid: dict[tuple[int, int], Kel | None]) -> None:
    """Two squares of one area meeting only at a corner would make a ring touch itself, which the
    importer rightly refuses; give one of the other two squares to that area, at every level."""

    def at(x: int, y: int) -> Kel | None:
        return grid.get((x, y))

    changed = True
    while changed:
        changed = False
        for x in range(-1, COLS):
            for y in range(-1, ROWS):
                a, b, c, d = at(x, y), at(x + 1, y), at(x, y + 1), at(x + 1, y + 1)
                for depth in (1, 2, 3):
                    ka, kb, kc, kd = (None if v is None else v[:depth] for v in (a, b, c, d))
                    if ka == kd != kb and ka != kc:
                        grid[x + 1, y] = a
                        changed = True
                        break
                    if kb == kc != ka and kb != kd:
                        grid[x, y] = b
                        changed = True
                        break


def trace(squares: set[tuple[int, int]]) -> list[list[list[list[float]]]]:
    """The union of grid squares as GeoJSON polygon coordinates (outer ring CCW, holes CW)."""
    edges: dict[tuple[int, int], tuple[int, int]] = {}
    directed = set()
    for x, y in squares:
        corners = [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)]
        for i in range(4):
            directed.add((corners[i], corners[(i + 1) % 4]))
    for start, end in directed:
        if (end, start) not in directed:
            edges[start] = end
    rings: list[list[tuple[int, int]]] = []
    while edges:
        start, nxt = next(iter(edges.items()))
        ring = [start]
        del edges[start]
        while nxt != start:
            ring.append(nxt)
            nxt = edges.pop(nxt)
        rings.append(simplify(ring))
    outers = [r for r in rings if area2(r) > 0]
    holes = [r for r in rings if area2(r) < 0]
    polygons: list[list[list[tuple[int, int]]]] = [[o] for o in outers]
    for hole in holes:
        owner = next(p for p in polygons if inside([(float(a), float(b)) for a, b in p[0]], *hole[0]))
        owner.append(hole)
    return [[[coord(p) for p in [*ring, ring[0]]] for ring in polygon] for polygon in polygons]


def simplify(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    n = len(ring)
    for i in range(n):
        a, b, c = ring[i - 1], ring[i], ring[(i + 1) % n]
        if (b[0] - a[0]) * (c[1] - b[1]) != (b[1] - a[1]) * (c[0] - b[0]):
            out.append(b)
    return out


def area2(ring: list[tuple[int, int]]) -> int:
    return sum(ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1] for i in range(len(ring)))


def coord(p: tuple[int, int]) -> list[float]:
    return [round(LON0 + p[0] * STEP, 6), round(LAT0 + p[1] * STEP, 6)]


def geometry(squares: set[tuple[int, int]]) -> dict[str, Any]:
    polygons = trace(squares)
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def build() -> dict[str, Any]:
    grid = assign()
    unpinch(grid)
    members: dict[tuple[int, ...], set[tuple[int, int]]] = defaultdict(set)
    for square, kel in grid.items():
        if kel is not None:
            for depth in (1, 2, 3):
                members[kel[:depth]].add(square)
    rng = random.Random(31)
    features: list[dict[str, Any]] = []
    population: dict[tuple[int, ...], int] = defaultdict(int)
    for k, (_, _, kecamatan) in enumerate(KOTA):
        for c, villages in enumerate(kecamatan.values()):
            for n in range(len(villages)):
                people = rng.randrange(15_000, 90_000, 10)
                population[k, c, n] = people
                population[k, c] += people
                population[(k,)] += people

    def feature(key: tuple[int, ...], name: str, level: str, code: str, parent: str | None) -> None:
        props: dict[str, Any] = {"name": name, "level": level, "code": code, "population": population[key]}
        if parent is not None:
            props["parent"] = parent
        features.append({"type": "Feature", "properties": props, "geometry": geometry(members[key])})

    for k, (kota_code, kota_name, kecamatan) in enumerate(KOTA):
        feature((k,), kota_name, "kota", kota_code, None)
        for c, (kec_name, villages) in enumerate(kecamatan.items()):
            kec_code = f"{kota_code}.{c + 1:02d}"
            feature((k, c), kec_name, "kecamatan", kec_code, kota_code)
            for n, (kel_name, _, _) in enumerate(villages):
                feature((k, c, n), kel_name, "kelurahan", f"{kec_code}.{1001 + n}", kec_code)
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    out = Path(__file__).with_name("jakarta_areas.geojson")
    data = build()
    out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(data['features'])} features)")


if __name__ == "__main__":
    main()
