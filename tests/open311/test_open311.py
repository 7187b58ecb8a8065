"""Open311 GeoReport v2: every endpoint in JSON and XML (parsed, with the spec's element names), API keys,
the spec's errors, and a round trip: created through Open311 -> in the feed and pushed live -> resolved by
an official with proof -> shown closed with its notes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from feed.core.middleware import BodyLimit
from feed.open311 import georeport as open311
from tests.officials_helpers import IN_L1, World, away, change, resolve
from tests.photo_samples import phone_jpeg
from tests.realtime_client import WsClient, ws_url
from tests.trust_helpers import limits, settings
from warga.runtime import Runtime

V2 = "/open311/v2"
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "attributes",
)  # fmt: skip


def xml(r: httpx.Response) -> ET.Element:
    assert r.headers["content-type"].startswith("text/xml")
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(r.content)  # noqa: S314 -- our own server's answer; raises if not well-formed


def form(key: str | None, **fields: Any) -> dict[str, str]:
    data = {"service_code": "flood", "lat": str(IN_L1[0]), "long": str(IN_L1[1]), "description": "banjir"}
    if key is not None:
        data["api_key"] = key
    data.update({k: str(v) for k, v in fields.items()})
    if data["service_code"] == "flood" and not any(k.startswith("attribute[") for k in fields):
        data["attribute[water_depth_cm]"] = "30"  # flood's required question
    return data


async def create(client: httpx.AsyncClient, key: str, fmt: str = "json", **fields: Any) -> str:
    r = await client.post(f"{V2}/requests.{fmt}", data=form(key, **fields))
    assert r.status_code == 201, r.text
    if fmt == "xml":
        request = xml(r).find("request")
        assert request is not None
        sid = request.findtext("service_request_id")
        assert sid is not None
        return sid
    item = r.json()[0]
    assert set(item) == {"service_request_id", "service_notice", "account_id"}
    return str(item["service_request_id"])


# --- Discovery and services ----------------------------------------------------------------------------
async def test_discovery_and_services_in_both_formats(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{V2}/discovery.json")
    assert r.status_code == 200
    endpoint = r.json()["endpoints"][0]
    # Unset WARGA_PUBLIC_URL: the listener's address (the test settings' 127.0.0.1:8000), not the Host header.
    assert endpoint["url"] == "http://127.0.0.1:8000/open311/v2/" and "text/xml" in endpoint["formats"]
    root = xml(await client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]
    services = (await client.get(f"{V2}/services.json")).json()
    assert {s["service_code"] for s in services} >= {"flood", "crime", "garbage"}
    flood = next(s for s in services if s["service_code"] == "flood")
    assert flood["service_name"] == "Flood" and flood["metadata"] is True and flood["type"] == "realtime"
    garbage = next(s for s in services if s["service_code"] == "garbage")
    assert garbage["metadata"] is False  # no extra questions
    root = xml(await client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.iterfind("service")]
    assert codes == [s["service_code"] for s in services]
    metadata = {s.findtext("service_code"): s.findtext("metadata") for s in root.iterfind("service")}
    assert metadata["flood"] == "true" and metadata["garbage"] == "false"
    r = await client.get(f"{V2}/services/garbage.json")
    assert r.json() == {"service_code": "garbage", "attributes": []}
    root = xml(await client.get(f"{V2}/services/garbage.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "garbage"
    r = await client.get(f"{V2}/services/volcano.xml")
    assert r.status_code == 404
    assert xml(r).tag == "errors" and xml(r).findtext("error/code") == "404"
    r = await client.get(f"{V2}/services.yaml")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


# --- API keys -----------------------------------------------------------------------------------------
async def test_api_key_command_create_list_revoke(
    client: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    lines: list[str] = []
    async with runtime.pool.acquire() as conn:
        assert (
            await open311.apikey_command(conn, {"apikey": "create", "name": "Qlue bridge"}, lines.append) == 0
        )
        key = lines[-1]
        assert key.startswith("w311_") and "api.qlue_bridge" in lines[-2]
        stored = await conn.fetchval("SELECT key_hash FROM api_keys")
        assert bytes(stored) == open311.key_digest(key)  # only the hash is kept
        assert await open311.apikey_command(conn, {"apikey": "list"}, lines.append) == 0
        assert "Qlue bridge" in lines[-1] and lines[-1].endswith("active")
    assert (await client.post(f"{V2}/requests.json", data=form(key))).status_code == 201
    async with runtime.pool.acquire() as conn:
        key_id = await conn.fetchval("SELECT id FROM api_keys")
        assert await open311.apikey_command(conn, {"apikey": "revoke", "id": key_id}, lines.append) == 0
        assert await open311.apikey_command(conn, {"apikey": "revoke", "id": key_id}, lines.append) == 1
        no_account = {"apikey": "create", "name": "x", "handle": "nobody_here"}
        assert await open311.apikey_command(conn, no_account, lines.append) == 1
    r = await client.post(f"{V2}/requests.json", data=form(key))
    assert r.status_code == 403 and r.json() == [{"code": 403, "description": "api_key is not valid."}]


# --- Bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_requests_get_the_spec_errors(client: httpx.AsyncClient, api_key: str, fmt: str) -> None:
    url = f"{V2}/requests.{fmt}"

    def errors(r: httpx.Response) -> list[tuple[int, str]]:
        if fmt == "xml":
            root = xml(r)
            assert root.tag == "errors"
            return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root]
        return [(e["code"], e["description"]) for e in r.json()]

    cases: list[tuple[dict[str, str], int, str]] = [
        (form(None), 403, "api_key"),
        (form("wrong"), 403, "api_key"),
        (form(api_key, service_code="volcano"), 400, "service_code"),
        (form(api_key, lat=200), 400, "lat"),
        (form(api_key, long="east"), 400, "long"),
        (form(api_key, description=" "), 400, "description"),
        (form(api_key, **{"attribute[depth]": "knee"}), 400, "attribute[depth]"),
        (form(api_key, **{"attribute[water_depth_cm]": "knee"}), 400, "attribute[water_depth_cm]"),
        (form(api_key, **{"attribute[passable]": "none"}), 400, "attribute[water_depth_cm]"),  # required
        (form(api_key, **{"attribute[water_depth_cm]": "0"}), 400, "attribute[water_depth_cm]"),
        (form(api_key, service_code="garbage", **{"attribute[size]": "large"}), 400, "attribute[size]"),
        (form(api_key, foo="bar"), 400, "foo"),
    ]
    for data, status, word in cases:
        r = await client.post(url, data=data)
        assert r.status_code == status, (data, r.text)
        [(code, description)] = errors(r)
        assert code == status and word in description, description
    no_position = form(api_key, address_string="Jl. Thamrin 1, Jakarta")  # no area of that name
    del no_position["lat"], no_position["long"]
    r = await client.post(url, data=no_position)
    assert r.status_code == 400 and errors(r) == [
        (400, "address_string names no kelurahan, kecamatan or kota warga knows: send lat and long.")
    ]
    only_lat = form(api_key)
    del only_lat["long"]
    r = await client.post(url, data=only_lat)
    assert r.status_code == 400 and "lat and long" in errors(r)[0][1]
    r = await client.post(url, json=form(api_key))
    assert r.status_code == 415 and errors(r)[0][0] == 415
    now = datetime.now(UTC)
    for params, word in (
        ({"start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()}, "before"),
        ({"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()}, "90 days"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "flood,volcano"}, "volcano"),
        ({"service_request_id": "1,x"}, "service_request_id"),
        ({"page_size": "1001"}, "page_size"),
    ):
        r = await client.get(url, params=params)
        assert r.status_code == 400, params
        assert word in errors(r)[0][1]
    for path in ("requests/999999", "requests/abc", "tokens/999999"):
        r = await client.get(f"{V2}/{path}.{fmt}")
        assert r.status_code == 404 and errors(r)[0][0] == 404


# --- Reading -------------------------------------------------------------------------------------------
async def test_requests_in_both_formats_with_filters(
    client: httpx.AsyncClient, api_key: str, world: World, runtime: Runtime
) -> None:
    flood = await create(client, api_key, description="air <naik> & deras")
    crime = await create(client, api_key, "xml", service_code="crime", description="jambret")
    r = await client.get(f"{V2}/requests.json")
    items = r.json()
    assert [i["service_request_id"] for i in items] == [crime, flood]  # newest first
    item = items[1]
    assert set(item) == set(REQUEST_FIELDS)
    assert item["status"] == "open" and item["agency_responsible"] == "L1"
    assert item["address"] == "Kelurahan L1, Kecamatan C1, K"  # no address given: the area hierarchy
    assert item["attributes"] == [{"code": "water_depth_cm", "value": 30}]
    assert item["description"] == "air <naik> & deras" and item["media_url"] is None
    assert item["requested_datetime"].endswith("+07:00") and item["expected_datetime"].endswith("+07:00")
    assert datetime.fromisoformat(item["expected_datetime"]) > datetime.fromisoformat(
        item["requested_datetime"]
    )
    # Crime is sensitive: Open311 shows the public (fuzzed) position, never the exact one.
    fuzzed = items[0]
    assert (fuzzed["lat"], fuzzed["long"]) != IN_L1
    root = xml(await client.get(f"{V2}/requests.xml"))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert [q.findtext("service_request_id") for q in requests] == [crime, flood]
    assert [c.tag for c in requests[1]] == list(REQUEST_FIELDS)
    assert requests[1].findtext("description") == "air <naik> & deras"  # escaped, parsed back
    assert requests[1].findtext("status") == "open"
    # Filters.
    only = await client.get(f"{V2}/requests.json", params={"service_code": "crime"})
    assert [i["service_request_id"] for i in only.json()] == [crime]
    ids = await client.get(
        f"{V2}/requests.json", params={"service_request_id": f"{flood},{crime}", "status": "closed"}
    )
    assert [i["service_request_id"] for i in ids.json()] == [flood, crime]  # ids override the status filter
    assert (await client.get(f"{V2}/requests.json", params={"status": "closed"})).json() == []
    page = await client.get(f"{V2}/requests.json", params={"page": 2, "page_size": 1})
    assert [i["service_request_id"] for i in page.json()] == [flood]
    old = datetime.now(UTC) - timedelta(days=30)
    window = {"start_date": (old - timedelta(days=1)).isoformat(), "end_date": old.isoformat()}
    assert (await client.get(f"{V2}/requests.json", params=window)).json() == []
    one = await client.get(f"{V2}/requests/{flood}.json")
    assert one.json() == [item]
    root = xml(await client.get(f"{V2}/requests/{flood}.xml"))
    assert root.findtext("request/service_request_id") == flood
    tok = await client.get(f"{V2}/tokens/{flood}.xml")
    assert xml(tok).findtext("request/service_request_id") == flood
    assert (await client.get(f"{V2}/tokens/{flood}.json")).json() == [
        {"service_request_id": flood, "token": flood}
    ]
    # A hidden report is gone from Open311.
    r = await client.post(f"/api/posts/{flood}/hide", json={"reason": "spam"}, headers=world.admin.headers)
    assert r.status_code == 200, r.text
    assert (await client.get(f"{V2}/requests/{flood}.json")).status_code == 404
    assert [i["service_request_id"] for i in (await client.get(f"{V2}/requests.json")).json()] == [crime]


async def test_media_upload_gives_an_absolute_media_url(client: httpx.AsyncClient, api_key: str) -> None:
    files = {"media": ("photo.jpg", phone_jpeg(gps=None), "image/jpeg")}
    r = await client.post(f"{V2}/requests.json", data=form(api_key), files=files)
    assert r.status_code == 201, r.text
    sid = r.json()[0]["service_request_id"]
    item = (await client.get(f"{V2}/requests/{sid}.json")).json()[0]
    assert item["media_url"].startswith("http://127.0.0.1:8000/media/")
    assert (await client.get(item["media_url"])).status_code == 200


async def test_absolute_urls_come_from_the_public_url_never_the_host_header(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str
) -> None:
    """Issue #18 item 9: a forged Host (or X-Forwarded-Host) changes no URL warga emits, in either format."""
    files = {"media": ("photo.jpg", phone_jpeg(gps=None), "image/jpeg")}
    r = await client.post(f"{V2}/requests.json", data=form(api_key), files=files)
    assert r.status_code == 201, r.text
    sid = r.json()[0]["service_request_id"]
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}

    async def urls() -> list[str]:
        found = [(await client.get(f"{V2}/discovery.json", headers=forged)).json()["endpoints"][0]["url"]]
        found.append(
            xml(await client.get(f"{V2}/discovery.xml", headers=forged)).findtext("endpoints/endpoint/url")
        )
        found.append((await client.get(f"{V2}/requests/{sid}.json", headers=forged)).json()[0]["media_url"])
        found.append((await client.get(f"{V2}/requests.json", headers=forged)).json()[0]["media_url"])
        found.append(
            xml(await client.get(f"{V2}/requests/{sid}.xml", headers=forged)).findtext("request/media_url")
        )
        return found

    assert all("evil" not in u and u.startswith("http://127.0.0.1:8000/") for u in await urls())
    async with settings(runtime, public_url="https://warga.example.org/kota/"):
        got = await urls()
    assert got[:2] == ["https://warga.example.org/kota/open311/v2/"] * 2
    assert all(u.startswith("https://warga.example.org/kota/media/") for u in got[2:]), got
    assert len(set(got[2:])) == 1
    # Photos on a CDN (WARGA_MEDIA_BASE_URL) are already absolute: kept as they are.
    saved = runtime.storage.base_url
    runtime.storage.base_url = "https://cdn.example.net/m"
    try:
        async with settings(runtime, public_url="https://warga.example.org"):
            got = await urls()
    finally:
        runtime.storage.base_url = saved
    assert got[0] == "https://warga.example.org/open311/v2/"
    assert all(u.startswith("https://cdn.example.net/m/") for u in got[2:]), got


