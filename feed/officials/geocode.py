"""A small geocoder for typed addresses: it knows only the area names warga has imported (kota, kecamatan,
kelurahan ...), so "Jl. Kebon Sirih 5, Kel. Gambir, Jakarta Pusat" lands inside kelurahan Gambir, at a point
of that area (its centroid, or a point on its surface when the centroid falls outside, e.g. in a hole).
The position is approximate by nature: callers say so. Also the reverse, in words: a post's place described by
its area hierarchy ("Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from db import areas as areas_db
from db import geocode as geocode_db
from feed.officials.boundaries import Geometry, parse_geometry

# Words that say which level the next name is ("Kel. Gambir" is the kelurahan, not the kecamatan).
LEVEL_WORDS = {
    "kel": "kelurahan",
    "kelurahan": "kelurahan",
    "desa": "desa",
    "ds": "desa",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "kota": "kota",
    "kotamadya": "kota",
    "kodya": "kota",
    "kab": "kabupaten",
    "kabupaten": "kabupaten",
    "prov": "provinsi",
    "provinsi": "provinsi",
}
FILLER = {"administrasi", "adm", "dki"}  # "Kota Administrasi Jakarta Pusat", "DKI Jakarta"
# A part that starts with these names a street: streets are named after heroes and far-away places as often
# as after their own kelurahan, so a street's words count only when nothing else in the address matches.
STREET_WORDS = {"jl", "jln", "jalan", "gg", "gang"}
# How the hierarchy is worded: kota, kabupaten and provinsi names are written bare ("Jakarta Pusat").
LEVEL_LABELS = {"kelurahan": "Kelurahan", "desa": "Desa", "kecamatan": "Kecamatan", "rw": "RW", "rt": "RT"}


class AddressNotFound(LookupError):
    """The address names no area warga knows, or several equally well (`description` says which)."""


@dataclass(frozen=True)
class Place:
    area_id: int
    label: str  # e.g. "Kelurahan Gambir"
    lat: float
    lon: float


def words(text: str) -> list[str]:
    """Lowercase ASCII words: accents and case do not matter, punctuation separates."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.findall(r"[a-z0-9]+", plain)


def name_words(level: str, name: str) -> tuple[str, ...]:
    """An area name as matched: without a leading word of its own level ("Kota Administrasi Jakarta Pusat"
    for a kota), but "Kota Bambu Utara" (a kelurahan) keeps its first word."""
    found = words(name)
    rest = found
    while rest and (LEVEL_WORDS.get(rest[0]) == level or (rest is not found and rest[0] in FILLER)):
        rest = rest[1:]
    return tuple(rest) if rest else tuple(found)


def label(level: str, name: str) -> str:
    prefix = LEVEL_LABELS.get(level)
    return f"{prefix} {name}" if prefix else name


def describe(chain: Iterable[tuple[str, str]]) -> str:
    """(level, name) pairs, deepest first -> "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"."""
    return ", ".join(label(level, name) for level, name in chain)


@dataclass(frozen=True)
class _Match:
    area: Any  # a db.geocode.named_areas row
    span: tuple[int, int, int]  # (part, first word, end)
    street: bool


def _matches(address: str, areas: Sequence[Any]) -> list[_Match]:
    by_words: dict[tuple[str, ...], list[Any]] = {}
    for area in areas:
        by_words.setdefault(name_words(area["level"], area["name"]), []).append(area)
    longest = max((len(k) for k in by_words), default=0)
    found: list[_Match] = []
    for p, part in enumerate(re.split(r"[,;/\n]+", address)):
        tokens = words(part)
        street = bool(tokens) and tokens[0] in STREET_WORDS
        spans = []
        for i in range(len(tokens)):
            for n in range(min(longest, len(tokens) - i), 0, -1):
                if tuple(tokens[i : i + n]) in by_words:
                    spans.append((i, i + n))
        # A name inside a longer matched name is part of it ("Petojo" inside "Petojo Utara").
        spans = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
        for i, end in spans:
            candidates = by_words[tuple(tokens[i:end])]
            before = [t for t in tokens[:i] if t not in FILLER]
            wanted = LEVEL_WORDS.get(before[-1]) if before else None
            if wanted is not None and any(a["level"] == wanted for a in candidates):
                candidates = [a for a in candidates if a["level"] == wanted]
            found.extend(_Match(a, (p, i, end), street) for a in candidates)
    if any(not m.street for m in found):
        found = [m for m in found if not m.street]
    return found


