"""The web app in a real browser (Debian's Chromium via Playwright) against a real `warga serve`.

Several people near each other, each in their own browser context: a report posted with a photo appears on
the other screens without a reload, an upvote moves the count live, a moderator's hide removes it live; the
socket reconnects and resumes from its last seq; languages, staff screens, small screens. Map tiles are
blocked throughout, so everything here also proves the app works offline from the tile server.

Not here yet: "an official resolves it → the reporter sees the status" needs POST /api/posts/{id}/status
(issue 5), which this server does not have.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from media.demo_photos import demo_photo

# Fixtures (and a 15 s ceiling on every wait: for what must happen, not a latency assertion).
OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]
Tab = Any
REPLAY_MAX_EVENTS = 5  # WARGA_REPLAY_MAX_EVENTS of the test server (tests/webapp/conftest.py)

_spots = itertools.count(1)


def spot() -> tuple[float, float]:
    """A fresh place in greater Jakarta for each test, ~5.5 km from the others: feeds do not overlap."""
    n = next(_spots)
    return -6.10 - 0.05 * (n % 5), 106.70 + 0.05 * (n // 5)


def card(tab: Tab, text: str) -> Any:
    return tab.page.locator("#list > li", has_text=text)


async def map_arrived_at(page: Any, at: tuple[float, float]) -> None:
    """Wait for the map to reach `at` (to ~20 m, about a pixel).

    A page opens on Monas, then animates to the browser's position: keys pressed on the way act mid-flight.
    """
    await page.wait_for_function(
        "([lat, lon]) => { const c = window.warga.map.center();"
        " return Math.abs(c.lat - lat) < 2e-4 && Math.abs(c.lng - lon) < 2e-4; }",
        arg=list(at),
    )


async def pan_east_past(page: Any, lng: float) -> None:
    """Press ArrowRight on the focused map until its centre is east of `lng`.

    Leaflet ignores a pan key pressed while an earlier move still animates (the first fitBounds, say), as a
    person would find; they press again, and so does this, each press waiting at most 2 s for its moveend.
    """
    for _ in range(40):
        if await page.evaluate("() => window.warga.map.center().lng") > lng:
            return
        await page.evaluate("() => { window.__moved = window.warga.map.moved(); }")
        await page.keyboard.press("ArrowRight")
        await page.evaluate(
            "() => Promise.race([window.__moved, new Promise((r) => setTimeout(() => r(false), 2000))])"
        )
    raise AssertionError(f"the map never panned east of {lng}")


async def create_post(
    api: httpx.AsyncClient, user: Any, text: str, at: tuple[float, float], category: str = "flood"
) -> dict[str, Any]:
    res = await api.post(
        "/api/posts",
        json={"text": text, "category": category, "lat": at[0], "lon": at[1]},
        headers=user.headers,
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


async def test_post_with_photo_appears_live_then_upvote_and_hide(
    open_page: OpenPage, web_user: MakeWebUser
) -> None:
    here = spot()
    alice, bima, mod = await web_user(), await web_user(), await web_user("moderator")
    a = await open_page(alice, at=here)
    b = await open_page(bima, at=(here[0] + 0.002, here[1]))
    m = await open_page(mod, at=(here[0], here[1] + 0.002))
    await b.page.evaluate("window.__sameDocument = true")

    # Alice reports through the form, with a photo from "the camera".
    text = "Banjir setinggi lutut di Jl. Kemang Raya"
    await a.page.click("#new-post")
    await a.page.select_option("#post-category", "flood")
    await a.page.fill("#attr-water_depth_cm-input", "50")  # flood asks the depth (a required question)
    await a.page.fill("#post-text", text)
    await a.page.set_input_files(
        "#post-photo",
        files=[{"name": "banjir.jpg", "mimeType": "image/jpeg", "buffer": demo_photo("flood", 7)}],
    )
    await expect(a.page.locator("#post-previews img")).to_have_count(1)
    async with a.page.expect_request(lambda r: r.url.endswith("/api/posts") and r.method == "POST") as sent:
        await a.page.click("#post-submit")
    # Retries after a network failure reuse this key (issue 6 makes the server honour it).
    assert len((await sent.value).headers.get("idempotency-key", "")) >= 32
    await expect(a.page.locator("#dlg-post")).not_to_be_visible()

    # Bima sees it arrive, without a reload, with its photo (blurhash placeholder under the thumbnail).
    on_b = card(b, text)
    await expect(on_b).to_have_count(1)
    assert await b.page.evaluate("window.__sameDocument") is True
    await expect(on_b.locator(".thumb img")).to_have_attribute("src", re.compile(r"^/media/"))
    await expect(on_b.locator(".thumb canvas")).to_have_count(1)
    await expect(b.page.locator("#announcer")).to_contain_text(text)

    # Bima upvotes: Alice's count moves live.
    on_a = card(a, text)
    await expect(on_a.locator(".vote-count")).to_have_text("0")
    await on_b.locator("button.vote").click()
    await expect(on_b.locator("button.vote")).to_have_attribute("aria-pressed", "true")
    await expect(on_a.locator(".vote-count")).to_have_text("1")

    # A moderator hides it: it leaves Bima's screen live (and stays, marked, on the moderator's).
    on_m = card(m, text)
    await expect(on_m).to_have_count(1)
    await on_m.locator("button.mod-btn").click()
    await m.page.fill("#hide-reason", "spam")
    await m.page.click("#hide-submit")
    await expect(on_b).to_have_count(0)
    await expect(on_a).to_have_count(0)
    await expect(on_m.locator(".hidden-badge")).to_have_count(1)
    assert await b.page.evaluate("window.__sameDocument") is True


async def test_comments_arrive_live_in_an_open_report(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima = await web_user(), await web_user()
    post = await create_post(api, alice, "Sampah menumpuk di pinggir kali", here, "garbage")
    a = await open_page(alice, at=here)
    b = await open_page(bima, at=here)
    for tab in (a, b):
        await card(tab, "Sampah menumpuk").locator("button.open").click()
        await expect(tab.page.locator("#dlg-detail")).to_be_visible()
        await expect(tab.page.locator("#detail-comments")).to_contain_text("No comments yet")
    # The status timeline starts with the report itself.
    await expect(a.page.locator("#detail-timeline")).to_contain_text("Reported")
    # A report with no answers, no merge and no duplicates shows nothing for them (not "null").
    head = await a.page.locator("#detail-body").inner_text()
    assert "null" not in head and "Sampah menumpuk" in head, head

    await b.page.fill("#comment-text", "Sudah dilaporkan ke kelurahan")
    await b.page.click("#comment-form button[type=submit]")
    await expect(a.page.locator("#detail-comments")).to_contain_text("Sudah dilaporkan ke kelurahan")
    # The count on the card in the list behind the dialog moved too.
    await expect(card(a, "Sampah menumpuk").locator(".comments-btn")).to_have_text("1 comment")
    assert post["id"] > 0


async def test_reconnect_resumes_from_last_seq_without_gaps_or_doubles(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima = await web_user(), await web_user()
    b = await open_page(bima, at=here)
    first = await create_post(api, alice, "Sebelum putus: lampu jalan mati", here, "street_light")
    await expect(card(b, "Sebelum putus")).to_have_count(1)

    # The connection goes away; meanwhile a report is made and the first one gets a vote.
    await b.page.evaluate("window.warga.state.live.suspend()")
    sent_before = len(b.sent)
    await create_post(api, alice, "Saat putus: pohon tumbang", here, "tree")
    assert (await api.put(f"/api/posts/{first['id']}/vote", headers=alice.headers)).status_code == 200
    await b.page.evaluate("window.warga.state.live.resume()")

    # Both changes arrive by replay (no refetch happens on a resumed subscription), each exactly once.
    await expect(card(b, "Saat putus")).to_have_count(1)
    await expect(card(b, "Sebelum putus").locator(".vote-count")).to_have_text("1")
    resumed = [json.loads(f) for f in b.sent[sent_before:]]
    subscribes = [f for f in resumed if f.get("type") == "subscribe" and f.get("id") == "near"]
    assert subscribes and isinstance(subscribes[0].get("since"), int)

    # A dropped socket (network flake) reconnects by itself with backoff; later reports still arrive once.
    await b.page.evaluate("window.warga.state.live.drop()")
    await b.page.wait_for_selector('#live-state[data-state="live"]')
    await create_post(api, alice, "Setelah sambung lagi: jalan berlubang", here, "road_damage")
    await expect(card(b, "Setelah sambung")).to_have_count(1)
    await expect(card(b, "Saat putus")).to_have_count(1)
    await expect(card(b, "Sebelum putus")).to_have_count(1)


async def test_reconnect_is_spread_over_the_window_the_server_named(open_page: OpenPage) -> None:
    tab = await open_page()
    # The page kept the spread from the last `subscribed` / `pong` it received (docs/realtime.md).
    heard = [json.loads(f) for f in tab.received if '"reconnect_spread_ms"' in f]
    assert heard, "the server names a spread in subscribed and pong"
    kept = await tab.page.evaluate("window.warga.state.live.spreadMs")
    assert kept == heard[-1]["reconnect_spread_ms"]
    delays = await tab.page.evaluate(
        """async () => {
            const { reconnectDelay, Live } = await import('/static/js/live.js');
            const live = new Live({ url: 'ws://127.0.0.1:9/ws', getToken: () => null });
            live._receive('{"type":"pong","reconnect_spread_ms":12000}');
            const adopted = live.spreadMs;
            live._receive('{"type":"pong","reconnect_spread_ms":1e9}');
            return {
                adopted, capped: live.spreadMs,
                first_low: reconnectDelay(0, 10000, () => 0),
                first_high: reconnectDelay(0, 10000, () => 1),
                late_no_spread: reconnectDelay(8, 0, () => 0.5),
            };
        }"""
    )
    assert delays == {
        "adopted": 12000,
        "capped": 30000,  # never longer than the longest backoff
        "first_low": 250,  # backoff step 0 is 250-500 ms, plus 0-100 % of the spread
        "first_high": 10500,
        "late_no_spread": 22500,  # 30 s cap, equal jitter
    }


async def test_resync_when_too_much_was_missed_refetches_the_list(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    # The test server replays at most REPLAY_MAX_EVENTS events: missing more than that forces a resync.
    here = spot()
    alice, bima = await web_user(), await web_user()
    b = await open_page(bima, at=here)
    await b.page.evaluate("window.warga.state.live.suspend()")
    sent_before = len(b.sent)
    for i in range(REPLAY_MAX_EVENTS + 3):
        await create_post(api, alice, f"Banyak laporan nomor {i}", here, "garbage")
    await b.page.evaluate("window.warga.state.live.resume()")
    await expect(card(b, "Banyak laporan nomor")).to_have_count(REPLAY_MAX_EVENTS + 3)
    assert any(json.loads(f).get("type") == "resync" for f in b.received)
    # After the resync the client subscribed afresh (no `since`) and refetched the list over HTTP.
    again = [json.loads(f) for f in b.sent[sent_before:]]
    near = [f for f in again if f.get("type") == "subscribe" and f.get("id") == "near"]
    assert "since" in near[0] and "since" not in near[-1]


async def test_token_goes_as_first_socket_message_never_in_the_url(
    open_page: OpenPage, web_user: MakeWebUser
) -> None:
    user = await web_user()
    tab = await open_page(user, at=spot())
    assert tab.ws_urls and all(user.token not in url for url in tab.ws_urls)
    first = json.loads(tab.sent[0])
    assert first == {"type": "auth", "token": user.token}


async def test_sign_up_then_sign_out_in_the_browser(open_page: OpenPage, web_server: Any) -> None:
    tab = await open_page(at=spot())
    page = tab.page
    await page.click("#signup-btn")
    await page.fill("#auth-handle", "dewi.lestari")
    await page.fill("#auth-password", "rahasia-sekali")
    await page.click("#auth-submit")
    await expect(page.locator("#account .who")).to_contain_text("dewi.lestari")
    token = await page.evaluate("localStorage.getItem('warga.token')")
    assert token
    # The socket re-opened, authenticated by its first message.
    await page.wait_for_function("t => window.warga.state.live.state === 'live'", arg=token)
    assert {"type": "auth", "token": token} in [json.loads(f) for f in tab.sent]
    async with httpx.AsyncClient(base_url=web_server.url) as client:
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["user"]["handle"] == "dewi.lestari"
        await page.click("#signout-btn")
        await expect(page.locator("#signin-btn")).to_be_visible()
        assert await page.evaluate("localStorage.getItem('warga.token')") is None
        gone = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401


async def test_bad_sign_in_shows_the_server_message(open_page: OpenPage) -> None:
    tab = await open_page(at=spot())
    await tab.page.click("#signin-btn")
    await tab.page.fill("#auth-handle", "nobody_here")
    await tab.page.fill("#auth-password", "wrong password")
    await tab.page.click("#auth-submit")
    await expect(tab.page.locator("#auth-error")).to_contain_text("Wrong handle or password")


async def test_filters_by_category_and_status(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice = await web_user()
    await create_post(api, alice, "Filter: genangan air", here, "flood")
    await create_post(api, alice, "Filter: macet total", here, "traffic")
    tab = await open_page(alice, at=here)
    await expect(card(tab, "Filter:")).to_have_count(2)
    await tab.page.select_option("#filter-category", "traffic")
    await expect(card(tab, "Filter:")).to_have_count(1)
    await expect(card(tab, "macet total")).to_have_count(1)
    # A live report of another category stays off the filtered list; one of this category joins it.
    await create_post(api, alice, "Filter: banjir lagi", here, "flood")
    await create_post(api, alice, "Filter: macet lagi", here, "traffic")
    await expect(card(tab, "macet lagi")).to_have_count(1)
    await expect(card(tab, "banjir lagi")).to_have_count(0)
    await tab.page.select_option("#filter-status", "resolved")
    await expect(card(tab, "Filter:")).to_have_count(0)
    await expect(tab.page.locator("#feed-empty")).to_be_visible()


async def test_without_location_the_feed_is_around_monas_and_markers_draw_without_tiles(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    alice = await web_user()
    await create_post(api, alice, "Dekat Monas: trotoar rusak", (-6.1760, 106.8280), "road_damage")
    tab = await open_page()  # no geolocation permission
    await expect(tab.page.locator("#feed-where")).to_contain_text("Monas")
    await expect(card(tab, "Dekat Monas: trotoar rusak")).to_have_count(1)
    # One marker per report, drawn as SVG on the map even though every tile request failed.
    markers = tab.page.locator("#map path.leaflet-interactive")
    assert await markers.count() >= 1


async def test_language_follows_the_browser_and_switches(open_page: OpenPage) -> None:
    indonesian = await open_page(locale="id-ID", at=spot())
    await expect(indonesian.page.locator("#feed-h")).to_have_text("Laporan terdekat")
    await expect(indonesian.page.locator("html")).to_have_attribute("lang", "id")
    english = await open_page(locale="en-US", at=spot())
    await expect(english.page.locator("#feed-h")).to_have_text("Nearby reports")
    await english.page.click("#lang-btn")
    await expect(english.page.locator("#feed-h")).to_have_text("Laporan terdekat")
    await expect(english.page.locator("#new-post")).to_have_text("Buat laporan")
    await expect(english.page.locator("#filter-category option").nth(1)).to_have_text("Banjir")
    # The choice is remembered.
    await english.page.reload()
    await expect(english.page.locator("#feed-h")).to_have_text("Laporan terdekat")


async def test_every_string_exists_in_both_languages(open_page: OpenPage) -> None:
    tab = await open_page(wait_live=False)
    keys = await tab.page.evaluate(
        """async () => {
            const { STRINGS } = await import('/static/js/i18n.js');
            const sorted = ([lang, d]) => [lang, Object.keys(d).sort()];
            return Object.fromEntries(Object.entries(STRINGS).map(sorted));
        }"""
    )
    assert set(keys) == {"id", "en"}
    assert keys["id"] == keys["en"]
    # And every key the page itself uses is in the dictionary.
    used = await tab.page.evaluate(
        """() => [...document.querySelectorAll('[data-i18n]')].map(el => el.dataset.i18n)
            .concat([...document.querySelectorAll('[data-i18n-attr]')]
              .flatMap(el => el.dataset.i18nAttr.split(';').map(p => p.split(':')[1])))"""
    )
    assert set(used) - set(keys["en"]) == set()


async def test_report_location_chosen_on_the_map_by_keyboard(
    open_page: OpenPage, web_user: MakeWebUser
) -> None:
    user = await web_user()
    here = spot()
    tab = await open_page(user, at=here)
    page = tab.page
    await map_arrived_at(page, here)  # keys pressed while it still moves would pick a point on the way
    await page.click("#new-post")
    await expect(page.locator("#post-where")).to_have_text(f"{here[0]:.5f}, {here[1]:.5f}")
    await page.click("#post-pick")
    await expect(page.locator("#dlg-post")).not_to_be_visible()
    assert await page.evaluate("document.activeElement.id") == "map"
    await pan_east_past(page, here[1] + 0.0005)  # pan east a little, then take the centre
    await page.keyboard.press("Enter")
    await expect(page.locator("#dlg-post")).to_be_visible()
    lat, lon = (float(x) for x in (await page.locator("#post-where").inner_text()).split(","))
    assert abs(lat - here[0]) < 0.001 and lon > here[1]


async def test_the_report_form_names_the_area_of_the_chosen_place(
    open_page: OpenPage, web_user: MakeWebUser, web_areas: None
) -> None:
    user = await web_user()
    tab = await open_page(user, at=(-6.1754, 106.8272), locale="id-ID")  # Monas
    await tab.page.click("#new-post")
    await expect(tab.page.locator("#post-area")).to_contain_text("Kelurahan Gambir")
    await expect(tab.page.locator("#post-area")).to_contain_text("Jakarta Pusat")


GAMBIR = "31.71.01.1001"  # the demo areas' Kelurahan Gambir, around Monas
MONAS = (-6.1754, 106.8272)


async def appoint(api: httpx.AsyncClient, admin: Any, official: Any, area: str = GAMBIR) -> None:
    res = await api.post(
        "/api/admin/officials", json={"handle": official.handle, "area": area}, headers=admin.headers
    )
    assert res.status_code in (200, 201), res.text


async def test_official_moves_a_report_to_resolved_and_the_reporter_sees_it_live(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient, web_areas: None
) -> None:
    alice, official, admin = await web_user(), await web_user("official"), await web_user("admin")
    await appoint(api, admin, official)
    text = "Lampu jalan mati di depan Monas"
    post = await create_post(api, alice, text, MONAS, "street_light")
    assert post["area_id"] is not None
    a = await open_page(alice, at=MONAS)
    o = await open_page(official, at=MONAS)  # the official is at the report: the proof position
    on_a = card(a, text)
    await expect(on_a.locator(".status")).to_have_text("Open")

    await o.page.click('#nav a[data-view="inbox"]')
    await expect(o.page.locator("#inbox-areas")).to_contain_text("Gambir")
    item = o.page.locator("#inbox-list > li", has_text=text)
    await item.locator("button.status-btn").click()
    await o.page.select_option("#status-value", "acknowledged")
    await o.page.fill("#status-note", "Petugas PJU menuju lokasi")
    await o.page.click("#status-submit")
    await expect(on_a.locator(".status")).to_have_text("Acknowledged")

    # Resolving needs a note and a proof photo; the photo has no GPS, so the device's position goes along.
    await item.locator("button.status-btn").click()
    await o.page.select_option("#status-value", "resolved")
    await o.page.fill("#status-note", "Lampu sudah diganti")
    await o.page.set_input_files(
        "#status-photo",
        files=[{"name": "bukti.jpg", "mimeType": "image/jpeg", "buffer": demo_photo("street_light", 3)}],
    )
    await o.page.click("#status-submit")
    await expect(o.page.locator("#dlg-status")).not_to_be_visible()
    await expect(on_a.locator(".status")).to_have_text("Resolved")

    # The reporter's report shows every step, with the note and the proof; the reporter may reopen it.
    await on_a.locator("button.open").click()
    steps = a.page.locator("#detail-timeline li")
    await expect(steps).to_have_count(3)
    await expect(steps.nth(1)).to_contain_text("Acknowledged")
    await expect(steps.nth(2)).to_contain_text("Lampu sudah diganti")
    await expect(steps.nth(2).locator(".proof img")).to_have_count(1)
    await a.page.click(".reopen-btn")
    await a.page.fill("#reopen-reason", "Lampunya mati lagi malam ini")
    await a.page.click("#reopen-submit")
    await expect(on_a.locator(".status")).to_have_text("Reopened")
    await expect(steps).to_have_count(4)


async def test_inbox_marks_overdue_reports_and_offers_only_legal_moves(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient, web_areas: None
) -> None:
    alice, official, admin = await web_user(), await web_user("official"), await web_user("admin")
    await appoint(api, admin, official)
    post = await create_post(api, alice, "Got mampet, air meluap ke jalan", MONAS, "drainage")
    # The test server's drainage SLA is one second: wait (on the server's word) until it is overdue.
    for _ in range(100):
        res = await api.get("/api/officials/inbox", params={"overdue": "true"}, headers=official.headers)
        if any(i["post"]["id"] == post["id"] for i in res.json()["items"]):
            break
        await asyncio.sleep(0.1)
    o = await open_page(official, at=MONAS)
    await o.page.click('#nav a[data-view="inbox"]')
    await o.page.check("#inbox-overdue")
    item = o.page.locator("#inbox-list > li", has_text="Got mampet")
    await expect(item.locator(".overdue-badge")).to_have_count(1)
    await expect(item.locator(".due.late")).to_contain_text("Overdue by")
    await item.locator("button.status-btn").click()
    options = await o.page.locator("#status-value option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["acknowledged", "in_progress", "resolved", "rejected", "forwarded"]
    # Rejecting needs a reason: the field appears and the server's answer is shown plainly.
    await o.page.select_option("#status-value", "rejected")
    await expect(o.page.locator("#status-reason")).to_be_visible()
    await o.page.fill("#status-reason", "Bukan wewenang kelurahan")
    await o.page.click("#status-submit")
    await expect(o.page.locator("#dlg-status")).not_to_be_visible()
    res = await api.get(f"/api/posts/{post['id']}")
    assert res.json()["status"] == "rejected"


async def test_admin_forwards_a_report_from_outside_every_area(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient, web_areas: None
) -> None:
    alice, admin = await web_user(), await web_user("admin")
    bogor = (-6.5950, 106.8166)  # outside the Jakarta demo areas: the admins' fallback queue
    post = await create_post(api, alice, "Pohon tumbang di luar Jakarta", bogor, "tree")
    assert post["area_id"] is None
    tab = await open_page(admin, at=bogor)
    await tab.page.click('#nav a[data-view="inbox"]')
    await tab.page.check("#inbox-unrouted")
    item = tab.page.locator("#inbox-list > li", has_text="Pohon tumbang di luar Jakarta")
    await item.locator("button.status-btn").click()
    await tab.page.select_option("#status-value", "forwarded")
    await tab.page.fill("#status-to-area", GAMBIR)
    await tab.page.click("#status-submit")
    await expect(item).to_have_count(0)
    res = await api.get(f"/api/posts/{post['id']}")
    assert res.json()["status"] == "forwarded" and res.json()["area_id"] is not None


async def test_a_flag_reaches_the_moderators_queue_live_and_a_hide_from_it_clears_screens(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima, mod = await web_user(), await web_user(), await web_user("moderator")
    text = "Jual pulsa murah hubungi nomor ini"
    await create_post(api, alice, text, here, "other")
    b = await open_page(bima, at=here)
    m = await open_page(mod, at=here)
    await m.page.click('#nav a[data-view="queue"]')
    await expect(m.page.locator("#queue-msg")).to_have_text("The queue is empty.")

    # Bima flags it from the list; it joins the moderator's open queue without a reload.
    await card(b, text).locator("button.flag-btn").click()
    await b.page.select_option("#flag-reason", "spam")
    await b.page.click("#flag-submit")
    await expect(b.page.locator("#dlg-flag")).not_to_be_visible()
    queued = m.page.locator("#queue-list > li", has_text=text)
    await expect(queued).to_have_count(1)
    await expect(queued).to_contain_text("1 flag · ")  # singular
    await expect(queued).to_contain_text("Spam / advertising")

    # Hidden from the queue: off the citizen's screen live, off the queue, into the audit log.
    await queued.locator("button.queue-hide").click()
    await m.page.fill("#hide-reason", "iklan")
    await m.page.click("#hide-submit")
    await expect(card(b, text)).to_have_count(0)
    await expect(queued).to_have_count(0)
    await m.page.click('#nav a[data-view="log"]')
    await expect(m.page.locator("#log-body tr", has_text="queue_hide")).to_have_count(1)


async def test_league_table_and_csv(open_page: OpenPage, web_areas: None) -> None:
    tab = await open_page(at=spot())
    await tab.page.click('#nav a[data-view="league"]')
    table = tab.page.locator("#league-table table")
    await expect(table.locator("th").first).to_have_text("Rank")
    await expect(table.locator("tbody tr").first).to_be_visible()
    async with tab.page.expect_download() as download:
        await tab.page.click("#league-csv")
    path = await (await download.value).path()
    header = (await asyncio.to_thread(Path(path).read_text)).splitlines()[0]
    assert header.startswith("rank,area_id,name")


async def test_search_this_area_after_moving_the_map(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice = await web_user()
    east = (here[0], here[1] + 0.03)  # ~3.3 km away: outside the first 2 km circle
    await create_post(api, alice, "Di timur: trotoar dipakai parkir", east, "illegal_parking")
    tab = await open_page(alice, at=here)
    await expect(card(tab, "Di timur")).to_have_count(0)
    await map_arrived_at(tab.page, here)
    await tab.page.focus("#map")
    await pan_east_past(tab.page, here[1] + 0.02)
    await tab.page.click("#search-here")
    await expect(tab.page.locator("#feed-where")).to_contain_text("a point on the map")
    await expect(card(tab, "Di timur")).to_have_count(1)


async def test_phone_width_keyboard_and_labels(open_page: OpenPage, web_user: MakeWebUser) -> None:
    user = await web_user()
    tab = await open_page(user, at=spot(), viewport={"width": 360, "height": 740})
    page = tab.page
    # Nothing sticks out sideways on a 360 px screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    # The first Tab reaches the skip link, visibly focused.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # Every form control (the dialogs' too) has a label a screen reader can announce.
    unlabeled = await page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.id || el.name)"""
    )
    assert unlabeled == []
    # New reports are announced through a polite live region.
    assert await page.get_attribute("#announcer", "aria-live") == "polite"
    # The report form opens by keyboard and focuses its first field.
    await page.focus("#new-post")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "post-category"


