"""Category attributes (feed/posts/categories.py): Open311 service definitions with the spec's element names,
attribute[code] checked on POST (400 naming the attribute) and returned in the request, both formats; the
app's POST /api/posts takes the same answers and the post JSON carries them."""

from __future__ import annotations

import httpx
import pytest

from tests.officials_helpers import IN_L1, World
from tests.open311.test_open311 import V2, form, xml
from tests.photo_samples import phone_jpeg
from warga.runtime import Runtime

ATTRIBUTE_FIELDS = [
    "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values",
]  # fmt: skip


async def test_service_definitions_in_both_formats(client: httpx.AsyncClient) -> None:
    flood = (await client.get(f"{V2}/services/flood.json")).json()
    assert flood["service_code"] == "flood"
    depth, passable = flood["attributes"]
    assert depth == {
        "variable": True,
        "code": "water_depth_cm",
        "datatype": "number",
        "required": True,
        "datatype_description": "1 to 500",
        "order": 1,
        "description": "Water depth in cm (kedalaman air)",
        "values": [],
    }
    assert passable["datatype"] == "singlevaluelist" and passable["required"] is False
    assert [v["key"] for v in passable["values"]] == ["all", "high_only", "none"]
    root = xml(await client.get(f"{V2}/services/road_damage.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "road_damage"
    [size] = root.findall("attributes/attribute")
    assert [c.tag for c in size] == ATTRIBUTE_FIELDS
    assert size.findtext("code") == "size" and size.findtext("required") == "true"
    assert size.findtext("datatype") == "singlevaluelist"
    values = [(v.findtext("key"), v.findtext("name")) for v in size.iterfind("values/value")]
    assert values == [
        ("small", "Smaller than a plate"),
        ("medium", "Up to a car tyre"),
        ("large", "Larger than a car tyre"),
    ]
    services = {s["service_code"]: s for s in (await client.get(f"{V2}/services.json")).json()}
    for code, service in services.items():
        definition = (await client.get(f"{V2}/services/{code}.json")).json()
        assert service["metadata"] is bool(definition["attributes"]), code  # metadata iff questions


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_answers_are_checked_stored_and_returned(
    client: httpx.AsyncClient, api_key: str, fmt: str
) -> None:
    fields = {"attribute[water_depth_cm]": "45.0", "attribute[passable]": "high_only"}
    r = await client.post(f"{V2}/requests.{fmt}", data=form(api_key, **fields))
    assert r.status_code == 201, r.text
    tree = form(api_key, service_code="tree")
    tree["attribute[blocking][]"] = ["power_line", "road", "road"]  # type: ignore[assignment]
    r2 = await client.post(f"{V2}/requests.{fmt}", data=tree)
    assert r2.status_code == 201, r2.text
    listed = await client.get(f"{V2}/requests.{fmt}")
    if fmt == "xml":
        requests = xml(listed).findall("request")
        assert [c.tag for c in requests[0]][-2:] == ["media_url", "attributes"]
        got = [
            [
                (a.findtext("code"), a.findtext("value"), [v.text for v in a.iterfind("values/value")])
                for a in q.iterfind("attributes/attribute")
            ]
            for q in requests
        ]
        assert got == [
            [("blocking", None, ["road", "power_line"])],  # de-duplicated, in the question's order
            [("water_depth_cm", "45", []), ("passable", "high_only", [])],
        ]
    else:
        assert [q["attributes"] for q in listed.json()] == [
            [{"code": "blocking", "values": ["road", "power_line"]}],
            [{"code": "water_depth_cm", "value": 45}, {"code": "passable", "value": "high_only"}],
        ]
        sid = listed.json()[1]["service_request_id"]
        post = (await client.get(f"/api/posts/{sid}")).json()
        assert post["attributes"] == {"water_depth_cm": 45, "passable": "high_only"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_answers_are_a_400_naming_the_attribute(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str, fmt: str
) -> None:
    cases = [
        ("road_damage", {}, "attribute[size] required"),
        ("road_damage", {"attribute[size]": "huge"}, "attribute[size] must be one of small, medium, large"),
        ("flood", {"attribute[water_depth_cm]": "501"}, "attribute[water_depth_cm] must be from 1 to 500"),
        ("flood", {"attribute[water_depth_cm]": "nan"}, "attribute[water_depth_cm] must be a number"),
        ("tree", {"attribute[blocking][]": "river"}, "attribute[blocking] each value must be one of"),
        ("street_light", {"attribute[state]": "off", "attribute[pole_number]": "\x07"}, "pole_number"),
        ("garbage", {"attribute[size]": "small"}, "attribute[size] not an attribute of garbage"),
    ]
    for code, fields, words in cases:
        r = await client.post(f"{V2}/requests.{fmt}", data=form(api_key, service_code=code, **fields))
        assert r.status_code == 400, (code, fields, r.text)
        if fmt == "xml":
            description = xml(r).findtext("error/description") or ""
        else:
            [error] = r.json()
            description = error["description"]
        assert words in description, description
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 0


async def test_app_posts_take_the_same_answers(client: httpx.AsyncClient, world: World) -> None:
    who = world.citizen.headers
    base = {"text": "jalan berlubang", "category": "road_damage", "lat": IN_L1[0], "lon": IN_L1[1]}
    r = await client.post("/api/posts", json={**base, "attributes": {"size": "large"}}, headers=who)
    assert r.status_code == 201, r.text
    assert r.json()["attributes"] == {"size": "large"}
    assert (await client.get(f"/api/posts/{r.json()['id']}")).json()["attributes"] == {"size": "large"}
    plain = await client.post("/api/posts", json=base, headers=who)  # the app's questions are optional...
    assert plain.status_code == 201 and plain.json()["attributes"] == {}
    for attributes, field, problem in (
        ({}, "attributes.size", "required"),  # ...but a client that answers must answer the required ones
        ({"size": "huge"}, "attributes.size", "must be one of small, medium, large"),
        ({"depth": 3}, "attributes.depth", "not an attribute of road_damage"),
        ({"size": ["large"]}, "attributes.size", "must be a single value"),
        ([1], "attributes", "must be an object of attribute code to answer"),
    ):
        r = await client.post("/api/posts", json={**base, "attributes": attributes}, headers=who)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["fields"] == {field: problem}
    files = {"photo": ("hole.jpg", phone_jpeg(gps=None), "image/jpeg")}
    multipart = {k: str(v) for k, v in base.items()} | {"attributes": '{"size": "small"}'}
    r = await client.post("/api/posts", data=multipart, files=files, headers=who)  # JSON text in multipart
    assert r.status_code == 201, r.text
    assert r.json()["attributes"] == {"size": "small"}
