"""The trust screens in a real browser (Debian's Chromium via Playwright) against a real `warga serve`:
a held report tells its author; a moderator suspends a user from the queue, the signed-in user is sent to
sign in again, sees why and appeals once, and a moderator lifts the suspension from the appeals list; a
moderator merges a report into one of its possible duplicates from the report itself.

The test server holds posts for spam (WARGA_SPAM_HOLDS=on) with only the links and same-text signals in
reach (tests/webapp/conftest.py), so the other browser tests never trip a hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from playwright.async_api import expect

PASSWORD = "correct horse battery"  # every web_user's (tests/webapp/conftest.py; importing it here would
# import the plugin module before pytest can rewrite its asserts)
OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]

_spots = itertools.count(1)


def spot() -> tuple[float, float]:
    """South of test_screens.py's places (they stop at -6.30): these feeds overlap no other test's."""
    return -6.33 - 0.03 * next(_spots), 106.62


async def create_post(
    api: httpx.AsyncClient, user: Any, text: str, at: tuple[float, float], category: str = "garbage"
) -> dict[str, Any]:
    res = await api.post(
        "/api/posts",
        json={"text": text, "category": category, "lat": at[0], "lon": at[1]},
        headers=user.headers,
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


async def test_a_held_report_tells_its_author(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, mod = await web_user(), await web_user("moderator")
    a = await open_page(alice, at=here)
    text = "Promo sedot WC murah http://a.example http://b.example http://c.example"
    await a.page.click("#new-post")
    await a.page.select_option("#post-category", "other")
    await a.page.fill("#post-text", text)
    async with a.page.expect_response(lambda r: r.url.endswith("/api/posts")) as answered:
        await a.page.click("#post-submit")
    assert (await answered.value).status == 202
    notice = a.page.locator("#held-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("held for review")
    await expect(notice).to_contain_text("too many links")
    await expect(a.page.locator("#list > li", has_text="Promo sedot WC")).to_have_count(0)
    await a.page.click("#held-close")
    await expect(notice).to_be_hidden()
    # The moderator finds it in the queue, marked held.
    m = await open_page(mod, at=here)
    await m.page.click('#nav a[data-view="queue"]')
    queued = m.page.locator("#queue-list > li", has_text="Promo sedot WC")
    await expect(queued).to_have_count(1)
    await expect(queued.locator(".held-badge")).to_contain_text("links")


async def test_suspend_from_the_queue_then_appeal_once_and_lift(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima, mod = await web_user(), await web_user(), await web_user("moderator")
    post = await create_post(api, alice, "Jual akun game murah, hubungi saya", here)
    flagged = await api.post(f"/api/posts/{post['id']}/flag", json={"reason": "spam"}, headers=bima.headers)
    assert flagged.status_code == 201
    a = await open_page(alice, at=here)
    await expect(a.page.locator("#account")).to_contain_text(alice.handle)

    # The moderator suspends Alice from her flagged report in the queue, hiding her content.
    m = await open_page(mod, at=here)
    await m.page.click('#nav a[data-view="queue"]')
    queued = m.page.locator("#queue-list > li", has_text="Jual akun game")
    await queued.locator("button.suspend-btn").click()
    await expect(m.page.locator("#suspend-title")).to_contain_text(alice.handle)
    await m.page.fill("#suspend-reason", "spam berulang")
    await m.page.fill("#suspend-days", "3")
    await m.page.check("#suspend-hide")
    await m.page.click("#suspend-submit")
    await expect(m.page.locator("#dlg-suspend")).not_to_be_visible()
    await expect(m.page.locator("#toasts")).to_contain_text("suspended")

    # Alice's session ends (tokens revoked, socket closed): she is asked to sign in again, learns why,
    # and appeals.
    await expect(a.page.locator("#dlg-auth")).to_be_visible()
    await expect(a.page.locator("#auth-handle")).to_have_value(alice.handle)
    await a.page.fill("#auth-password", PASSWORD)
    await a.page.click("#auth-submit")
    await expect(a.page.locator("#suspended-why")).to_contain_text("spam berulang")
    await a.page.fill("#appeal-text", "Itu akun saya sendiri, bukan penipuan")
    await a.page.click("#appeal-submit")
    await expect(a.page.locator("#appeal-msg")).to_have_text("Appeal sent. A moderator will decide it.")
    await expect(a.page.locator("#appeal-form")).to_be_hidden()
    # Once per suspension: signing in again says so and offers no form.
    await a.page.click("#auth-submit")
    await expect(a.page.locator("#appeal-msg")).to_have_text("You have already appealed this suspension.")
    await expect(a.page.locator("#appeal-form")).to_be_hidden()

    # The moderator decides it from the appeals list.
    await m.page.click('#nav a[data-view="appeals"]')
    appeal = m.page.locator("#appeals-list > li", has_text="bukan penipuan")
    await expect(appeal).to_contain_text("spam berulang")
    await appeal.locator("button.appeal-lift").click()
    await m.page.fill("#hide-reason", "masuk akal")
    await m.page.click("#hide-submit")
    await expect(appeal).to_have_count(0)  # no longer pending
    await m.page.uncheck("#appeals-pending")
    await expect(m.page.locator("#appeals-list > li", has_text="bukan penipuan")).to_contain_text(
        "Decided: lifted — masuk akal"
    )

    # Lifted: Alice signs in.
    await a.page.click("#auth-submit")
    await expect(a.page.locator("#dlg-auth")).not_to_be_visible()
    await expect(a.page.locator("#account")).to_contain_text(alice.handle)


async def test_merge_a_report_into_a_possible_duplicate(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = spot()
    alice, bima, mod = await web_user(), await web_user(), await web_user("moderator")
    original = await create_post(api, alice, "Tumpukan sampah di depan pasar", here)
    nearby = (here[0] + 30 / 111_195, here[1])
    dup = await create_post(api, bima, "Sampah menggunung depan pasar", nearby)
    assert [d["id"] for d in dup["possible_duplicates"]] == [original["id"]]
    b = await open_page(bima, at=here)
    m = await open_page(mod, at=here)
    await m.page.locator("#list > li", has_text="Sampah menggunung").locator("button.open").click()
    dups = m.page.locator("#detail-dups")
    await expect(dups.locator("li.dup")).to_contain_text("Tumpukan sampah")
    await dups.locator("button.merge-btn").click()
    await expect(m.page.locator("#hide-reason")).to_have_value("duplicate")
    await m.page.click("#hide-submit")
    await expect(m.page.locator("#toasts")).to_contain_text(f"merged into #{original['id']}")
    await expect(m.page.locator("#dlg-detail .post-meta .status")).to_have_text("Merged")
    await expect(m.page.locator("#detail-dups")).to_have_count(0)  # merged: nothing more to merge
    # The duplicate's reporter sees the status change live, and now supports the original.
    await expect(b.page.locator("#list > li", has_text="Sampah menggunung").locator(".status")).to_have_text(
        "Merged"
    )
    got = await api.get(f"/api/posts/{original['id']}", headers=bima.headers)
    assert got.json()["voted_by_me"] is True
    # Citizens are offered no merging.
    await b.page.locator("#list > li", has_text="Tumpukan sampah").locator("button.open").click()
    await expect(b.page.locator("#dlg-detail .post-actions")).to_be_visible()
    await expect(b.page.locator("#detail-dups")).to_have_count(0)