# --- Round trip ------------------------------------------------------------------------------------------
@pytest.mark.events
async def test_round_trip_open311_to_feed_live_resolved_closed(
    client: httpx.AsyncClient, runtime: Runtime, world: World, api_key: str
) -> None:
    neighbour = await WsClient.open(ws_url(runtime))
    try:
        await neighbour.subscribe("n", IN_L1[0], IN_L1[1], 500)
        sid = await create(client, api_key, description="got mampet")
        while True:
            message = await neighbour.recv()
            if message["type"] == "event":
                break
        assert (message["event"], str(message["post"]["id"])) == ("post.created", sid)
        assert message["post"]["author"]["handle"] == world.citizen.handle
    finally:
        await neighbour.close()
    feed = await client.get("/api/feed", params={"lat": IN_L1[0], "lon": IN_L1[1], "radius_m": 500})
    assert [str(p["id"]) for p in feed.json()["items"]] == [sid]
    r = await resolve(client, world.lurah, int(sid), gps=away(IN_L1, 100), note="sudah dibersihkan")
    assert r.status_code == 200, r.text
    item = (await client.get(f"{V2}/requests/{sid}.json")).json()[0]
    assert item["status"] == "closed" and item["status_notes"] == "sudah dibersihkan"
    assert item["expected_datetime"] is None
    root = xml(await client.get(f"{V2}/requests.xml", params={"status": "closed"}))
    assert root.findtext("request/status") == "closed"
    assert root.findtext("request/status_notes") == "sudah dibersihkan"