async def test_staff_screens_appear_by_role_and_degrade_without_their_api(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    citizen = await web_user()
    citizen_tab = await open_page(citizen, at=spot())
    assert await citizen_tab.page.locator('#nav a[data-view="inbox"]').is_visible() is False
    assert await citizen_tab.page.locator('#nav a[data-view="queue"]').is_visible() is False

    official = await web_user("official")
    tab = await open_page(official, at=spot())
    await tab.page.click('#nav a[data-view="inbox"]')
    await expect(tab.page.locator("#view-inbox")).to_be_visible()
    # Whether or not the officials API has landed, the screen answers plainly: a list or "not available".
    await expect(
        tab.page.locator("#inbox-list .notice, #inbox-list li, #inbox-msg:not(:empty)").first
    ).to_be_visible()
    inbox = await api.get("/api/officials/inbox", headers=official.headers)
    if inbox.status_code == 404:
        await expect(tab.page.locator("#inbox-list .notice")).to_contain_text("not available")
    await tab.page.click('#nav a[data-view="league"]')
    await expect(tab.page.locator("#view-league")).to_be_visible()
    league = await api.get("/api/league", params={"level": "kelurahan", "period": "30d"})
    if league.status_code == 404:
        await expect(tab.page.locator("#league-table .notice")).to_contain_text("not available")
    else:
        # A table, or "no league data yet" when the server has no areas.
        await expect(tab.page.locator("#league-msg:not(:empty), #league-table table").first).to_be_visible()

    mod = await web_user("moderator")
    mtab = await open_page(mod, at=spot())
    await mtab.page.click('#nav a[data-view="queue"]')
    await expect(mtab.page.locator("#view-queue")).to_be_visible()
    queue = await api.get("/api/moderation/queue", headers=mod.headers)
    if queue.status_code == 404:
        await expect(mtab.page.locator("#queue-list .notice")).to_contain_text("not available")


async def test_moderator_audit_log_lists_a_hide(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, mod = await web_user(), await web_user("moderator")
    post = await create_post(api, alice, "Jual obat murah klik tautan", here, "other")
    res = await api.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam iklan"}, headers=mod.headers)
    assert res.status_code == 200
    tab = await open_page(mod, at=here)
    await tab.page.goto(tab.page.url.split("#")[0] + "#/log")
    row = tab.page.locator("#log-body tr", has_text="spam iklan")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(mod.handle)
    await expect(row).to_contain_text(f"post #{post['id']}")
    # Unhide from the feed (moderators see hidden reports, marked): the log grows live with the action.
    await tab.page.click('#nav a[data-view="feed"]')
    hidden = card(tab, "Jual obat murah")
    await expect(hidden.locator(".hidden-badge")).to_have_count(1)
    await hidden.locator("button.mod-btn").click()
    await expect(hidden.locator(".hidden-badge")).to_have_count(0)
    await tab.page.click('#nav a[data-view="log"]')
    await expect(tab.page.locator("#log-body tr", has_text="unhide")).to_have_count(1)
