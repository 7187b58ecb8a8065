"""The test push service and browser client, proven against pywebpush (warga's sender) over real sockets: what
pywebpush sends is recorded, decrypts to the exact payload and carries a VAPID header that verifies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid01, Vapid02
from pywebpush import WebPusher, WebPushException, webpush

from tests.push_service import MAX_PAYLOAD, WAIT_S, BrowserClient, PushService, b64url, verify_vapid

SUBJECT = "mailto:ops@warga.example"
# RFC 8291 §4: a 4,096-byte body holds at most 3,993 bytes of plaintext in one aes128gcm record.
MAX_PLAINTEXT = 3993


@pytest.fixture
async def service() -> AsyncIterator[PushService]:
    async with PushService() as s:
        yield s


@pytest.fixture
def vapid() -> Vapid02:
    key = Vapid02()
    key.generate_keys()
    return key


def public_key(key: Vapid01) -> str:
    return b64url(key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def private_key(key: Vapid01) -> str:
    """The raw form a server keeps in WARGA_VAPID_PRIVATE_KEY: base64url of the 32-byte scalar."""
    return b64url(key.private_key.private_numbers().private_value.to_bytes(32, "big"))


async def send(browser: BrowserClient, data: str, key: Vapid01 | str, **kwargs: Any) -> requests.Response:
    """pywebpush's own webpush(), which uses requests: run in a thread, as the event loop must not block."""
    kwargs.setdefault("vapid_claims", {"sub": SUBJECT})
    kwargs.setdefault("timeout", WAIT_S)
    response = await asyncio.to_thread(
        webpush, browser.subscription, data=data, vapid_private_key=key, **kwargs
    )
    assert isinstance(response, requests.Response)
    return response


async def refused(browser: BrowserClient, data: str, key: Vapid01 | str, **kwargs: Any) -> WebPushException:
    with pytest.raises(WebPushException) as caught:
        await send(browser, data, key, **kwargs)
    return caught.value


async def test_subscription_json_is_what_a_browser_gives(service: PushService) -> None:
    browser = BrowserClient(service)
    sub = browser.subscription
    assert sub == json.loads(json.dumps(sub))
    assert set(sub) == {"endpoint", "keys", "expirationTime"} and sub["expirationTime"] is None
    assert sub["endpoint"] == f"{service.origin}/push/{browser.sub_id}"
    assert set(sub["keys"]) == {"p256dh", "auth"}
    assert "=" not in sub["keys"]["p256dh"] + sub["keys"]["auth"]  # unpadded base64url, as browsers give
    assert len(sub["keys"]["p256dh"]) == 87 and sub["keys"]["p256dh"].startswith("B")  # 65 bytes, 0x04 first
    assert len(sub["keys"]["auth"]) == 22  # 16 bytes
    assert BrowserClient(service).subscription["keys"] != sub["keys"]


