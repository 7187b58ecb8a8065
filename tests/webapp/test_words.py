"""What the page says, on a phone (390 by 844) and a desktop (1280 by 800), in Indonesian and English (#23
item 6): signing up is reachable on a phone and the signed-in header keeps one row of tools; counts take their
plural forms; a refused report or comment is said in the page's language, naming the field by the form's
own label, once; an empty comment is answered in the dialog, where a refusal is shown too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.webapp.test_screens import card, create_post, spot

OpenPage = Callable[..., Awaitable[Any]]
MakeWebUser = Callable[..., Awaitable[Any]]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCREENS = [
    pytest.param("id-ID", PHONE, id="id-phone"),
    pytest.param("en-US", PHONE, id="en-phone"),
    pytest.param("id-ID", DESKTOP, id="id-desktop"),
    pytest.param("en-US", DESKTOP, id="en-desktop"),
]
WORDS = {
    "id-ID": {
        "signup": "Daftar",
        "comments": ("1 komentar", "2 komentar"),
        "count": "1 laporan",
        "upvote": "Dukung laporan ini (1 dukungan)",
        "text_too_long": "Apa yang terjadi: maksimal 2000 karakter",
        "comment_too_long": "Tulis komentar: maksimal 2000 karakter",
        "comment_empty": "Tulis komentar dulu; komentar tidak boleh kosong.",
        "category_unknown": "Kategori: tidak dikenal",
        "common_password": "Kata sandi: termasuk kata sandi yang paling umum; pilih yang lain",
        "taken": "Nama pengguna itu sudah dipakai.",
        "bad_credentials": "Nama pengguna atau kata sandi salah.",
        "not_a_photo": "Foto harus berformat JPEG, PNG, WebP atau HEIC.",
        "no_area": "Teruskan ke wilayah (atau dinas di bawah): wilayah tidak ditemukan",
    },
    "en-US": {
        "signup": "Sign up",
        "comments": ("1 comment", "2 comments"),
        "count": "1 report",
        "upvote": "Upvote this report (1 upvote)",
        "text_too_long": "What is happening: must be at most 2000 characters",
        "comment_too_long": "Write a comment: must be at most 2000 characters",
        "comment_empty": "Write a comment first; a comment cannot be empty.",
        "category_unknown": "Category: is not a known category",
        "common_password": "Password: is one of the most common passwords; choose another",
        "taken": "That handle is taken.",
        "bad_credentials": "Wrong handle or password.",
        "not_a_photo": "Photos must be JPEG, PNG, WebP or HEIC.",
        "no_area": "Forward to area: no such area",
    },
}
# The API's words and pointers that must never reach the page.
API_WORDS = ("Some fields are invalid", "text:", "category:", "handle:", "photo:", "to_area", "/api/", "(see")
API_WORDS += ("(give",)


async def in_view(page: Any, selector: str, width: int) -> dict[str, float]:
    """The element's box, asserted visible and wholly inside the screen's width."""
    await expect(page.locator(selector)).to_be_visible()
    box = await page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    return dict(box)


async def one_row(page: Any, selectors: list[str], width: int) -> None:
    """Every element visible, inside the width, and on the brand's row (their boxes overlap it vertically)."""
    brand = await in_view(page, ".brand", width)
    for selector in selectors:
        box = await in_view(page, selector, width)
        middle = box["y"] + box["height"] / 2
        assert brand["y"] <= middle <= brand["y"] + brand["height"] + 8, (selector, box, brand)
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("locale", "viewport"), SCREENS)
async def test_sign_up_is_reachable_and_the_header_keeps_its_row(
    open_page: OpenPage, locale: str, viewport: dict[str, int]
) -> None:
    tab = await open_page(locale=locale, viewport=viewport, at=spot())
    page, width = tab.page, viewport["width"]
    await one_row(page, ["#live-state", "#lang-btn", "#signin-btn", "#signup-btn"], width)
    await expect(page.locator("#signup-btn")).to_have_text(WORDS[locale]["signup"])
    await page.click("#signup-btn")
    await expect(page.locator("#auth-title")).to_have_text(WORDS[locale]["signup"])
    handle = f"warga_{locale[:2]}_{width}_nama.yang.panjang"[:32]
    await page.fill("#auth-handle", handle)
    await page.fill("#auth-password", "rahasia-sekali-123")
    await page.click("#auth-submit")
    await expect(page.locator("#account .who")).to_contain_text(handle[:6])
    # Signed in with a long handle: who and sign out still sit on the brand's row, nothing sticks out.
    await one_row(page, ["#live-state", "#lang-btn", "#account .who", "#signout-btn"], width)
    await expect(page.locator("#account .who")).to_have_attribute("title", handle)


