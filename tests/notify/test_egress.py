"""The egress guard for push endpoints (kernel/egress.py): the SSRF table refused when a browser subscribes
and again when the worker sends; every address of a name checked; the connection pinned to the checked
address with the name kept for Host; no redirects."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from db import push as push_db
from kernel import egress
from tests.conftest import MakeUser
from tests.notify.conftest import ledger, open_notifier
from tests.officials_helpers import Clock
from tests.push_service import BrowserClient, PushService
from warga.runtime import Runtime

# What a browser could hand in that the server must never POST to.
REFUSED = [
    "http://push.example.org/send/1",  # not https
    "https://127.0.0.1/push/1",
    "https://10.0.0.1/push/1",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/push/1",
    "https://[::ffff:127.0.0.1]/push/1",  # IPv4-mapped loopback
    "https://100.64.0.1/push/1",  # CGNAT
    "https://0.0.0.0/push/1",
    "https://224.0.0.1/push/1",
    "https://localhost/push/1",  # a name that resolves to loopback
    "ftp://push.example.org/1",
    "https://user:pw@push.example.org/1",
]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2002:a00:1::",
    ],
)
def test_refused_addresses(address: str) -> None:
    assert egress.refused_address(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["142.250.4.95", "2a00:1450:4001:80b::200a", "::ffff:142.250.4.95"])
def test_public_addresses_pass(address: str) -> None:
    assert egress.refused_address(ipaddress.ip_address(address)) is None


async def test_every_resolved_address_is_checked() -> None:
    async def public_and_private(host: str, port: int) -> list[str]:
        return ["142.250.4.95", "10.0.0.7"]

    with pytest.raises(egress.EgressRefused, match="private"):
        await egress.check("https://push.example.org/x", allow_private=False, resolve=public_and_private)


async def test_the_ssrf_table_is_refused_at_subscribe_time(
    client: httpx.AsyncClient, make_user: MakeUser, push_service: PushService
) -> None:
    alice = await make_user()
    keys = BrowserClient(push_service).subscription["keys"]
    for endpoint in REFUSED:
        body = {"endpoint": endpoint, "keys": keys, "expirationTime": None}
        r = await client.post("/api/push/subscriptions", json=body, headers=alice.headers)
        assert r.status_code == 422, (endpoint, r.text)
        assert list(r.json()["error"]["fields"]) == ["endpoint"], (endpoint, r.text)
    # The real push service, on loopback over http, is refused too without WARGA_PUSH_ALLOW_PRIVATE.
    body = BrowserClient(push_service).subscription
    r = await client.post("/api/push/subscriptions", json=body, headers=alice.headers)
    assert r.status_code == 422 and "endpoint" in r.json()["error"]["fields"]


async def test_refused_again_at_send_time(
    runtime: Runtime,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    push_service: PushService,
    clock: Clock,
) -> None:
    """Endpoints stored before the guard (or whose name now resolves elsewhere) are refused by the worker:
    nothing reaches the push service on loopback, and the delivery is given up, naming why."""
    worker = await open_notifier(runtime, clock, push_allow_private=False)  # before the events it reads
    reporter, fan = await make_user(), await make_user()
    browser = BrowserClient(push_service)
    loopback_by_name = browser.endpoint.replace("http://127.0.0.1", "https://localhost")
    endpoints = [
        browser.endpoint,  # http:// and loopback
        browser.endpoint.replace("http://", "https://"),
        loopback_by_name,
        "https://10.0.0.1/push/1",
        "https://169.254.169.254/push/1",
        "https://[::1]/push/1",
    ]
    async with runtime.pool.acquire() as conn:
        for endpoint in endpoints:
            await push_db.subscribe(
                conn, fan.id, endpoint, browser.p256dh, browser.subscription["keys"]["auth"]
            )
    post = (
        await client.post(
            "/api/posts",
            json={"text": "jalan rusak", "category": "road_damage", "lat": -6.2, "lon": 106.8},
            headers=reporter.headers,
        )
    ).json()
    assert (await client.put(f"/api/posts/{post['id']}/follow", headers=fan.headers)).status_code == 200
    r = await client.post(f"/api/posts/{post['id']}/comments", json={"text": "ya"}, headers=reporter.headers)
    assert r.status_code == 201, r.text
    try:
        await worker.drain()
    finally:
        await worker.close()
    rows = await ledger(runtime, fan.id)
    assert len(rows) == len(endpoints)
    assert all(r["status"] == "failed" and r["last_error"].startswith("refused") for r in rows), rows
    assert push_service.requests() == []


async def test_the_connection_is_pinned_to_the_checked_address(push_service: PushService) -> None:
    """One lookup per connection, its answer checked, and the socket opened to that very address, while the
    request still names the host (Host header; SNI for https)."""
    browser = BrowserClient(push_service)
    port = int(browser.endpoint.rsplit(":", 1)[1].split("/")[0])
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    client, backend = egress.guarded_client(allow_private=True, timeout_s=5.0, resolve=resolver)
    async with client:
        url = f"http://push-service.test:{port}/push/{browser.sub_id}"
        r = await client.post(url, content=b"", headers={"TTL": "60"})
    assert r.status_code == 201
    assert lookups == ["push-service.test"]
    assert backend.connected == [("push-service.test", "127.0.0.1")]
    received = push_service.requests(browser.sub_id)
    assert len(received) == 1


async def test_a_rebinding_name_is_refused_when_connecting() -> None:
    """A name that answered a public address when checked and a private one now: the worker's connection
    checks the answer it connects to, so the second answer is refused, not connected to."""
    answers = iter([["142.250.4.95"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    await egress.check("https://push.example.org/x", allow_private=False, resolve=rebinding)
    client, backend = egress.guarded_client(allow_private=False, timeout_s=5.0, resolve=rebinding)
    async with client:
        with pytest.raises(egress.EgressRefused, match="loopback"):
            await client.post("https://push.example.org/x", content=b"")
    assert backend.connected == []


async def test_redirects_are_not_followed_and_requests_time_out() -> None:
    client, _ = egress.guarded_client(allow_private=True, timeout_s=5.0)
    assert client.follow_redirects is False and client.timeout.read == 5.0
    await client.aclose()
