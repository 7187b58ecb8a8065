"""GET /api/export: public reports as GeoJSON or CSV, streamed from a server-side cursor in chunks; hidden,
held and deleted reports never appear, sensitive ones only at their public (fuzzed) position."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from db import export as export_db
from feed.core.errors import StreamBroken
from feed.open311 import export
from tests.officials_helpers import IN_L1, IN_L3, World, post_at
from tests.services import served_by_uvicorn
from warga.runtime import Runtime


async def features(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/export", params={"format": "geojson", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    body = json.loads(r.content)
    assert body["type"] == "FeatureCollection"
    for f in body["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        assert len(f["geometry"]["coordinates"]) == 2
    found: list[dict[str, Any]] = body["features"]
    return found


async def test_geojson_has_public_reports_only_at_public_positions(
    client: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    flood = await post_at(client, world.citizen, IN_L1)
    crime = await post_at(client, world.citizen, IN_L1, category="crime")
    hidden = await post_at(client, world.citizen, IN_L3, category="garbage")
    r = await client.post(
        f"/api/posts/{hidden['id']}/hide", json={"reason": "spam"}, headers=world.admin.headers
    )
    assert r.status_code == 200, r.text
    deleted = await post_at(client, world.citizen, IN_L3)
    assert (
        await client.delete(f"/api/posts/{deleted['id']}", headers=world.citizen.headers)
    ).status_code == 204
    got = await features(client)
    assert [f["id"] for f in got] == [flood["id"], crime["id"]]
    assert got[0]["geometry"]["coordinates"] == [IN_L1[1], IN_L1[0]]
    # Crime is sensitive: the export has the public position (as the feed shows it), not the truth.
    assert got[1]["geometry"]["coordinates"] == [crime["lon"], crime["lat"]]
    assert got[1]["geometry"]["coordinates"] != [IN_L1[1], IN_L1[0]]
    assert got[0]["properties"]["area_name"] == "L1" and got[0]["properties"]["category"] == "flood"
    # Filters: category, area (with its sub-areas), time.
    assert [f["id"] for f in await features(client, category="crime")] == [crime["id"]]
    assert len(await features(client, area=world.area["C1"])) == 2
    assert await features(client, area=world.area["L3"]) == []
    assert await features(client, **{"from": "2999-01-01"}) == []
    assert len(await features(client, to="2999-01-01T00:00:00Z")) == 2


async def test_csv_header_and_rows(client: httpx.AsyncClient, world: World) -> None:
    flood = await post_at(client, world.citizen, IN_L1)
    r = await client.get("/api/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == export.CSV_COLUMNS
    assert rows[1][:3] == [str(flood["id"]), "flood", "open"] and rows[1][6] == "L1"
    assert len(rows) == 2


async def test_bad_parameters_are_422(client: httpx.AsyncClient, world: World) -> None:
    for params, field in (
        ({"format": "xlsx"}, "format"),
        ({"from": "kemarin"}, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"category": "volcano"}, "category"),
        ({"area": "x"}, "area"),
        ({"area": "999999"}, "area"),
    ):
        r = await client.get("/api/export", params=params)
        assert r.status_code == 422, params
        assert field in r.json()["error"]["fields"]


async def test_export_streams_in_chunks(app: Any, runtime: Runtime, world: World) -> None:
    # More rows than one batch: the body must arrive as several chunks, not one buffered blob.
    rows = export.BATCH * 3 + 5
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO posts (author_id, text, category, lat, lon, pub_lat, pub_lon, cell9, cell7)
               SELECT $1, 'banjir ' || g, 'flood', $2, $3, $2, $3, 0, 0 FROM generate_series(1, $4) g""",
            world.citizen.id,
            IN_L1[0],
            IN_L1[1],
            rows,
        )
    for fmt in ("csv", "geojson"):
        status, chunks = await asgi_get(app, "/api/export", f"format={fmt}")
        assert status == 200
        assert len(chunks) >= 4, fmt  # header/opening + one per batch of 200 rows: sent as produced
        body = b"".join(chunks)
        if fmt == "csv":
            assert len(list(csv.reader(io.StringIO(body.decode())))) == rows + 1
        else:
            assert len(json.loads(body)["features"]) == rows


