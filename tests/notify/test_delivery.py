"""Who is pushed what, through the real push service: officials of the report's area chain for a new report
(the lurah, the camat above, not another kelurahan's), the camat for an escalation (Urgency high), the
agency and the area for a reopen; the reporter and followers for a status step (with the official's note), a
comment, a merge; never the actor; never a report or comment the recipient may not see now. Each push is
RFC 8291 aes128gcm that the browser decrypts to {title, body, url, post_id} in Bahasa Indonesia, at most
3,993 bytes, with a VAPID JWT for the push service's origin, TTL, Urgency and the report's Topic."""

from __future__ import annotations

import json
from typing import Any

import httpx

from db import posts as posts_db
from feed.officials import escalation
from notify.message import MAX_PAYLOAD_BYTES
from notify.worker import Notifier
from tests.conftest import MakeUser
from tests.notify.conftest import Subscribe, ledger, vapid_public_key
from tests.officials_helpers import IN_L1, Clock, World, change, post_at
from tests.push_service import BrowserClient, PushService
from warga.runtime import Runtime


def received(service: PushService, browser: BrowserClient) -> list[dict[str, Any]]:
    """What this browser has been pushed so far, decrypted."""
    return [browser.decrypt(m) for m in service.messages(browser.sub_id)]


async def test_a_new_report_reaches_the_officials_of_its_area_chain_only(
    runtime: Runtime,
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    browsers = {
        name: await subscribe(getattr(world, name)) for name in ("lurah", "camat", "other", "citizen")
    }
    post = await post_at(client, world.citizen, IN_L1, "flood")
    await notifier.drain()
    expected = {
        "title": "Laporan baru: Banjir",
        "body": "banjir di sini",
        "url": f"/?post={post['id']}",
        "post_id": post["id"],
    }
    for name in ("lurah", "camat"):
        [message] = await browsers[name].receive()
        assert message == expected
    assert received(push_service, browsers["other"]) == []  # another kelurahan's official
    assert received(push_service, browsers["citizen"]) == []  # the reporter: their own action
    # The request itself: VAPID for this origin with the server's key, TTL, Urgency, Topic per report.
    key = await vapid_public_key(client)
    [request] = push_service.messages(browsers["lurah"].sub_id)
    claims = request.verify_vapid(key)
    assert claims["aud"] == push_service.origin and claims["sub"].startswith("mailto:")
    assert request.ttl == 24 * 3600 and request.urgency == "normal"
    assert request.topic == f"warga-post-{post['id']}" and request.content_encoding == "aes128gcm"
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in await ledger(runtime))


