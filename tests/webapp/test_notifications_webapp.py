"""The web app's part of Web Push (docs/notifications.md, "In the web app") in a real browser (Debian's
Chromium via Playwright) against a real `warga serve`: the Follow toggle on a report, "Turn on notifications"
and the service worker.

Headless Chromium here has no push service (no GCM keys): `pushManager.subscribe` rejects. So the real
browser is tested for what it can do — permission asked only after the click, /sw.js registered at scope
"/", a push delivered through CDP (`ServiceWorker.deliverPushMessage`) shown as a notification — and the
subscribe → POST → row → DELETE path runs with `PushManager.prototype.subscribe` replaced by a stand-in that
returns a subscription with a real P-256 key (test_the_subscription_reaches_the_server_and_leaves_it).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from playwright.async_api import expect

OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]

_spots = itertools.count(1)


def spot() -> tuple[float, float]:
    """West of the other browser tests' places: these feeds overlap no other test's."""
    return -6.20 - 0.03 * next(_spots), 106.40


async def create_post(
    api: httpx.AsyncClient, user: Any, text: str, at: tuple[float, float]
) -> dict[str, Any]:
    res = await api.post(
        "/api/posts",
        json={"text": text, "category": "garbage", "lat": at[0], "lon": at[1]},
        headers=user.headers,
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


async def followed(api: httpx.AsyncClient, user: Any) -> set[int]:
    res = await api.get("/api/me/follows", params={"limit": 200}, headers=user.headers)
    assert res.status_code == 200, res.text
    return {item["post_id"] for item in res.json()["items"]}


async def open_report(tab: Any, text: str) -> Any:
    await tab.page.locator("#list > li").filter(has_text=text).locator("button.open").click()
    detail = tab.page.locator("#dlg-detail")
    await expect(detail.locator(".detail-text")).to_have_text(text)
    return detail


async def test_follow_toggle_persists_and_the_reporter_follows_their_own(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima = await web_user(), await web_user()
    text = "Sampah menumpuk di pinggir kali"
    post = await create_post(api, alice, text, here)

    # Alice reported it: she follows it from the start.
    a = await open_page(alice, at=here)
    detail = await open_report(a, text)
    await expect(detail.locator("button.follow-btn")).to_have_text("Following")
    await expect(detail.locator("button.follow-btn")).to_have_attribute("aria-pressed", "true")

    # Bima does not, until he presses Follow; a reload still says Following, and so does the API.
    b = await open_page(bima, at=here)
    detail = await open_report(b, text)
    button = detail.locator("button.follow-btn")
    await expect(button).to_have_text("Follow")
    await expect(button).to_have_attribute("aria-pressed", "false")
    assert post["id"] not in await followed(api, bima)
    async with b.page.expect_response(lambda r: r.url.endswith(f"/api/posts/{post['id']}/follow")) as put:
        await button.click()
    assert (await put.value).request.method == "PUT"
    await expect(button).to_have_text("Following")
    assert post["id"] in await followed(api, bima)

    await b.page.reload()
    await b.page.wait_for_selector('#live-state[data-state="live"]')
    detail = await open_report(b, text)
    button = detail.locator("button.follow-btn")
    await expect(button).to_have_text("Following")

    # And off again, in Indonesian.
    await b.page.keyboard.press("Escape")
    await expect(detail).to_be_hidden()
    await b.page.click("#lang-btn")
    detail = await open_report(b, text)
    button = detail.locator("button.follow-btn")
    await expect(button).to_have_text("Mengikuti")
    async with b.page.expect_response(lambda r: r.url.endswith(f"/api/posts/{post['id']}/follow")) as gone:
        await button.click()
    assert (await gone.value).request.method == "DELETE"
    await expect(button).to_have_text("Ikuti")
    assert post["id"] not in await followed(api, bima)


async def test_no_follow_button_when_signed_out(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice = await web_user()
    text = "Lampu jalan padam sejak minggu lalu"
    await create_post(api, alice, text, here)
    tab = await open_page(None, at=here)
    detail = await open_report(tab, text)
    await expect(detail.locator(".post-actions")).to_be_visible()
    assert await detail.locator("button.follow-btn").count() == 0


COUNT_PERMISSION_ASKS = """
window.__asked = 0;
if (window.Notification) {
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => { window.__asked += 1; return ask(...args); };
}
"""

# A stand-in for the browser's push service: a PushSubscription-like object with a real P-256 public key
# and a 16-byte auth secret, at an https endpoint on a global address (the server's egress rules refuse
# private ones). Nothing is ever sent to it: the user follows nothing.
FAKE_PUSH_SERVICE = """
(() => {
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  window.__subscribeKey = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeKey = Array.from(new Uint8Array(options.applicationServerKey));
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const p256dh = b64url(await crypto.subtle.exportKey("raw", pair.publicKey));
    const auth = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const endpoint = "https://1.1.1.1/warga-test/" + b64url(crypto.getRandomValues(new Uint8Array(12)));
    current = {
      endpoint,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
})();
"""


async def test_the_service_worker_is_served_at_the_root_and_the_page_allows_it(
    api: httpx.AsyncClient,
) -> None:
    res = await api.get("/sw.js")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/javascript")
    assert res.headers["service-worker-allowed"] == "/"
    assert res.headers["x-content-type-options"] == "nosniff"
    assert 'addEventListener("push"' in res.text and 'addEventListener("notificationclick"' in res.text
    page = await api.get("/")
    directives = [d.strip() for d in page.headers["content-security-policy"].split(";")]
    assert "worker-src 'self'" in directives
    config = (await api.get("/api/config")).json()
    assert config["push"]["vapid_public_key"]


async def test_permission_is_asked_only_after_the_click_and_the_worker_registers_at_the_root(
    open_page: OpenPage, web_user: MakeWebUser, web_server: Any
) -> None:
    alice = await web_user()
    tab = await open_page(alice, wait_live=False)
    await tab.page.context.add_init_script(COUNT_PERMISSION_ASKS)
    await tab.page.reload()
    button = tab.page.locator("#push-btn")
    await expect(button).to_have_attribute("aria-label", "Turn on notifications")
    # Loaded and shown: nothing asked, nothing registered.
    assert await tab.page.evaluate("window.__asked") == 0
    assert await tab.page.evaluate("Notification.permission") == "default"
    assert await tab.page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0

    await tab.page.context.grant_permissions(["notifications"])
    await button.click()
    await tab.page.wait_for_function(
        "(scope) => navigator.serviceWorker.getRegistration('/')"
        ".then((r) => window.__worker = r ? r.scope : null) && window.__worker === scope",
        arg=web_server.url + "/",
        polling=100,
    )
    assert await tab.page.evaluate("window.__asked") == 1
    # Headless Chromium has no push service: the browser's subscribe fails, and the user is told so.
    await expect(tab.page.locator("#toasts")).to_contain_text(
        "Notifications cannot be turned on in this browser."
    )
    await expect(button).to_have_attribute("aria-label", "Turn on notifications")


async def test_the_subscription_reaches_the_server_and_leaves_it(
    open_page: OpenPage, web_user: MakeWebUser, web_db: asyncpg.Pool, api: httpx.AsyncClient
) -> None:
    alice = await web_user()
    tab = await open_page(alice, wait_live=False)
    await tab.page.context.add_init_script(FAKE_PUSH_SERVICE)
    await tab.page.reload()
    await tab.page.context.grant_permissions(["notifications"])
    button = tab.page.locator("#push-btn")
    await expect(button).to_have_attribute("aria-label", "Turn on notifications")
    async with tab.page.expect_response(lambda r: r.url.endswith("/api/push/subscriptions")) as posted:
        await button.click()
    assert (await posted.value).status == 201, await (await posted.value).text()
    await expect(button).to_have_attribute("aria-label", "Turn off notifications")
    rows = await web_db.fetch(
        "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1", alice.id
    )
    assert len(rows) == 1 and rows[0]["endpoint"].startswith("https://1.1.1.1/warga-test/")
    # The applicationServerKey was the server's VAPID key, decoded from base64url.
    key = (await api.get("/api/config")).json()["push"]["vapid_public_key"]
    sent = bytes(await tab.page.evaluate("window.__subscribeKey"))
    assert sent == base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)) and len(sent) == 65

    # Turn off: the server forgets it.
    async with tab.page.expect_response(lambda r: r.url.endswith("/api/push/subscriptions")) as deleted:
        await button.click()
    assert (await deleted.value).request.method == "DELETE"
    assert (await deleted.value).status == 204
    await expect(button).to_have_attribute("aria-label", "Turn on notifications")
    assert await web_db.fetchval("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", alice.id) == 0


async def test_a_push_is_shown_once_per_report_by_the_service_worker(
    open_page: OpenPage, web_user: MakeWebUser, web_server: Any
) -> None:
    alice = await web_user()
    tab = await open_page(alice, wait_live=False)
    page = tab.page
    await page.context.grant_permissions(["notifications"])
    cdp = await page.context.new_cdp_session(page)
    registrations: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: [registrations.put_nowait(r) for r in event["registrations"]],
    )
    await cdp.send("ServiceWorker.enable")
    scope = web_server.url + "/"
    assert await page.evaluate("navigator.serviceWorker.register('/sw.js').then((r) => r.scope)") == scope
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    async def registration_id() -> str:
        while True:
            r = await registrations.get()
            if r["scopeURL"] == scope and not r.get("isDeleted"):
                return str(r["registrationId"])

    rid = await asyncio.wait_for(registration_id(), timeout=10)
    for body in ("petugas menuju lokasi", "sudah dibersihkan"):
        payload = {"title": "Status laporan: Diterima", "body": body, "url": "/?post=42", "post_id": 42}
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": web_server.url, "registrationId": rid, "data": json.dumps(payload)},
        )
        await page.wait_for_function(
            "(body) => navigator.serviceWorker.ready.then((r) => r.getNotifications())"
            ".then((ns) => window.__shown = ns.map("
            "(n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"
            " && (window.__shown || []).some((n) => n.body === body)",
            arg=body,
            polling=100,
        )
    shown = await page.evaluate("window.__shown")
    # One notification for the report: the second push replaced the first (tag warga-post-42).
    assert shown == [
        {
            "title": "Status laporan: Diterima",
            "body": "sudah dibersihkan",
            "tag": "warga-post-42",
            "data": {"url": scope + "?post=42", "post_id": 42},
        }
    ]


async def test_a_notifications_link_opens_its_report(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient, web_server: Any
) -> None:
    alice = await web_user()
    text = "Got mampet di depan sekolah"
    post = await create_post(api, alice, text, spot())
    tab = await open_page(alice, wait_live=False)
    await tab.page.goto(f"{web_server.url}/?post={post['id']}")
    await expect(tab.page.locator("#dlg-detail .detail-text")).to_have_text(text)
    assert "?post=" not in tab.page.url


async def test_signing_out_takes_the_browsers_subscription_off_the_account(
    open_page: OpenPage, web_user: MakeWebUser, web_db: asyncpg.Pool
) -> None:
    alice = await web_user()
    tab = await open_page(alice, wait_live=False)
    await tab.page.context.add_init_script(FAKE_PUSH_SERVICE)
    await tab.page.reload()
    await tab.page.context.grant_permissions(["notifications"])
    button = tab.page.locator("#push-btn")
    await expect(button).to_have_attribute("aria-label", "Turn on notifications")
    async with tab.page.expect_response(lambda r: r.url.endswith("/api/push/subscriptions")) as posted:
        await button.click()
    assert (await posted.value).status == 201
    async with tab.page.expect_response(lambda r: r.url.endswith("/api/push/subscriptions")) as deleted:
        await tab.page.click("#signout-btn")
    assert (await deleted.value).status == 204
    await expect(tab.page.locator("#signin-btn")).to_be_visible()
    assert await web_db.fetchval("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", alice.id) == 0
