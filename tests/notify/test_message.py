"""The notification's words and size (notify/message.py, notify/sender.py): Indonesian, from the view only,
never over RFC 8291's 3,993 bytes of plaintext."""

from __future__ import annotations

import json

import pytest

from notify import message
from notify.sender import encrypt, retry_after
from tests.push_service import BrowserClient, PushService


def test_the_body_is_short_and_carries_nothing_but_the_four_fields() -> None:
    view = {
        "post": {
            "id": 7,
            "text": "x" * 5000,
            "category": "crime",
            "lat": 1.0,
            "lon": 2.0,
            "author": {"id": 3},
        },
        "exact": {"lat": 1.1, "lon": 2.1},
        "reason": "spam",
    }
    note = message.render("post.created", view, 7, own_report=False)
    assert set(note) == {"title", "body", "url", "post_id"}
    assert note["title"] == "Laporan baru: Kriminalitas" and len(note["body"]) == message.MAX_BODY_CHARS
    assert note["url"] == "/?post=7"
    assert len(json.dumps(note, ensure_ascii=False).encode()) <= message.MAX_PAYLOAD_BYTES


async def test_a_payload_over_the_limit_is_refused_not_sent() -> None:
    async with PushService() as service:
        browser = BrowserClient(service)
        keys = browser.subscription["keys"]
        fits = {"body": "a" * (message.MAX_PAYLOAD_BYTES - 12)}  # {"body":"…"} is 12 bytes around it
        body = encrypt(fits, browser.endpoint, keys["p256dh"], keys["auth"])
        assert browser.decrypt(body) == fits and len(body) <= 4096
        with pytest.raises(ValueError, match="over 3993"):
            encrypt({"body": "a" * message.MAX_PAYLOAD_BYTES}, browser.endpoint, keys["p256dh"], keys["auth"])


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert retry_after(None) is None and retry_after("soon") is None