def test_window_rules() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert open311.window(None, None, now) == (now - timedelta(days=90), now)
    start = now - timedelta(days=10)
    assert open311.window(start, None, now) == (start, now)
    with pytest.raises(open311.Open311Error):
        open311.window(now, now - timedelta(seconds=1), now)
    assert open311.local(now) == "2026-06-01T07:00:00+07:00"


# --- Held reports and suspended accounts -------------------------------------------------------------
async def test_held_report_answers_a_token_that_maps_once_released(
    client: httpx.AsyncClient, runtime: Runtime, world: World, api_key: str
) -> None:
    async with settings(runtime, spam_holds="on"):
        links = "lihat http://a.example http://b.example http://c.example"
        r = await client.post(f"{V2}/requests.xml", data=form(api_key, description=links))
    assert r.status_code == 202, r.text
    request = xml(r).find("request")
    assert request is not None and request.findtext("service_request_id") is None
    token = request.findtext("token")
    assert token and "review" in (request.findtext("service_notice") or "")
    assert (await client.get(f"{V2}/tokens/{token}.json")).status_code == 404  # not public yet
    assert (await client.get(f"{V2}/requests/{token}.json")).status_code == 404
    r = await client.post(
        f"/api/moderation/queue/post/{token}",
        json={"action": "restore", "reason": "real"},
        headers=world.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert (await client.get(f"{V2}/tokens/{token}.json")).json() == [
        {"service_request_id": token, "token": token}
    ]


async def test_suspended_account_key_is_403(
    client: httpx.AsyncClient, runtime: Runtime, world: World, api_key: str
) -> None:
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET suspended_until = now() + interval '1 day' WHERE id = $1", world.citizen.id
        )
    r = await client.post(f"{V2}/requests.json", data=form(api_key))
    assert r.status_code == 403 and "suspended" in r.json()[0]["description"]


