"""A refused field is named in the API's own words, whatever the declared shape: never msgspec's wording
(`expected \\`float\\` >= 1.0`, `must be float | null`, a regex). Found by a cold trial after the shapes
moved to msgspec (#19); these are the inputs it sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from feed.core.endpoint import convert
from feed.core.errors import ApiError
from feed.officials.shapes import PeriodParams, StatusChange
from feed.open311.shapes import ExportQuery
from feed.posts.shapes import FeedParams, NewPostBody
from feed.trust.shapes import NewFlag

POINT = {"lat": "-6.2", "lon": "106.8"}
CASES: list[tuple[type, dict[str, Any], str, str]] = [
    (FeedParams, {**POINT, "radius_m": "-1"}, "radius_m", "must be between 1 and 10000"),
    (FeedParams, {**POINT, "radius_m": "50000"}, "radius_m", "must be between 1 and 10000"),
    (FeedParams, {**POINT, "limit": "0"}, "limit", "must be between 1 and 100"),
    (NewPostBody, {"text": "x", "category": "flood", "lat": "x", "lon": 1}, "lat", "must be a number"),
    (
        NewPostBody,
        {"text": "x", "category": "flood", "lat": 999, "lon": 1},
        "lat",
        "must be between -90 and 90",
    ),
    (NewFlag, {"reason": "spam", "note": 1}, "note", "must be a string"),
    (StatusChange, {"status": "acknowledged", "to_area": 1.5}, "to_area", "must be an integer or a string"),
    (StatusChange, {"status": "acknowledged", "lat": 999, "lon": 1}, "lat", "must be between -90 and 90"),
    (ExportQuery, {"area": "abc"}, "area", "must be an integer"),
    (PeriodParams, {"period": "xyz"}, "period", "has the wrong format"),
]


@pytest.mark.parametrize(
    ("kind", "data", "field", "words"), CASES, ids=[f"{c[0].__name__}-{c[2]}" for c in CASES]
)
def test_a_refused_field_is_named_in_the_apis_words(
    kind: type, data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ApiError) as refused:
        convert(data, kind)
    assert refused.value.status == 422
    assert refused.value.fields == {field: words}


async def test_the_feed_answers_a_bad_radius_in_the_apis_words(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/feed", params={**POINT, "radius_m": "-1"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"radius_m": "must be between 1 and 10000"}