async def test_pywebpush_message_arrives_decrypts_and_verifies(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    other = BrowserClient(service)
    payload = {"title": "Laporan baru", "body": "Jalan berlubang · Menteng", "url": "/p/42", "post_id": 42}
    response = await send(
        browser,
        json.dumps(payload),
        private_key(vapid),
        ttl=3600,
        headers={"Urgency": "high", "Topic": "post-42"},
    )
    assert response.status_code == 201
    assert response.headers["Location"].startswith(f"{service.origin}/m/")

    [message] = await service.wait_for(browser.sub_id)
    assert browser.decrypt(message) == payload
    assert (message.ttl, message.urgency, message.topic) == (3600, "high", "post-42")
    assert message.content_encoding == "aes128gcm"
    assert message.crypto_key is None  # RFC 8291: the ECDH key is in the body; RFC 8292: VAPID's in k=
    assert message.authorization is not None and message.authorization.startswith("vapid t=")
    claims = verify_vapid(message.authorization, browser.endpoint, public_key(vapid))
    assert claims["sub"] == SUBJECT and claims["aud"] == service.origin
    assert message.verify_vapid(public_key(vapid)) == claims
    assert service.messages(other.sub_id) == []


async def test_messages_arrive_in_order_and_are_decrypted(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    for n in range(3):
        await send(browser, json.dumps({"n": n}), vapid)
    assert await browser.receive(3) == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_plain_text_payload_decrypts_to_bytes(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    await send(browser, "not json", vapid)
    assert await browser.receive() == [b"not json"]


async def test_draft_vapid_form_verifies_with_crypto_key(service: PushService) -> None:
    """A Vapid01 key makes pywebpush send `Authorization: WebPush <JWT>` and `Crypto-Key: p256ecdsa=<key>`."""
    key = Vapid01()
    key.generate_keys()
    browser = BrowserClient(service)
    await send(browser, "{}", key, ttl=60)
    [message] = await service.wait_for(browser.sub_id)
    assert message.authorization is not None and message.authorization.startswith("WebPush ")
    assert message.crypto_key == f"p256ecdsa={public_key(key)}"
    assert message.verify_vapid(public_key(key))["aud"] == service.origin
    with pytest.raises(AssertionError, match="Crypto-Key"):
        verify_vapid(message.authorization, browser.endpoint, public_key(key))


async def test_encode_and_httpx_is_accepted_too(service: PushService, vapid: Vapid02) -> None:
    """The async sender's path: pywebpush encrypts, py_vapid signs, httpx posts."""
    browser = BrowserClient(service)
    body = WebPusher(browser.subscription).encode(b'{"post_id": 7}')["body"]
    headers = {
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
        "Urgency": "normal",
        **vapid.sign({"sub": SUBJECT, "aud": service.origin, "exp": int(time.time()) + 600}),
    }
    async with httpx.AsyncClient(timeout=WAIT_S) as client:
        response = await client.post(browser.endpoint, content=body, headers=headers)
    assert response.status_code == 201
    assert await browser.receive() == [{"post_id": 7}]
    assert service.messages(browser.sub_id)[0].verify_vapid(public_key(vapid))["exp"] > time.time()


async def test_wrong_key_or_audience_fails_verification(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    elsewhere = {"sub": SUBJECT, "aud": "https://push.example.net"}
    await send(browser, "{}", vapid)
    await send(browser, "{}", vapid, vapid_claims=elsewhere)  # the service does not check: verify_vapid does
    right, wrong_aud = await service.wait_for(browser.sub_id, 2)
    stranger = Vapid02()
    stranger.generate_keys()
    with pytest.raises(AssertionError, match="not the server's public key"):
        right.verify_vapid(public_key(stranger))
    with pytest.raises(AssertionError, match="not the endpoint's origin"):
        wrong_aud.verify_vapid(public_key(vapid))
    # The right key in k= but a token signed by another key.
    assert right.authorization is not None
    forged = right.authorization.replace(
        right.authorization.split("t=")[1].split(",")[0],
        stranger.sign({"sub": SUBJECT, "aud": service.origin})["Authorization"].split("t=")[1].split(",")[0],
    )
    with pytest.raises(AssertionError, match="signature does not verify"):
        verify_vapid(forged, browser.endpoint, public_key(vapid))


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"exp": int(time.time()) - 60}, "in the past"),
        ({"exp": int(time.time()) + 25 * 3600}, "more than 24 h ahead"),
        ({"sub": "ops@warga.example"}, "not a mailto: or https: URL"),
        ({"sub": "http://warga.example"}, "not a mailto: or https: URL"),
    ],
)
def test_bad_claims_fail_verification(vapid: Vapid02, claims: dict[str, Any], error: str) -> None:
    endpoint = "https://push.example.net/push/abc"
    good = {"sub": SUBJECT, "aud": "https://push.example.net", "exp": int(time.time()) + 3600}
    assert verify_vapid(vapid.sign(good)["Authorization"], endpoint, public_key(vapid)) == good
    lax = Vapid02(vapid.private_key, conf={"no-strict": True})  # py_vapid itself refuses a bad sub
    header = lax.sign({**good, **claims})["Authorization"]
    with pytest.raises(AssertionError, match=error):
        verify_vapid(header, endpoint, public_key(vapid))


def test_vapid_header_spacing_and_garbage() -> None:
    key = Vapid02()
    key.generate_keys()
    claims = {"sub": "https://warga.example", "aud": "http://127.0.0.1:8123", "exp": int(time.time()) + 60}
    header = key.sign(claims)["Authorization"]
    assert header.startswith("vapid t=") and ",k=" in header  # py_vapid writes no space after the comma
    spaced = header.replace(",k=", ", k=")  # RFC 8292's own example has one
    assert verify_vapid(spaced, "http://127.0.0.1:8123/push/x", public_key(key)) == claims
    for bad in ("Bearer abc", "vapid t=abc", "vapid t=a.b.c, k=" + public_key(key), "WebPush a.b.c"):
        with pytest.raises(AssertionError):
            verify_vapid(bad, "http://127.0.0.1:8123/push/x", public_key(key))


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_subscription_is_seen_by_the_sender(
    service: PushService, vapid: Vapid02, status: int
) -> None:
    browser = BrowserClient(service)
    service.gone(browser.sub_id, status)
    for _ in range(2):  # gone stays gone
        assert (await refused(browser, "{}", vapid)).status_code == status
    assert [r.status for r in service.requests(browser.sub_id)] == [status, status]
    assert service.messages(browser.sub_id) == []