# --- Idempotency-Key ---------------------------------------------------------------------------------
async def test_idempotency_key_answers_a_retry_with_the_first_request(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str
) -> None:
    url = f"{V2}/requests"
    once = {"Idempotency-Key": "crm-ticket-4411"}
    first = await client.post(f"{url}.json", data=form(api_key), headers=once)
    assert first.status_code == 201, first.text
    sid = first.json()[0]["service_request_id"]
    again = await client.post(f"{url}.xml", data=form(api_key), headers=once)  # a retry, other format
    assert again.status_code == 201
    assert xml(again).findtext("request/service_request_id") == sid
    other = await client.post(f"{url}.json", data=form(api_key, description="lain"), headers=once)
    assert other.status_code == 422
    [error] = other.json()
    assert error["code"] == 422 and "different request" in error["description"]
    r = await client.post(f"{url}.xml", data=form(api_key), headers={"Idempotency-Key": "k" * 201})
    assert r.status_code == 400 and "Idempotency-Key" in (xml(r).findtext("error/description") or "")
    fresh = await client.post(f"{url}.json", data=form(api_key), headers={"Idempotency-Key": "other"})
    assert fresh.status_code == 201 and fresh.json()[0]["service_request_id"] != sid
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 2


# --- Limits and media types: the shared pipeline's refusals in the spec's shape ----------------------
def spec_error(r: httpx.Response, fmt: str) -> tuple[int, str]:
    if fmt == "xml":
        root = xml(r)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert [c.tag for c in root[0]] == ["code", "description"]
        return int(root.findtext("error/code") or 0), root.findtext("error/description") or ""
    [error] = r.json()
    assert set(error) == {"code", "description"}
    return error["code"], error["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_rate_limited_is_429_with_retry_after(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str, fmt: str
) -> None:
    async with settings(runtime, spam_holds="off"), limits(runtime, "post=1/3600:100/3600"):
        assert (await client.post(f"{V2}/requests.{fmt}", data=form(api_key))).status_code == 201
        r = await client.post(f"{V2}/requests.{fmt}", data=form(api_key))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert spec_error(r, fmt)[0] == 429
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_too_large_is_413(client: httpx.AsyncClient, runtime: Runtime, api_key: str, fmt: str) -> None:
    photo = phone_jpeg(gps=None)
    async with settings(runtime, max_photo_bytes=len(photo) - 1):
        files = {"media": ("photo.jpg", photo, "image/jpeg")}
        r = await client.post(f"{V2}/requests.{fmt}", data=form(api_key), files=files)
    assert r.status_code == 413
    code, description = spec_error(r, fmt)
    assert code == 413 and str(len(photo) - 1) in description
    # A body over the whole-request cap is refused before routing, still in the spec's shape.
    sent: list[dict[str, Any]] = []

    async def never_called(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the body limit lets nothing oversized through")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "path": f"{V2}/requests.{fmt}",
        "headers": [(b"content-length", b"1001")],
    }
    await BodyLimit(never_called, limit=1000)(scope, None, send)  # type: ignore[arg-type]
    start, body = sent
    response = httpx.Response(start["status"], headers=start["headers"], content=body["body"])
    assert response.status_code == 413
    assert spec_error(response, fmt) == (413, "Request body is over 1000 bytes.")


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_wrong_media_type_is_415(
    client: httpx.AsyncClient, runtime: Runtime, api_key: str, fmt: str
) -> None:
    url = f"{V2}/requests.{fmt}"
    for r in (
        await client.post(url, json=form(api_key)),
        await client.post(url, content=b"api_key=x", headers={"content-type": "text/plain"}),
        await client.post(url, content=b"api_key=x"),  # no content type at all
    ):
        assert r.status_code == 415
        code, description = spec_error(r, fmt)
        assert code == 415 and "x-www-form-urlencoded" in description
    async with runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM posts") == 0


