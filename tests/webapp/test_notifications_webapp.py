"""The web app's part of Web Push (docs/notifications.md, "In the web app") in a real browser (Debian's
Chromium via Playwright) against a real `warga serve`: the Follow toggle on a report, and the service worker.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

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
