"""The address geocoder (officials/geocode.py): which area a typed address names (prefixes, accents, streets,
ambiguity), a point inside that area even when its centroid is not, and Open311 requests placed by
address_string alone (approximate, said so) in both formats."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from feed.officials import geocode
from feed.officials.boundaries import parse_geometry
from feed.open311.georeport import APPROXIMATE
from tests.officials_helpers import HOLE, World, box
from tests.open311.test_open311 import V2, form, xml
from warga.runtime import Runtime


def area(id_: int, name: str, level: str, parent: int | None, depth: int) -> dict[str, Any]:
    return {"id": id_, "name": name, "level": level, "parent_id": parent, "depth": depth}


AREAS = [
    area(1, "Jakarta Pusat", "kota", None, 0),
    area(2, "Gambir", "kecamatan", 1, 1),
    area(3, "Gambir", "kelurahan", 2, 2),
    area(4, "Cideng", "kelurahan", 2, 2),
    area(5, "Jakarta Barat", "kota", None, 0),
    area(6, "Palmerah", "kecamatan", 5, 1),
    area(7, "Kota Bambu Utara", "kelurahan", 6, 2),
    area(8, "Menteng", "kecamatan", 1, 1),
    area(9, "Kebon Jeruk", "kelurahan", 2, 2),
    area(10, "Kebon Jeruk", "kelurahan", 6, 2),
    area(11, "Petojo Utara", "kelurahan", 2, 2),
    area(12, "Petojo", "kelurahan", 8, 2),
    area(13, "Cempaka Putih", "kecamatan", 1, 1),
    area(14, "Kota Administrasi Jakarta Selatan", "kota", None, 0),
]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Jl. Kebon Sirih 5, Kel. Gambir, Jakarta Pusat", 3),
        ("Kec. Gambir", 2),  # the prefix picks the kecamatan over the kelurahan of the same name
        ("kecamatan gambir, jakarta pusat", 2),
        ("Gambir", 3),  # no prefix: the deepest area of that name
        ("Kelurahan Kota Bambu Utara, Palmerah", 7),  # "Kota" is part of this kelurahan's name
        ("Kebon Jeruk, Kec. Palmerah", 10),  # the named kecamatan settles which Kebon Jeruk
        ("Kebon Jeruk; Jakarta Barat", 10),
        ("Petojo Utara", 11),  # not the shorter "Petojo" inside it
        ("CÉMPAKA  pútih", 13),  # case and accents do not matter
        ("Kota Adm. Jakarta Selatan", 14),
        ("Jakarta Selatan", 14),  # the stored "Kota Administrasi" is not needed
        ("Jl. Menteng Raya 5", 8),  # only a street names an area: used
        ("Jl. Menteng Raya 5, Cideng", 4),  # a street's words give way to a named area
    ],
)
def test_choose_the_area_an_address_names(address: str, expected: int) -> None:
    assert geocode.choose(address, AREAS)["id"] == expected


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("Jl. Thamrin 1", "names no kelurahan"),
        ("", "names no kelurahan"),
        ("Kebon Jeruk", "Kelurahan Kebon Jeruk; Kelurahan Kebon Jeruk"),  # two, equally well
    ],
)
def test_unknown_or_ambiguous_addresses_are_refused(address: str, words: str) -> None:
    with pytest.raises(geocode.AddressNotFound) as caught:
        geocode.choose(address, AREAS)
    assert words in str(caught.value)


def test_inside_point_is_inside_even_when_the_centroid_is_not() -> None:
    square = parse_geometry({"type": "Polygon", "coordinates": [box(120.0, -5.02, 120.01, -5.0)]})
    assert geocode.inside_point(square) == pytest.approx((-5.01, 120.005))  # the centroid
    holed = parse_geometry({"type": "Polygon", "coordinates": [box(120.0, -5.02, 120.01, -5.0), HOLE]})
    lat, lon = geocode.inside_point(holed)
    assert holed.contains(lat, lon) and not (120.004 <= lon <= 120.006 and -5.012 <= lat <= -5.008)
    # A U shape: its centroid lies in the gap between the arms.
    u_ring = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
    u_shape = parse_geometry({"type": "Polygon", "coordinates": [u_ring]})
    assert not u_shape.contains(1.5, 1.5)
    assert u_shape.contains(*geocode.inside_point(u_shape))


def test_describe_words_the_hierarchy() -> None:
    chain = [("kelurahan", "Gambir"), ("kecamatan", "Gambir"), ("kota", "Jakarta Pusat")]
    assert geocode.describe(chain) == "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"
    assert geocode.name_words("kota", "Kota Administrasi Jakarta Pusat") == ("jakarta", "pusat")
    assert geocode.name_words("kelurahan", "Kota Bambu Utara") == ("kota", "bambu", "utara")


# --- Through Open311 ---------------------------------------------------------------------------------


def by_address(key: str, address: str, **fields: Any) -> dict[str, str]:
    data = form(key, address_string=address, **fields)
    del data["lat"], data["long"]
    return data


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_address_string_alone_places_the_request_approximately(
    client: httpx.AsyncClient, runtime: Runtime, world: World, api_key: str, fmt: str
) -> None:
    # L1's centroid is in its hole (an enclave of C1): the request must still land inside L1.
    r = await client.post(f"{V2}/requests.{fmt}", data=by_address(api_key, "Jl. Mawar 3, Kel. l1, Kec. C1"))
    assert r.status_code == 201, r.text
    if fmt == "xml":
        created: ET.Element | None = xml(r).find("request")
        assert created is not None
        sid, notice = created.findtext("service_request_id"), created.findtext("service_notice")
    else:
        [item] = r.json()
        sid, notice = item["service_request_id"], item["service_notice"]
    assert notice == APPROXIMATE
    got = await client.get(f"{V2}/requests/{sid}.{fmt}")
    if fmt == "xml":
        request = xml(got).find("request")
        assert request is not None
        detail = {c.tag: c.text for c in request}
    else:
        detail = got.json()[0]
    assert detail["agency_responsible"] == "L1"  # routed by the placed position, so it lies inside L1
    assert detail["address"] == "Jl. Mawar 3, Kel. l1, Kec. C1"  # as typed
    assert detail["status_notes"] == APPROXIMATE
    async with runtime.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT area_id, position_approximate FROM posts WHERE id = $1", int(sid))
    assert row["area_id"] == world.area["L1"] and row["position_approximate"] is True
    # The app shows it in the feed like any report.
    post = (await client.get(f"/api/posts/{sid}")).json()
    assert post["area_id"] == world.area["L1"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_unknown_and_ambiguous_addresses_are_the_spec_400(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str, fmt: str
) -> None:
    for address, words in (("Jl. Thamrin 1", "names no"), ("L1 L3", "several areas")):
        r = await client.post(f"{V2}/requests.{fmt}", data=by_address(api_key, address))
        assert r.status_code == 400, r.text
        if fmt == "xml":
            root = xml(r)
            assert root.tag == "errors" and root.findtext("error/code") == "400"
            assert words in (root.findtext("error/description") or "")
        else:
            [error] = r.json()
            assert error["code"] == 400 and words in error["description"]
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 0