# --- Agencies ----------------------------------------------------------------------------------------
async def test_agency_responsible_follows_a_forward_to_an_agency(
    client: httpx.AsyncClient, runtime: Runtime, world: World, api_key: str
) -> None:
    async with runtime.pool.acquire() as conn:
        await conn.execute("TRUNCATE agencies CASCADE")  # not among conftest's tables: start from none
    body = {"code": "DSDA", "name": "Dinas Sumber Daya Air", "categories": ["flood"]}
    r = await client.post("/api/admin/agencies", json=body, headers=world.admin.headers)
    assert r.status_code == 201, r.text
    sid = await create(client, api_key)
    r = await change(client, world.lurah, int(sid), "forwarded", to_agency="DSDA", note="saluran tersumbat")
    assert r.status_code == 200, r.text
    item = (await client.get(f"{V2}/requests/{sid}.json")).json()[0]
    assert item["agency_responsible"] == "Dinas Sumber Daya Air" and item["status"] == "open"
    assert item["status_notes"] == "saluran tersumbat" and item["expected_datetime"] is not None
    assert item["address"] == "Kelurahan L1, Kecamatan C1, K"  # still the report's place
    root = xml(await client.get(f"{V2}/requests/{sid}.xml"))
    assert root.findtext("request/agency_responsible") == "Dinas Sumber Daya Air"