async def test_status_steps_reach_the_reporter_and_followers_with_the_note(
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    fan = await make_user()
    reporter_browser, fan_browser = await subscribe(world.citizen), await subscribe(fan)
    lurah_browser, camat_browser = await subscribe(world.lurah), await subscribe(world.camat)
    post = await post_at(client, world.citizen, IN_L1, "flood")
    assert (await client.put(f"/api/posts/{post['id']}/follow", headers=fan.headers)).status_code == 200
    await notifier.drain()
    r = await change(client, world.lurah, post["id"], "acknowledged", note="petugas menuju lokasi")
    assert r.status_code == 200, r.text
    await notifier.drain()
    status = {
        "title": "Status laporan: Diterima",
        "body": "petugas menuju lokasi",
        "url": f"/?post={post['id']}",
        "post_id": post["id"],
    }
    assert received(push_service, reporter_browser) == [status]
    assert received(push_service, fan_browser) == [status]
    # The official who acted hears nothing of it; the camat heard of the new report only.
    assert [m["title"] for m in received(push_service, lurah_browser)] == ["Laporan baru: Banjir"]
    assert [m["title"] for m in received(push_service, camat_browser)] == ["Laporan baru: Banjir"]


async def test_comments_reach_the_reporter_and_followers_but_not_the_commenter(
    client: httpx.AsyncClient,
    notifier: Notifier,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    reporter, fan, other = await make_user(), await make_user(), await make_user()
    browsers = {who.handle: await subscribe(who) for who in (reporter, fan, other)}
    body = {"text": "lampu mati", "category": "street_light", "lat": -6.2, "lon": 106.8}
    post = (await client.post("/api/posts", json=body, headers=reporter.headers)).json()
    assert (await client.put(f"/api/posts/{post['id']}/follow", headers=fan.headers)).status_code == 200
    r = await client.post(
        f"/api/posts/{post['id']}/comments", json={"text": "sudah 3 hari"}, headers=fan.headers
    )
    assert r.status_code == 201, r.text
    await notifier.drain()
    [message] = received(push_service, browsers[reporter.handle])
    assert message["title"] == "Komentar baru pada laporan Anda" and message["body"] == "sudah 3 hari"
    assert received(push_service, browsers[fan.handle]) == []  # the commenter
    assert received(push_service, browsers[other.handle]) == []  # follows nothing


async def test_an_escalation_reaches_the_camat_with_high_urgency(
    client: httpx.AsyncClient,
    runtime: Runtime,
    notifier: Notifier,
    world: World,
    clock: Clock,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    camat_browser, lurah_browser = await subscribe(world.camat), await subscribe(world.lurah)
    post = await post_at(client, world.citizen, IN_L1, "flood")
    await notifier.drain()
    clock.advance(hours=2)  # the flood SLA's 2 h to acknowledge: to the kecamatan
    assert await escalation.sweep(runtime) == 1
    await notifier.drain()
    [_, escalated] = push_service.messages(camat_browser.sub_id)
    message = camat_browser.decrypt(escalated)
    assert message["title"] == "Eskalasi: Banjir belum ditangani" and message["post_id"] == post["id"]
    assert escalated.urgency == "high" and escalated.topic == f"warga-post-{post['id']}"
    assert len(push_service.messages(lurah_browser.sub_id)) == 1  # the new report; the escalation goes up


async def test_a_reopen_reaches_the_owning_officials_not_the_reporter_who_reopened(
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    lurah_browser, reporter_browser = await subscribe(world.lurah), await subscribe(world.citizen)
    post = await post_at(client, world.citizen, IN_L1, "flood")
    r = await change(client, world.lurah, post["id"], "rejected", reason="bukan wewenang kami")
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/posts/{post['id']}/reopen", json={"reason": "masih banjir"}, headers=world.citizen.headers
    )
    assert r.status_code == 200, r.text
    await notifier.drain()
    titles = [m["title"] for m in received(push_service, lurah_browser)]
    assert titles == ["Laporan baru: Banjir", "Laporan dibuka lagi: Banjir"]
    assert received(push_service, lurah_browser)[1]["body"] == "masih banjir"
    assert [m["title"] for m in received(push_service, reporter_browser)] == ["Status laporan: Ditolak"]


async def test_hidden_held_or_hidden_comment_is_never_announced(
    runtime: Runtime,
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    moderator, fan = await make_user("moderator"), await make_user()
    lurah_browser, reporter_browser = await subscribe(world.lurah), await subscribe(world.citizen)
    # Hidden before the worker read its event: nobody is told.
    hidden = await post_at(client, world.citizen, IN_L1, "flood")
    r = await client.post(
        f"/api/posts/{hidden['id']}/hide", json={"reason": "spam"}, headers=moderator.headers
    )
    assert r.status_code == 200, r.text
    # Held after the worker recorded the deliveries, before it sent them: dropped unsent.
    held = await post_at(client, world.citizen, IN_L1, "flood")
    await notifier.fan_out()
    async with runtime.pool.acquire() as conn:
        await posts_db.set_held(conn, held["id"], "test")
    await notifier.drain()
    assert received(push_service, lurah_browser) == []
    assert {r["post_id"]: r["status"] for r in await ledger(runtime)} == {held["id"]: "dropped"}
    # A comment hidden before the worker read it: the reporter is not told of it.
    post = await post_at(client, world.citizen, IN_L1, "flood")
    r = await client.post(f"/api/posts/{post['id']}/comments", json={"text": "iklan"}, headers=fan.headers)
    comment = r.json()
    r = await client.post(
        f"/api/comments/{comment['id']}/hide", json={"reason": "spam"}, headers=moderator.headers
    )
    assert r.status_code == 200, r.text
    await notifier.drain()
    assert received(push_service, reporter_browser) == []
    assert [m["post_id"] for m in received(push_service, lurah_browser)] == [post["id"]]


async def test_a_merge_reaches_the_duplicates_reporter_and_the_payload_stays_small(
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    second = await make_user()
    browser = await subscribe(second)
    original = await post_at(client, world.citizen, IN_L1, "flood")
    long_text = "air naik " * 220  # 1,980 characters: the notification carries the start only
    body = {"text": long_text, "category": "flood", "lat": IN_L1[0], "lon": IN_L1[1]}
    duplicate = (await client.post("/api/posts", json=body, headers=second.headers)).json()
    r = await client.post(
        f"/api/posts/{duplicate['id']}/merge", json={"into": original["id"]}, headers=world.lurah.headers
    )
    assert r.status_code == 200, r.text
    await notifier.drain()
    [message] = await browser.receive()
    assert message["title"] == "Laporan digabung"
    assert message["body"] == f"Laporan ini digabung ke laporan #{original['id']}."
    assert message["post_id"] == duplicate["id"]
    # The largest payload the worker makes (a new report's full text) stays far under RFC 8291's limit.
    lurah = await subscribe(world.lurah)
    big = {"text": "ä" * 2000, "category": "flood", "lat": IN_L1[0], "lon": IN_L1[1]}
    assert (await client.post("/api/posts", json=big, headers=second.headers)).status_code == 201
    await notifier.drain()
    [pushed] = push_service.messages(lurah.sub_id)
    plain = lurah.decrypt_bytes(pushed)
    assert len(plain) <= MAX_PAYLOAD_BYTES and json.loads(plain)["body"].endswith("…")


async def test_a_forward_reaches_the_agency_and_a_reopen_reaches_it_too(
    client: httpx.AsyncClient,
    notifier: Notifier,
    world: World,
    make_user: MakeUser,
    subscribe: Subscribe,
    push_service: PushService,
) -> None:
    body = {"code": "DSDA", "name": "Dinas Sumber Daya Air", "categories": ["flood"]}
    assert (
        await client.post("/api/admin/agencies", json=body, headers=world.admin.headers)
    ).status_code == 201
    dsda = await make_user()
    body = {"handle": dsda.handle, "agency": "DSDA"}
    assert (
        await client.post("/api/admin/officials", json=body, headers=world.admin.headers)
    ).status_code == 201
    agency, camat, reporter = (
        await subscribe(dsda),
        await subscribe(world.camat),
        await subscribe(world.citizen),
    )
    post = await post_at(client, world.citizen, IN_L1, "flood")
    r = await change(client, world.lurah, post["id"], "forwarded", to_agency="DSDA", note="saluran tersumbat")
    assert r.status_code == 200, r.text
    await notifier.drain()
    [forwarded] = received(push_service, agency)
    assert (
        forwarded["title"] == "Laporan diteruskan ke Anda: Banjir"
        and forwarded["body"] == "saluran tersumbat"
    )
    assert [m["title"] for m in received(push_service, camat)] == ["Laporan baru: Banjir"]  # not the forward
    assert [m["title"] for m in received(push_service, reporter)] == ["Status laporan: Diteruskan"]
    r = await change(client, dsda, post["id"], "rejected", reason="bukan saluran kami")
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/posts/{post['id']}/reopen", json={"reason": "masih banjir"}, headers=world.citizen.headers
    )
    assert r.status_code == 200, r.text
    await notifier.drain()
    assert [m["title"] for m in received(push_service, agency)][1:] == ["Laporan dibuka lagi: Banjir"]
    assert [m["title"] for m in received(push_service, camat)][1:] == ["Laporan dibuka lagi: Banjir"]
