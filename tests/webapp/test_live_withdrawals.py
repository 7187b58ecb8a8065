"""Withdrawals reach an open page as ids only (issue #18: a socket receives what its user may see), and the
web app acts on them: a report a moderator hides leaves a citizen's list, map and open report window, with
none of its text left on the page; a hidden comment leaves the open report window. Real `warga serve`,
Debian's Chromium via Playwright (tests/webapp/conftest.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from playwright.async_api import expect

OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]

# Far from every other browser test's places (they sit east of 106.6 or north of -7.1): this feed is its own.
HERE = (-7.25, 106.40)


async def create_post(
    api: httpx.AsyncClient, user: Any, text: str, at: tuple[float, float]
) -> dict[str, Any]:
    res = await api.post(
        "/api/posts",
        json={"text": text, "category": "other", "lat": at[0], "lon": at[1]},
        headers=user.headers,
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


def events(tab: Any, name: str) -> list[dict[str, Any]]:
    """The event frames of this type the page's socket received."""
    found = []
    for raw in tab.received:
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("type") == "event" and msg.get("event") == name:
            found.append(msg)
    return found


async def test_a_hidden_report_leaves_a_citizens_open_page_with_none_of_its_text(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    alice, bima, mod = await web_user(), await web_user(), await web_user("moderator")
    gone_text = "Tumpukan kardus basah menutup trotoar Jalan Melati"
    kept_text = "Lampu jalan mati di ujung gang Mawar"
    gone = await create_post(api, alice, gone_text, HERE)
    await create_post(api, alice, kept_text, (HERE[0] + 0.001, HERE[1]))
    b = await open_page(bima, at=HERE)
    cards = b.page.locator("#list > li")
    await expect(cards.filter(has_text=gone_text)).to_have_count(1)
    await expect(cards.filter(has_text=kept_text)).to_have_count(1)
    assert await b.page.evaluate("window.warga.map.markerCount()") == 2

    # Bima has the report open when a moderator hides it.
    await cards.filter(has_text=gone_text).locator("button.open").click()
    detail = b.page.locator("#dlg-detail")
    await expect(detail.locator(".detail-text")).to_have_text(gone_text)
    res = await api.post(
        f"/api/posts/{gone['id']}/hide", json={"reason": "alamat pribadi"}, headers=mod.headers
    )
    assert res.status_code == 200, res.text

    # Off the list and the map, the window says so, and the rest of the feed is untouched.
    await expect(cards.filter(has_text=gone_text)).to_have_count(0)
    await expect(detail.locator("#detail-body")).to_have_text("This report is no longer available.")
    await expect(detail.locator("#comment-form")).to_be_hidden()
    await expect(cards.filter(has_text=kept_text)).to_have_count(1)
    assert await b.page.evaluate("window.warga.map.markerCount()") == 1
    await expect(b.page.locator("#announcer")).to_have_text("A report was hidden by a moderator.")
    assert gone_text not in await b.page.content()
    # What the socket carried: the id, nothing of the post, nor the moderator's reason.
    hidden = events(b, "post.hidden")
    assert hidden, b.received
    assert all(msg["post"] == {"id": gone["id"], "removed": True} for msg in hidden), hidden
    assert all("reason" not in msg for msg in hidden), hidden

    # Closing the window brings nothing of it back.
    await detail.locator("button.close").click()
    await expect(detail).not_to_be_visible()
    await expect(cards).to_have_count(1)
    assert gone_text not in await b.page.content()


async def test_a_hidden_comment_leaves_the_open_report_window(
    open_page: OpenPage, web_user: MakeWebUser, api: httpx.AsyncClient
) -> None:
    here = (HERE[0] - 0.05, HERE[1])  # beyond the first test's radius
    alice, bima, cici, mod = await web_user(), await web_user(), await web_user(), await web_user("moderator")
    text = "Saluran air tersumbat sampah plastik di RT 04"
    post = await create_post(api, alice, text, here)
    rude = "Komentar kasar yang harus disembunyikan"
    kind = "Sudah saya laporkan ke pak RT juga"
    ids = {}
    for body in (rude, kind):
        res = await api.post(f"/api/posts/{post['id']}/comments", json={"text": body}, headers=cici.headers)
        assert res.status_code == 201, res.text
        ids[body] = res.json()["id"]

    b = await open_page(bima, at=here)
    card = b.page.locator("#list > li", has_text=text)
    await card.locator("button.open").click()
    comments = b.page.locator("#detail-comments > li")
    await expect(comments).to_have_count(2)
    await expect(comments.filter(has_text=rude)).to_have_count(1)
    res = await api.post(f"/api/comments/{ids[rude]}/hide", json={"reason": "kasar"}, headers=mod.headers)
    assert res.status_code == 200, res.text

    # The hidden comment leaves the window; the other stays, and so does the report.
    await expect(comments.filter(has_text=rude)).to_have_count(0)
    await expect(comments).to_have_count(1)
    await expect(comments).to_contain_text(kind)
    await expect(b.page.locator("#dlg-detail .detail-text")).to_have_text(text)
    await expect(card).to_have_count(1)
    # The tombstone says ids only; the card asks for the post afresh and shows its new count.
    await expect(card.locator("button.comments-btn")).to_have_text(re.compile(r"^\s*1\D"))
    assert rude not in await b.page.content()
    hidden = events(b, "comment.hidden")
    assert hidden, b.received
    for msg in hidden:
        assert msg["comment"] == {"id": ids[rude], "post_id": post["id"], "removed": True}, msg
        assert msg["post"] == {"id": post["id"]}, msg