async def test_at_most_1000_requests_per_answer_and_pages_beyond(
    client: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO posts (author_id, text, category, lat, lon, pub_lat, pub_lon, cell9, cell7)
               SELECT $1, 'sampah ' || g, 'garbage', $2, $3, $2, $3, 0, 0 FROM generate_series(1, 1003) g""",
            world.citizen.id,
            IN_L1[0],
            IN_L1[1],
        )
        old = await conn.fetchval(
            """INSERT INTO posts (author_id, text, category, lat, lon, pub_lat, pub_lon, cell9, cell7,
                                  created_at)
               VALUES ($1, 'lama', 'garbage', $2, $3, $2, $3, 0, 0, now() - interval '91 days')
               RETURNING id""",
            world.citizen.id,
            IN_L1[0],
            IN_L1[1],
        )
    first = (await client.get(f"{V2}/requests.json")).json()
    assert len(first) == 1000  # the spec's cap; the 91-day-old report is outside the default window
    rest = (await client.get(f"{V2}/requests.json", params={"page": 2})).json()
    assert len(rest) == 3
    assert str(old) not in {i["service_request_id"] for i in first + rest}
    root = xml(await client.get(f"{V2}/requests.xml", params={"page": 2, "page_size": 2}))
    assert len(root.findall("request")) == 2
    assert (await client.get(f"{V2}/requests/{old}.json")).status_code == 200  # by id: any age


def test_dates_without_an_offset_are_jakarta_time() -> None:
    moment = open311._date("2026-06-01T00:00:00", "start_date")
    assert moment == datetime(2026, 5, 31, 17, 0, tzinfo=UTC)
    assert open311._date("2026-06-01T00:00:00Z", "start_date") == datetime(2026, 6, 1, tzinfo=UTC)


def test_public_base_defaults_to_the_listener() -> None:
    from feed.core.meta import absolute, public_base
    from kernel.settings import Settings

    assert public_base(Settings(host="192.0.2.7", port=9000)) == "http://192.0.2.7:9000/"
    assert public_base(Settings(host="::1", port=80)) == "http://[::1]:80/"
    assert public_base(Settings(public_url="https://w.example/")) == "https://w.example/"
    configured = Settings(public_url="https://w.example/sub")
    assert absolute(configured, "/media/ab/cd.jpg") == "https://w.example/sub/media/ab/cd.jpg"
    assert absolute(configured, "https://cdn.example/ab.jpg") == "https://cdn.example/ab.jpg"
    assert absolute(configured, "//cdn.example/ab.jpg") == "https://cdn.example/ab.jpg"