def choose(address: str, areas: Sequence[Any]) -> Any:
    """The area the address means: the one with the most of its ancestors also named (elsewhere in the
    address), then the deepest. A tie between different areas is ambiguous."""
    found = _matches(address, areas)
    if not found:
        raise AddressNotFound(
            "address_string names no kelurahan, kecamatan or kota warga knows: send lat and long."
        )
    parents = {a["id"]: a["parent_id"] for a in areas}
    spans: dict[int, set[tuple[int, int, int]]] = {}
    for m in found:
        spans.setdefault(m.area["id"], set()).add(m.span)

    def support(m: _Match) -> tuple[int, int]:
        named, up = 0, parents.get(m.area["id"])
        while up is not None:
            if spans.get(up, set()) - {m.span}:
                named += 1
            up = parents.get(up)
        return named, m.area["depth"]

    best = max(support(m) for m in found)
    winners = {m.area["id"]: m.area for m in found if support(m) == best}
    if len(winners) > 1:
        names = "; ".join(label(a["level"], a["name"]) for a in winners.values())
        raise AddressNotFound(
            f"address_string matches several areas ({names}): add the kecamatan or kota, "
            "or send lat and long."
        )
    return next(iter(winners.values()))


def inside_point(shape: Geometry) -> tuple[float, float]:
    """(lat, lon) inside the shape: the centroid of its largest polygon when that lies inside, else the
    middle of the widest stretch inside along a horizontal line (through the centroid, then others)."""
    ring = max((polygon[0] for polygon in shape.polygons), key=lambda r: abs(_area2(r)))
    lon, lat = _centroid(ring)
    if shape.contains(lat, lon):
        return lat, lon
    low, high = shape.bbox[0], shape.bbox[1]
    for y in (lat, *(low + (high - low) * k / 16 for k in (8, 4, 12, 2, 6, 10, 14, 1, 15))):
        xs = sorted(x for r in shape.rings() for x in _crossings(r, y))
        stretches = [(xs[i + 1] - xs[i], (xs[i] + xs[i + 1]) / 2) for i in range(0, len(xs) - 1, 2)]
        for _, x in sorted(stretches, reverse=True):
            if shape.contains(y, x):
                return y, x
    return lat, lon  # a degenerate shape: its centroid is the best guess there is


def _area2(ring: Sequence[tuple[float, float]]) -> float:
    return sum(ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1] for i in range(len(ring)))


def _centroid(ring: Sequence[tuple[float, float]]) -> tuple[float, float]:
    a2 = _area2(ring)
    if a2 == 0:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    cx = cy = 0.0
    for i in range(len(ring)):
        (x0, y0), (x1, y1) = ring[i - 1], ring[i]
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (3 * a2), cy / (3 * a2)


def _crossings(ring: Sequence[tuple[float, float]], y: float) -> list[float]:
    """Where the horizontal line at latitude y crosses the ring (half-open, as Geometry.contains)."""
    out = []
    for i in range(len(ring)):
        a, b = ring[i - 1], ring[i]
        if a[1] > b[1]:
            a, b = b, a
        if a[1] <= y < b[1]:
            out.append(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]))
    return out


async def geocode(conn: asyncpg.Connection, address: str) -> Place:
    """The place an address names (AddressNotFound when none or several)."""
    area = choose(address, await geocode_db.named_areas(conn))
    row = await areas_db.geometry(conn, area["id"])
    if row is None or row["geometry"] is None:
        raise AddressNotFound(f"{label(area['level'], area['name'])} has no boundary: send lat and long.")
    lat, lon = inside_point(parse_geometry(row["geometry"], check=False))
    return Place(area["id"], label(area["level"], area["name"]), lat, lon)


async def describe_areas(conn: asyncpg.Connection, area_ids: Iterable[int]) -> dict[int, str]:
    """Each area's place in words, for many areas in one query."""
    chains: dict[int, list[tuple[str, str]]] = {}
    for row in await geocode_db.chains(conn, list(area_ids)):
        chains.setdefault(row["start"], []).append((row["level"], row["name"]))
    return {area_id: describe(chain) for area_id, chain in chains.items()}
