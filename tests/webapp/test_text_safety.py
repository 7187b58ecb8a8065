"""User text is text (issue #18, item 6): a report, a comment and a handle made of markup are shown as the
characters they are — in the map's tooltip, the list and the report window — and create no element, run no
script and navigate nowhere. The page's Content-Security-Policy names exactly the socket, tile server and
media base the page uses, and the page breaks none of it (no violation while it loads tiles, photos, the
socket and a photo preview).

Leaflet inserts a string given to bindTooltip as HTML: before the fix, hovering the first report's marker
put its `<meta http-equiv="refresh">` into the page and navigated away, and the second's `<b id=injected>`
into the tooltip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from playwright.async_api import expect

from feed.webapp.pages import csp, source_of
from media.demo_photos import demo_photo

OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]
HERE = (-7.05, 106.95)  # far from every other browser test's places: this feed is its own

# Each hazard within a tooltip's first 60 characters (the tooltip shows text[:60]).
REFRESH = '<meta http-equiv="refresh" content="0;url=about:blank"> got mampet'
ELEMENTS = "<b id=injected>x</b><img src=x onerror=window.__pwned=1> jalan rusak"
COMMENT = (
    '<img src=x onerror=window.__pwned=1><meta http-equiv="refresh" content="0;url=about:blank">'
    "<b id=injected-comment>x</b>"
)
HANDLE = "<img src=x id=injected-handle>"

PLANTED = """() => ({
    elements: document.querySelectorAll(
        '#injected, #injected-comment, #injected-handle, img[src="x"], meta[http-equiv], b[id]').length,
    pwned: typeof window.__pwned,
    same: window.__sameDocument === true,
})"""


async def post(
    api: httpx.AsyncClient, user: Any, text: str, at: tuple[float, float], photo: bytes | None = None
) -> dict[str, Any]:
    fields = {"text": text, "category": "drainage", "lat": str(at[0]), "lon": str(at[1])}
    if photo is None:
        res = await api.post("/api/posts", json=fields, headers=user.headers)
    else:
        files = [("photo", ("p.jpg", photo, "image/jpeg"))]
        res = await api.post("/api/posts", data=fields, files=files, headers=user.headers)
    assert res.status_code == 201, res.text
    return dict(res.json())


def directives(policy: str) -> dict[str, str]:
    out = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


async def test_markup_in_a_report_a_comment_and_a_handle_is_shown_as_text(
    open_page: OpenPage, web_user: MakeWebUser, web_db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    alice, viewer = await web_user(), await web_user()
    # Sign-up refuses such a handle; an account from before that rule (or an import) may still have one.
    async with web_db.acquire() as conn:
        await conn.execute("UPDATE users SET handle = $1 WHERE id = $2", HANDLE, alice.id)
    north, south = (HERE[0] + 0.004, HERE[1]), (HERE[0] - 0.004, HERE[1])
    first = await post(api, alice, REFRESH, north, photo=demo_photo("drainage", 3))
    await post(api, alice, ELEMENTS, south)
    res = await api.post(f"/api/posts/{first['id']}/comments", json={"text": COMMENT}, headers=alice.headers)
    assert res.status_code == 201, res.text

    tab = await open_page(viewer, at=HERE)
    page = tab.page
    # Record CSP violations from the first byte: reload with a listener in place.
    await page.context.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));"
    )
    await page.reload()
    await page.wait_for_selector('#live-state[data-state="live"]')
    await page.wait_for_function("() => window.warga && window.warga.state.loaded?.source === 'me'")
    await page.evaluate("window.__sameDocument = true")
    start = page.url
    navigations: list[str] = []

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", on_navigated)

    # The list: each card's title is the text, character for character; the author's handle likewise.
    refresh_card = page.locator("#list > li", has_text="got mampet")
    elements_card = page.locator("#list > li", has_text="jalan rusak")
    await expect(refresh_card.locator("button.open")).to_have_text(REFRESH)
    await expect(elements_card.locator("button.open")).to_have_text(ELEMENTS)
    await expect(refresh_card.locator(".post-sub")).to_contain_text(HANDLE)
    # The photo (img-src 'self') loads under the policy.
    thumb = refresh_card.locator(".thumb img")
    await expect(thumb).to_have_count(1)
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await thumb.element_handle()
    )

    # The map: hovering each marker opens its tooltip, which shows the first 60 characters as text.
    markers = page.locator("#map path.leaflet-interactive")
    await expect(markers).to_have_count(2)
    tooltip = page.locator("#map .leaflet-tooltip")
    shown = set()
    for i in range(2):
        await markers.nth(i).hover()
        await expect(tooltip).to_be_visible()
        shown.add(await tooltip.evaluate("el => el.textContent"))
        assert await tooltip.evaluate("el => el.querySelectorAll('*').length") == 1  # our one <span>
        await page.mouse.move(5, 5)
        await expect(tooltip).to_have_count(0)
    assert shown == {REFRESH[:60], ELEMENTS[:60]}

    # The report window: text, the author's handle, the comment and its author, all as text.
    await refresh_card.locator("button.open").click()
    dialog = page.locator("#dlg-detail")
    await expect(dialog.locator(".detail-text")).to_have_text(REFRESH)
    await expect(dialog.locator("#detail-body .post-meta")).to_contain_text(HANDLE)
    comment = dialog.locator("#detail-comments li.comment")
    await expect(comment.locator("p")).to_have_text(COMMENT)
    await expect(comment.locator(".comment-author")).to_have_text(HANDLE)
    await expect(dialog.locator("#detail-body .photo img")).to_have_count(1)

    # A photo preview in the report form (blob:) is allowed too.
    await page.keyboard.press("Escape")
    await expect(dialog).not_to_be_visible()
    await page.click("#new-post")
    await page.set_input_files(
        "#post-photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": demo_photo("flood", 1)}]
    )
    preview = page.locator("#post-previews img")
    await expect(preview).to_have_count(1)
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await preview.element_handle()
    )
    await page.click("#post-cancel")

    # A refresh of 0 s fires on the next tasks: give it time to, then check nothing was planted or followed.
    await asyncio.sleep(1)
    planted = await page.evaluate(PLANTED)
    assert planted == {"elements": 0, "pwned": "undefined", "same": True}, planted
    assert page.url == start
    assert navigations == []
    assert await page.evaluate("window.__csp") == []
    assert tab.ws_urls  # the socket opened under the policy (the page was live)


async def test_the_page_policy_names_exactly_its_socket_tiles_and_photos(
    api: httpx.AsyncClient, open_page: OpenPage
) -> None:
    res = await api.get("/")
    assert res.status_code == 200
    policy = directives(res.headers["content-security-policy"])
    ws_url = (await api.get("/api/config")).json()["ws_url"]
    socket = ws_url.rsplit("/", 1)[0]  # ws://127.0.0.1:PORT
    assert socket.startswith("ws://127.0.0.1:")
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == f"'self' {socket}"
    # The test server sets no tile server (OpenStreetMap) and no media base (photos under /media).
    assert policy["img-src"] == "'self' data: blob: https://tile.openstreetmap.org"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    # And the page's socket is the one it names.
    tab = await open_page()
    assert tab.ws_urls and all(url.startswith(socket + "/") for url in tab.ws_urls)


def test_policy_sources_follow_the_settings() -> None:
    policy = directives(
        csp(
            "wss://live.example.org/ws",
            "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "https://cdn.example.org/m",
        )
    )
    assert policy["connect-src"] == "'self' wss://live.example.org"
    assert policy["img-src"] == "'self' data: blob: https://*.tiles.example.org https://cdn.example.org"
    # Served by warga itself: 'self' covers them.
    policy = directives(csp("ws://127.0.0.1:8001/ws", "/tiles/{z}/{x}/{y}.png", ""))
    assert policy["connect-src"] == "'self' ws://127.0.0.1:8001"
    assert policy["img-src"] == "'self' data: blob:"
    # What CSP cannot spell falls back to the scheme; what is not a URL of the right kind adds nothing.
    assert source_of("wss://[::1]:8001/ws", ("wss", "ws")) == "wss:"
    assert source_of("javascript:alert(1)", ("https", "http")) is None
    assert source_of("https://a.example; script-src *", ("https", "http")) == "https:"
