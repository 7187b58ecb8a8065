"""kernel/proxies.py: X-Forwarded-For and Forwarded believed only from trusted proxies, walked from the right;
spoofing attempts land on the real address; malformed headers never raise. Then the HTTP side: the access log
and the rate limiter see the resolved address."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feed.app import build_app
from kernel import logs
from kernel.proxies import client_address, forwarded_for_values, parse_trusted, peer_is_trusted
from kernel.settings import Settings
from warga.runtime import Runtime

NGINX = "10.0.0.5"
TRUSTED = parse_trusted("10.0.0.0/24, 192.168.1.1, fd00::/8")


def resolve(peer: str | None, xff: str | None = None, fwd: str | None = None, trusted: Any = TRUSTED) -> str:
    return client_address(peer, xff, fwd, trusted)


# Parsing the setting.


def test_parse_trusted_accepts_addresses_and_cidrs() -> None:
    nets = parse_trusted("10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8,,")
    assert [str(n) for n in nets] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "fd00::/8"]
    assert parse_trusted(("10.1.2.3/16",)) == parse_trusted("10.1.0.0/16")  # host bits allowed
    assert parse_trusted("") == parse_trusted(()) == ()


@pytest.mark.parametrize("bad", ["nginx", "10.0.0.0/33", "*", "10.0.0.1-10.0.0.9", "0.0.0.0/0/1"])
def test_parse_trusted_names_the_bad_entry(bad: str) -> None:
    with pytest.raises(ValueError, match="not an address or CIDR"):
        parse_trusted(f"10.0.0.1,{bad}")


def test_settings_read_the_tuple() -> None:
    s = Settings.from_env({"WARGA_TRUSTED_PROXIES": "10.0.0.0/8, 172.16.0.1"})
    assert s.trusted_proxies == ("10.0.0.0/8", "172.16.0.1")
    assert Settings.from_env({}).trusted_proxies == ()


# No trusted proxies (the default), or an untrusted peer: the peer, whatever the headers say.


@pytest.mark.parametrize("trusted", [(), parse_trusted("")])
def test_default_believes_no_header(trusted: Any) -> None:
    assert resolve("203.0.113.9", "1.2.3.4", "for=1.2.3.4", trusted) == "203.0.113.9"
    assert resolve(NGINX, "1.2.3.4", None, trusted) == NGINX


def test_untrusted_peer_cannot_pick_its_address() -> None:
    for xff in ("1.2.3.4", "1.2.3.4, 10.0.0.5", "10.0.0.5"):
        assert resolve("203.0.113.9", xff) == "203.0.113.9"
    assert resolve("203.0.113.9", None, "for=10.0.0.7") == "203.0.113.9"


def test_peer_returned_unchanged_when_not_an_address() -> None:
    assert resolve("testclient", "1.2.3.4") == "testclient"
    assert resolve(None, "1.2.3.4") == "unknown"


# Behind trusted proxies.


def test_trusted_peer_gives_the_address_it_saw() -> None:
    assert resolve(NGINX, "198.51.100.7") == "198.51.100.7"
    assert resolve(NGINX, None, "for=198.51.100.7;proto=https;by=10.0.0.5") == "198.51.100.7"


def test_no_header_from_a_trusted_peer_is_the_peer() -> None:
    assert resolve(NGINX) == NGINX
    assert resolve(NGINX, "", "  ") == NGINX


def test_spoofed_entries_left_of_the_real_client_are_never_read() -> None:
    # The client sent "X-Forwarded-For: 1.1.1.1"; nginx appended the address it saw.
    assert resolve(NGINX, "1.1.1.1, 198.51.100.7") == "198.51.100.7"
    # Even a forged trusted-looking entry on the left does not move the answer.
    assert resolve(NGINX, "10.0.0.9, 1.1.1.1, 198.51.100.7") == "198.51.100.7"
    assert resolve(NGINX, None, 'for=1.1.1.1, for="198.51.100.7"') == "198.51.100.7"


def test_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    # client -> 192.168.1.1 (trusted) -> 10.0.0.5 (trusted, the peer)
    assert resolve(NGINX, "6.6.6.6, 198.51.100.7, 192.168.1.1") == "198.51.100.7"
    assert resolve(NGINX, "198.51.100.7,10.0.0.3, 192.168.1.1") == "198.51.100.7"
    # An untrusted hop in the middle stops the walk there: what it claims is not believed.
    assert resolve(NGINX, "6.6.6.6, 198.51.100.7, 203.0.113.1") == "203.0.113.1"


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert resolve(NGINX, "10.0.0.8, 192.168.1.1") == "10.0.0.8"


def test_ports_brackets_and_ipv6() -> None:
    assert resolve(NGINX, "198.51.100.7:5555") == "198.51.100.7"
    assert resolve(NGINX, "[2001:db8::1]:443") == "2001:db8::1"
    assert resolve(NGINX, "2001:db8::1") == "2001:db8::1"
    assert resolve(NGINX, None, 'for="[2001:db8:cafe::17]:4711"') == "2001:db8:cafe::17"
    assert resolve(NGINX, None, "For=198.51.100.7") == "198.51.100.7"  # parameter names are case-blind
    assert resolve("fd00::2", "198.51.100.7") == "198.51.100.7"  # an IPv6 proxy
    assert resolve(NGINX, "::ffff:198.51.100.7") == "198.51.100.7"


def test_ipv4_mapped_peer_is_matched_as_ipv4() -> None:
    assert peer_is_trusted("::ffff:10.0.0.5", TRUSTED)
    assert resolve("::ffff:10.0.0.5", "198.51.100.7") == "198.51.100.7"
    assert not peer_is_trusted("::ffff:10.9.0.5", TRUSTED)
    assert not peer_is_trusted(None, TRUSTED) and not peer_is_trusted(NGINX, ())


@pytest.mark.parametrize(
    "xff",
    [
        "unknown",
        "garbage",
        "198.51.100.7, unknown",
        "_hidden",
        "",
        ",,,",
        "[::1",
        "1.2.3.4.5",
        "fe80::1%eth0",
    ],
)
def test_garbage_entry_stops_at_the_last_trusted_hop(xff: str) -> None:
    # Never a guess: the answer is an address some trusted proxy vouched for (here the peer itself).
    assert resolve(NGINX, xff) == NGINX


def test_garbage_further_left_is_never_reached() -> None:
    assert resolve(NGINX, "junk, 198.51.100.7") == "198.51.100.7"
    assert resolve(NGINX, None, 'for=junk;x="a,b", for=198.51.100.7') == "198.51.100.7"


def test_forwarded_obfuscated_unknown_and_missing_for() -> None:
    assert resolve(NGINX, None, "for=unknown") == NGINX
    assert resolve(NGINX, None, "for=_gazonk") == NGINX
    assert resolve(NGINX, None, "proto=https;by=10.0.0.5") == NGINX  # an element without for=
    assert resolve(NGINX, None, 'for="198.51.100.7') == NGINX  # unterminated quote


def test_forwarded_values_parse_quotes_and_escapes() -> None:
    assert forwarded_for_values('for=a;by=b, by=c, for="[::1]:80";proto=http') == ["a", "", "[::1]:80"]
    assert forwarded_for_values('for="x\\"y,z"') == ['x"y,z']
    assert forwarded_for_values("") == [""]


def test_both_headers_agreeing_is_believed_disagreeing_is_the_peer() -> None:
    assert resolve(NGINX, "198.51.100.7", "for=198.51.100.7") == "198.51.100.7"
    # nginx appends X-Forwarded-For; the client forged Forwarded to pick an address: counted at the proxy.
    assert resolve(NGINX, "198.51.100.7", "for=1.2.3.4") == NGINX
    assert resolve(NGINX, "1.2.3.4", "for=198.51.100.7") == NGINX


def test_a_very_long_trusted_chain_is_bounded() -> None:
    xff = ", ".join(["198.51.100.7"] + ["10.0.0.9"] * 1000)
    assert resolve(NGINX, xff) == "10.0.0.9"  # the walk gave up within the trusted hops, never on the left


@settings(max_examples=300, deadline=None)
@given(
    peer=st.one_of(st.none(), st.sampled_from([NGINX, "203.0.113.9", "fd00::1", "x"]), st.text(max_size=20)),
    xff=st.one_of(st.none(), st.text(max_size=80)),
    fwd=st.one_of(st.none(), st.text(max_size=80)),
)
def test_malformed_headers_never_raise(peer: str | None, xff: str | None, fwd: str | None) -> None:
    answer = resolve(peer, xff, fwd)
    assert isinstance(answer, str) and (answer or peer == "")
    if peer is not None and not peer_is_trusted(peer, TRUSTED):
        assert answer == peer


@settings(max_examples=200, deadline=None)
@given(
    forged=st.lists(
        st.one_of(
            st.sampled_from(["10.0.0.9", "192.168.1.1", "1.1.1.1", "unknown", "", "[fd00::3]"]),
            st.ip_addresses().map(str),
            st.text(max_size=12),
        ),
        max_size=6,
    ),
    client=st.ip_addresses(v=4).map(str).filter(lambda a: not peer_is_trusted(a, TRUSTED)),
)
def test_whatever_the_client_prepends_the_answer_is_its_real_address(forged: list[str], client: str) -> None:
    """The spoofing property: entries the client wrote sit left of the one nginx appended, so they never
    change the answer, through one trusted proxy or two."""
    xff = ", ".join([*forged, client])
    assert resolve(NGINX, xff) == client
    assert resolve(NGINX, xff + ", 192.168.1.1") == client
    fwd = ", ".join([*(f'for="{f}"' for f in forged if '"' not in f and "\\" not in f), f"for={client}"])
    assert resolve(NGINX, None, fwd) == client


# The HTTP side: the limiter's key and the access log use the resolved address.


@pytest.fixture
def proxied_app(runtime: Runtime) -> Any:
    class Proxied:  # the same runtime, seen through settings that trust 10.0.0.0/24 and rate-limit sign-ups
        def __init__(self, rt: Runtime) -> None:
            self._rt = rt
            self.settings = rt.settings.with_(trusted_proxies=("10.0.0.0/24",))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._rt, name)

    return build_app(Proxied(runtime))


def _client(app: Any, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_access_log_records_the_resolved_address(proxied_app: Any) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    access = logging.getLogger("warga.access")
    access.addHandler(handler)
    old_level = access.level
    access.setLevel(logging.INFO)
    try:
        async with _client(proxied_app, NGINX) as c:
            await c.get("/healthz", headers={"X-Forwarded-For": "1.1.1.1, 198.51.100.7"})
        async with _client(proxied_app, "203.0.113.9") as c:
            await c.get("/healthz", headers={"X-Forwarded-For": "198.51.100.8"})
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["client"] for line in lines] == ["198.51.100.7", "203.0.113.9"]


async def test_rate_limit_key_is_the_resolved_address(proxied_app: Any) -> None:
    from starlette.requests import Request

    seen: list[str] = []
    from feed.core import observability

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(Request(scope).client.host)  # type: ignore[union-attr]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    wrapped = observability.Observability(app)

    async def call(peer: str, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/x",
            "headers": headers,
            "client": (peer, 1),
            "app": proxied_app,
            "scheme": "http",
            "query_string": b"",
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            pass

        await wrapped(scope, receive, send)

    await call(NGINX, [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"198.51.100.7")])
    await call("203.0.113.9", [(b"x-forwarded-for", b"198.51.100.7")])
    await call(NGINX, [])
    assert seen == ["198.51.100.7", "203.0.113.9", NGINX]


async def test_sign_up_limit_is_per_client_behind_the_proxy(runtime: Runtime) -> None:
    """Two users behind nginx each get their own sign-up limit; one cannot dodge it with X-Forwarded-For."""
    from feed.core.ratelimit import make_limits

    class Proxied:
        def __init__(self, rt: Runtime) -> None:
            self._rt = rt
            self.settings = rt.settings.with_(trusted_proxies=("10.0.0.0/24",))
            self.limits = make_limits("register=1/600:1/600", None)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._rt, name)

    proxied = Proxied(runtime)
    app = build_app(proxied)
    try:
        async with _client(app, NGINX) as c:

            async def sign_up(handle: str, xff: str) -> int:
                body = {"handle": handle, "password": "lumpur sawah 77"}
                r = await c.post("/api/auth/register", json=body, headers={"X-Forwarded-For": xff})
                return r.status_code

            assert await sign_up("orang.satu", "198.51.100.1") == 201
            assert await sign_up("orang.dua", "198.51.100.2") == 201  # another user: not nginx's shared cap
            assert await sign_up("orang.tiga", "6.6.6.6, 198.51.100.1") == 429  # a spoof changes nothing
        async with _client(app, "203.0.113.50") as direct:
            r = await direct.post(
                "/api/auth/register",
                json={"handle": "orang.empat", "password": "lumpur sawah 77"},
                headers={"X-Forwarded-For": "198.51.100.99"},
            )
            assert r.status_code == 201  # its own address: the header from an untrusted peer is ignored
            r = await direct.post(
                "/api/auth/register",
                json={"handle": "orang.lima", "password": "lumpur sawah 77"},
                headers={"X-Forwarded-For": "198.51.100.98"},
            )
            assert r.status_code == 429 and r.headers["retry-after"]
    finally:
        await proxied.limits.close()