@pytest.mark.parametrize(("locale", "viewport"), SCREENS[1:3])
async def test_counts_take_their_plural_forms(
    open_page: OpenPage,
    web_user: MakeWebUser,
    api: httpx.AsyncClient,
    locale: str,
    viewport: dict[str, int],
) -> None:
    here = spot()
    alice, bima = await web_user(), await web_user()
    one = await create_post(api, alice, "Lampu jalan mati satu", here, "street_light")
    r = await api.post(f"/api/posts/{one['id']}/comments", json={"text": "Betul"}, headers=bima.headers)
    assert r.status_code == 201, r.text
    assert (await api.put(f"/api/posts/{one['id']}/vote", headers=bima.headers)).status_code == 200
    tab = await open_page(alice, locale=locale, viewport=viewport, at=here)
    words = WORDS[locale]
    lamp = card(tab, "Lampu jalan mati satu")
    await expect(lamp.locator(".comments-btn")).to_have_text(words["comments"][0])
    await expect(lamp.locator("button.vote")).to_have_attribute("aria-label", words["upvote"])
    await expect(tab.page.locator("#feed-count")).to_have_text(words["count"])
    # A second comment arrives live and the count reads as a plural.
    r = await api.post(f"/api/posts/{one['id']}/comments", json={"text": "Iya"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    await expect(lamp.locator(".comments-btn")).to_have_text(words["comments"][1])


async def refusal(page: Any, selector: str, expected: str) -> str:
    """The error's text, holding `expected` exactly once and none of the API's own words."""
    await expect(page.locator(selector)).to_contain_text(expected)
    text: str = await page.locator(selector).inner_text()
    assert text.count(expected) == 1, text
    assert not any(w in text for w in API_WORDS), text
    return text


@pytest.mark.parametrize(("locale", "viewport"), [SCREENS[0], SCREENS[3]])
async def test_a_refused_report_names_the_field_by_its_label_in_the_page_language(
    open_page: OpenPage, web_user: MakeWebUser, locale: str, viewport: dict[str, int]
) -> None:
    alice = await web_user()
    tab = await open_page(alice, locale=locale, viewport=viewport, at=spot())
    page = tab.page
    await page.click("#new-post")
    await page.select_option("#post-category", "garbage")
    # The browser's own limit lifted, as an older browser or a pasted text may get past it.
    await page.evaluate("document.querySelector('#post-text').removeAttribute('maxlength')")
    await page.fill("#post-text", "a" * 2001)
    await page.click("#post-submit")
    text = await refusal(page, "#post-error", WORDS[locale]["text_too_long"])
    assert "must" not in text or locale == "en-US", text
    # An unknown category (a stale list) is named by the form's label, without the API's pointer.
    await page.evaluate(
        "() => { const o = document.createElement('option'); o.value = 'ufo'; o.textContent = 'UFO';"
        " document.querySelector('#post-category').append(o); }"
    )
    await page.select_option("#post-category", "ufo")
    await page.fill("#post-text", "Ada benda aneh di langit")
    await page.click("#post-submit")
    await refusal(page, "#post-error", WORDS[locale]["category_unknown"])


@pytest.mark.parametrize(("locale", "viewport"), [SCREENS[0], SCREENS[3]])
async def test_a_refused_photo_is_said_once(
    open_page: OpenPage, web_user: MakeWebUser, locale: str, viewport: dict[str, int]
) -> None:
    alice = await web_user()
    tab = await open_page(alice, locale=locale, viewport=viewport, at=spot())
    page = tab.page
    await page.click("#new-post")
    await page.select_option("#post-category", "garbage")
    await page.fill("#post-text", "Tumpukan sampah di ujung gang")
    text_file = {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a photo at all\n" * 20}
    await page.set_input_files("#post-photo", files=[text_file])
    await page.click("#post-submit")
    shown = await refusal(page, "#post-error", WORDS[locale]["not_a_photo"])
    assert shown.strip() == WORDS[locale]["not_a_photo"], shown  # the sentence alone, not repeated per field


@pytest.mark.parametrize(("locale", "viewport"), [SCREENS[0], SCREENS[3]])
async def test_sign_up_and_sign_in_refusals_in_the_page_language(
    open_page: OpenPage, web_user: MakeWebUser, locale: str, viewport: dict[str, int]
) -> None:
    someone = await web_user()
    tab = await open_page(locale=locale, viewport=viewport, at=spot())
    page, words = tab.page, WORDS[locale]
    await page.click("#signup-btn")
    await page.fill("#auth-handle", f"baru_{locale[:2]}_{viewport['width']}")
    await page.fill("#auth-password", "password123")
    await page.click("#auth-submit")
    await refusal(page, "#auth-error", words["common_password"])
    await page.fill("#auth-handle", someone.handle)
    await page.fill("#auth-password", "rahasia-sekali-123")
    await page.click("#auth-submit")
    shown = await refusal(page, "#auth-error", words["taken"])
    assert shown.strip() == words["taken"], shown
    await page.click("#auth-switch")  # to signing in
    await page.fill("#auth-password", "not-the-password")
    await page.click("#auth-submit")
    await refusal(page, "#auth-error", words["bad_credentials"])


@pytest.mark.parametrize(("locale", "viewport"), SCREENS)
async def test_an_empty_or_refused_comment_is_answered_in_the_dialog(
    open_page: OpenPage,
    web_user: MakeWebUser,
    api: httpx.AsyncClient,
    locale: str,
    viewport: dict[str, int],
) -> None:
    here = spot()
    alice = await web_user()
    await create_post(api, alice, "Got mampet di gang", here, "drainage")
    tab = await open_page(alice, locale=locale, viewport=viewport, at=here)
    page, words = tab.page, WORDS[locale]
    await card(tab, "Got mampet").locator("button.open").click()
    await expect(page.locator("#detail-body")).to_contain_text("Got mampet di gang")  # loaded
    # Spaces only: the dialog says why nothing was sent.
    await page.fill("#comment-text", "   \n  ")
    await page.click("#comment-form button[type=submit]")
    await expect(page.locator("#comment-error")).to_have_text(words["comment_empty"])
    await expect(page.locator("#comment-text")).to_have_attribute("aria-invalid", "true")
    await in_view(page, "#comment-error", viewport["width"])
    # Too long: the server's refusal, in the page's language, next to the field inside the dialog.
    await page.evaluate("document.querySelector('#comment-text').removeAttribute('maxlength')")
    await page.fill("#comment-text", "b" * 2001)
    await page.click("#comment-form button[type=submit]")
    await refusal(page, "#comment-error", words["comment_too_long"])
    assert await page.locator("#dlg-detail #comment-error").count() == 1
    # Typing again clears it; a good comment goes through.
    await page.fill("#comment-text", "Sudah dua hari")
    await expect(page.locator("#comment-error")).to_have_text("")
    await page.click("#comment-form button[type=submit]")
    await expect(page.locator("#detail-comments")).to_contain_text("Sudah dua hari")


@pytest.mark.parametrize(("locale", "viewport"), [SCREENS[0], SCREENS[3]])
async def test_a_refused_status_change_names_the_dialog_field(
    open_page: OpenPage,
    web_user: MakeWebUser,
    api: httpx.AsyncClient,
    web_areas: None,
    locale: str,
    viewport: dict[str, int],
) -> None:
    alice, admin = await web_user(), await web_user("admin")
    bogor = (-6.5950, 106.8166)  # outside every area: the admins' fallback queue
    text = f"Pohon tumbang, diteruskan ke mana ({locale})"
    await create_post(api, alice, text, bogor, "tree")
    tab = await open_page(admin, locale=locale, viewport=viewport, at=bogor)
    page = tab.page
    await page.click('#nav a[data-view="inbox"]')
    await page.check("#inbox-unrouted")
    item = page.locator("#inbox-list > li", has_text=text)
    await item.locator("button.status-btn").click()
    await page.select_option("#status-value", "forwarded")
    await page.fill("#status-to-area", "31.99.99.9999")
    await page.click("#status-submit")
    await refusal(page, "#status-error", WORDS[locale]["no_area"])
