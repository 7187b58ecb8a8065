"""An error's `message` follows Accept-Language: Indonesian for `id`, English otherwise and without the
header; `code` and `fields` are the same in both (clients match those, not the words)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from feed.core.errors import _HTTP_CODES, MESSAGES_ID, language
from tests.conftest import MakeUser
from tests.core.test_bad_input import GOOD


async def _post(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/posts", json=body, headers=headers)


async def test_accept_language_id_gives_indonesian_and_no_header_english(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    bad = {**GOOD, "text": "a" * 2001}
    plain = await _post(client, user.headers, bad)
    indonesian = await _post(client, {**user.headers, "Accept-Language": "id-ID,id;q=0.9,en;q=0.8"}, bad)
    english = await _post(client, {**user.headers, "Accept-Language": "en-US,en;q=0.9"}, bad)
    assert plain.status_code == indonesian.status_code == english.status_code == 422
    assert plain.json()["error"]["message"] == "Some fields are invalid."
    assert english.json() == plain.json()
    assert indonesian.json()["error"] == {
        "code": "invalid",
        "message": "Ada isian yang tidak valid.",
        "fields": {"text": "must be at most 2000 characters"},  # field problems stay the API's words
    }
    assert indonesian.headers["vary"] == "Accept-Language"

    # A code the app raises by hand, and Starlette's own 404 for a path that does not exist.
    wrong = {"handle": "nobody_here", "password": "wrong password"}
    login = await client.post("/api/auth/login", json=wrong, headers={"Accept-Language": "id"})
    assert login.json()["error"]["message"] == "Nama pengguna atau kata sandi salah."
    login = await client.post("/api/auth/login", json=wrong)
    assert login.json()["error"]["message"] == "Wrong handle or password."
    missing = await client.get("/api/no-such-thing", headers={"Accept-Language": "id"})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "Tidak ditemukan."


def _request(header: str | None) -> Request:
    headers = [] if header is None else [(b"accept-language", header.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("id", "id"),
        ("in", "id"),
        ("id-ID", "id"),
        ("en-US,en;q=0.9,id;q=0.8", "en"),
        ("en;q=0.5, id", "id"),
        ("fr-FR, id;q=0.3", "id"),
        ("fr, de", "en"),
        ("id;q=0, en;q=0.1", "en"),
        ("id;q=abc", "en"),
    ],
)
def test_language_from_the_header(header: str | None, lang: str) -> None:
    assert language(_request(header)) == lang


def test_every_code_the_app_raises_has_indonesian_words() -> None:
    """Read from the source: a new code without words would answer English to an Indonesian page."""
    root = Path(__file__).resolve().parents[2]
    raised = re.compile(r"(?:ApiError|PhotoRejected)\(\s*\d+,\s*\"([a-z_]+)\"")
    codes = {
        c for d in ("feed", "media") for p in (root / d).rglob("*.py") for c in raised.findall(p.read_text())
    }
    assert {"invalid", "photo_timeout", "handle_taken"} <= codes  # the pattern finds them
    assert (codes | set(_HTTP_CODES.values())) - set(MESSAGES_ID) == set()