async def asgi_get(app: Any, path: str, query: str) -> tuple[int, list[bytes]]:
    """Call the ASGI app directly and keep every body message it sends (httpx's test transport would join
    them into one), so the test sees how the response is produced."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }  # fmt: skip
    chunks: list[bytes] = []
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # never disconnects
        return {}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])

    await app(scope, receive, send)
    return status, chunks


async def _add_posts(runtime: Runtime, author_id: int, count: int) -> None:
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO posts (author_id, text, category, lat, lon, pub_lat, pub_lon, cell9, cell7)
               SELECT $1, repeat('banjir setinggi lutut ', 4) || g, 'flood', $2, $3, $2, $3, 0, 0
               FROM generate_series(1, $4) g""",
            author_id,
            IN_L1[0],
            IN_L1[1],
            count,
        )


async def _peak_while_exporting(runtime: Runtime, fmt: str) -> tuple[int, int]:
    """(peak bytes allocated by Python while the whole export is produced, bytes produced)."""
    params = {"start": None, "end": None, "area_id": None, "category": None}
    produce = export._csv if fmt == "csv" else export._geojson
    size = 0
    tracemalloc.start()
    try:
        async for chunk in produce(runtime, params):
            size += len(chunk)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
async def test_export_memory_does_not_grow_with_the_rows(runtime: Runtime, world: World, fmt: str) -> None:
    # Constant memory, measured: ten times the rows must not need (nearly) ten times the memory, and the
    # peak must stay below half the body (a buffered export holds all of it, and more). Allocations, not
    # time: the same on a loaded machine. bench/export.py measures a million rows.
    await _add_posts(runtime, world.citizen.id, 2_000)
    small_peak, small_size = await _peak_while_exporting(runtime, fmt)
    await _add_posts(runtime, world.citizen.id, 18_000)
    big_peak, big_size = await _peak_while_exporting(runtime, fmt)
    assert big_size > 9 * small_size
    assert big_peak < 2 * small_peak, (small_peak, big_peak)
    assert big_peak < big_size / 2, (big_peak, big_size)


def _failing_after(rows: int, fail: bool = True) -> Any:
    """A stand-in for db.export.public_reports that yields `rows` rows, then fails as a lost database would
    (or ends, with `fail` false)."""

    async def public_reports(conn: Any, **params: Any) -> AsyncIterator[dict[str, Any]]:
        for i in range(1, rows + 1):
            yield {
                "id": i, "category": "flood", "status": "open", "pub_lat": IN_L1[0], "pub_lon": IN_L1[1],
                "text": f"banjir {i}", "area_id": None, "area_name": None, "vote_count": 0,
                "comment_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T01:00Z",
            }  # fmt: skip
        if fail:
            raise ConnectionResetError("the database went away")

    return public_reports


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
async def test_a_stream_failing_midway_never_ends_cleanly(
    app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fmt: str
) -> None:
    """Issue #18 item 7: after the 200 is sent, a failure cannot become a 4xx/5xx; it must not look like a
    complete file either. The ASGI app sends no final body message (and raises); uvicorn then drops the
    connection without the chunked terminator, which an HTTP client reports as an error. Logged once."""
    monkeypatch.setattr(export_db, "public_reports", _failing_after(export.BATCH + 50))
    caplog.set_level(logging.INFO)
    with pytest.raises(StreamBroken):
        await asgi_get(app, "/api/export", f"format={fmt}")

    caplog.clear()
    async with served_by_uvicorn(app) as base, httpx.AsyncClient(base_url=base) as client:
        async with client.stream("GET", "/api/export", params={"format": fmt}) as r:
            assert r.status_code == 200 and r.headers.get("transfer-encoding") == "chunked"
            received = b""
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
                async for chunk in r.aiter_bytes():
                    received += chunk
        assert received.count(b"banjir") == export.BATCH  # the first batch arrived, then the cut
        # Even before the first batch (only the CSV header or GeoJSON opening sent): cut, not complete.
        monkeypatch.setattr(export_db, "public_reports", _failing_after(3))
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            await client.get("/api/export", params={"format": fmt})
        # The server is fine afterwards, and an export that does not fail ends cleanly.
        monkeypatch.setattr(export_db, "public_reports", _failing_after(3, fail=False))
        ok = await client.get("/api/export", params={"format": fmt})
        assert ok.status_code == 200 and ok.content.count(b"banjir") == 3
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, [(r.name, r.getMessage()[:120]) for r in errors]  # one per failed export
    for record in errors:
        assert record.name == "warga.http" and "ConnectionResetError" in record.getMessage()
        assert "connection dropped" in record.getMessage()
        assert "the database went away" in record.__dict__["exc"]
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]