async def test_throttled_with_retry_after_then_accepted(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    service.throttle(browser.sub_id, retry_after="7", times=2)
    for _ in range(2):
        error = await refused(browser, '{"n": 1}', vapid)
        assert (error.status_code, error.retry_after) == (429, "7")
    response = await send(browser, '{"n": 1}', vapid)
    assert response.status_code == 201 and "Retry-After" not in response.headers
    assert [r.status for r in await service.wait_for_attempts(browser.sub_id, 3)] == [429, 429, 201]
    assert await browser.receive() == [{"n": 1}]


async def test_server_errors_n_times_then_accepted(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    service.fail(browser.sub_id, times=2)
    service.fail(browser.sub_id, status=503)
    assert [(await refused(browser, "{}", vapid)).status_code for _ in range(3)] == [500, 500, 503]
    assert (await send(browser, "{}", vapid)).status_code == 201
    assert len(service.messages(browser.sub_id)) == 1


async def test_stalled_push_times_the_sender_out(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    service.stall(browser.sub_id)
    with pytest.raises(requests.exceptions.Timeout):
        await send(browser, "{}", vapid, timeout=0.5)
    [attempt] = await service.wait_for_attempts(browser.sub_id)
    assert attempt.body  # it arrived whole; only the answer never came
    service.release()
    assert (await send(browser, '"next"', vapid)).status_code == 201
    assert await browser.receive() == ["next"]


async def test_stalled_pushes_are_answered_at_shutdown() -> None:
    async with httpx.AsyncClient(timeout=WAIT_S) as client:
        async with PushService() as service:
            browser = BrowserClient(service)
            service.stall(browser.sub_id, times=2)
            pending = asyncio.create_task(client.post(browser.endpoint, headers={"TTL": "0"}))
            await service.wait_for_attempts(browser.sub_id)
            service.release()
            assert (await pending).status_code == 504
            pending = asyncio.create_task(client.post(browser.endpoint, headers={"TTL": "0"}))
            await service.wait_for_attempts(browser.sub_id, 2)
        # Leaving the service answered the stalled push rather than waiting for it forever.
        assert (await pending).status_code == 504


async def test_payload_over_4096_bytes_is_refused_with_413(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    assert (await send(browser, "x" * MAX_PLAINTEXT, vapid)).status_code == 201
    [largest] = await service.wait_for(browser.sub_id)
    assert len(largest.body) == MAX_PAYLOAD
    assert browser.decrypt(largest) == b"x" * MAX_PLAINTEXT
    assert (await refused(browser, "x" * (MAX_PLAINTEXT + 1), vapid)).status_code == 413
    assert [len(r.body) for r in service.requests(browser.sub_id)] == [MAX_PAYLOAD, MAX_PAYLOAD + 1]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),  # no TTL
        ({"TTL": "soon"}, 400),
        ({"TTL": "60", "Urgency": "urgent"}, 400),
        ({"TTL": "60", "Topic": "a" * 33}, 400),
        ({"TTL": "60", "Topic": "post:42"}, 400),
        ({"TTL": "60", "Topic": "a" * 32, "Urgency": "very-low"}, 201),
    ],
)
async def test_protocol_checks(service: PushService, headers: dict[str, str], status: int) -> None:
    browser = BrowserClient(service)
    async with httpx.AsyncClient(timeout=WAIT_S) as client:
        response = await client.post(browser.endpoint, headers=headers)
        assert response.status_code == status
        unknown = await client.post(f"{service.origin}/push/never-issued", headers={"TTL": "60"})
        assert unknown.status_code == 404
        bare = await client.post(browser.endpoint, content=b"ciphertext", headers={"TTL": "60"})
        assert bare.status_code == 400  # a payload without Content-Encoding


async def test_waiting_for_a_message_that_never_comes_fails(service: PushService, vapid: Vapid02) -> None:
    browser = BrowserClient(service)
    service.throttle(browser.sub_id)
    await refused(browser, "{}", vapid)
    with pytest.raises(AssertionError, match=r"expected 1 message\(s\) .* the attempts got \[429\]"):
        await service.wait_for(browser.sub_id, within=0.2)
    with pytest.raises(AssertionError, match="expected 2 message"):
        await browser.receive(2, within=0.2)


async def test_pywebpush_keeps_the_first_aud_in_a_reused_claims_dict(vapid: Vapid02) -> None:
    """webpush() writes aud (and exp) into the claims dict it is given: a sender must pass a fresh dict per
    push, or pushes to a second push service carry the first one's aud, and verify_vapid says so."""
    claims: dict[str, str | int] = {"sub": SUBJECT}
    async with PushService() as first, PushService() as second:
        to_first, to_second = BrowserClient(first), BrowserClient(second)
        await send(to_first, "{}", vapid, vapid_claims=claims)
        await send(to_second, "{}", vapid, vapid_claims=claims)
        assert claims["aud"] == first.origin
        [message] = await second.wait_for(to_second.sub_id)
        with pytest.raises(AssertionError, match="not the endpoint's origin"):
            message.verify_vapid(public_key(vapid))
