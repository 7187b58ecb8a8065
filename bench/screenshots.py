"""Screenshots of the web app's main screens on the seeded demo, phone (360x740) and desktop (1280x800),
into docs/screenshots/ (shown in docs/webapp.md and the README).

    python bench/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]

Without --url it starts `warga serve --demo` itself (see bench/page_load.py). Map tiles are blocked (no
internet here), so the map shows its markers on a plain background. Staff screens use the demo's admin
account (admin is both official and moderator); the demo's passwords are printed by `warga seed-demo`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from page_load import TILES, demo_server, launch

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ACCOUNTS = {"citizen": ("budi.santoso", "wargademo123"), "admin": ("admin", "admin12345")}


async def login(url: str, who: str) -> str:
    handle, password = ACCOUNTS[who]
    async with httpx.AsyncClient(base_url=url) as client:
        res = await client.post("/api/auth/login", json={"handle": handle, "password": password})
        res.raise_for_status()
        return str(res.json()["token"])


async def page_for(browser: Any, url: str, viewport: dict[str, int], locale: str, token: str | None) -> Any:
    context = await browser.new_context(viewport=viewport, locale=locale, device_scale_factor=1)
    await context.route(TILES, lambda route: route.abort())
    if token:
        await context.add_init_script(f"localStorage.setItem('warga.token', {token!r});")
    page = await context.new_page()
    await page.goto(url + "/")
    await page.wait_for_selector('#live-state[data-state="live"]')
    await page.wait_for_selector("#list > li")
    await settle(page)
    return page


async def settle(page: Any) -> None:
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(400)  # image fade-in


async def shoot(page: Any, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    await page.screenshot(path=str(path))
    print(f"wrote {path}")


async def run(url: str | None, out: Path) -> None:
    from playwright.async_api import async_playwright

    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as stack:
        if url is None:
            url = await stack.enter_async_context(demo_server())
        p = await stack.enter_async_context(async_playwright())
        browser = await launch(p)
        citizen, admin = await login(url, "citizen"), await login(url, "admin")
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            # The feed: Bahasa Indonesia on the phone (the default in Jakarta), English on the desktop.
            locale = "id-ID" if size == "phone" else "en-GB"
            page = await page_for(browser, url, viewport, locale, citizen)
            await shoot(page, out, f"{size}-feed")

            # A report with its photo, timeline and comments.
            with_photo = page.locator("#list > li:has(.thumb:not([hidden]))").first
            await with_photo.locator("button.open").click()
            await page.wait_for_selector("#detail-comments li")
            await settle(page)
            await shoot(page, out, f"{size}-report")
            await page.keyboard.press("Escape")

            # The new report form.
            await page.click("#new-post")
            await page.select_option("#post-category", "flood")
            await page.fill("#post-text", "Banjir setinggi lutut di Jl. Kemang Raya, motor mogok.")
            await shoot(page, out, f"{size}-new-report")
            await page.context.close()

            # Staff: the moderation log and the officials' inbox (its API arrives with the officials issue).
            page = await page_for(browser, url, viewport, "en-GB", admin)
            await page.goto(url + "/#/log")
            await page.wait_for_selector("#log-body tr")
            await settle(page)
            await shoot(page, out, f"{size}-moderation-log")
            await page.goto(url + "/#/inbox")
            await settle(page)
            await shoot(page, out, f"{size}-official-inbox")
            await page.goto(url + "/#/league")
            await settle(page)
            await shoot(page, out, f"{size}-league")
            await page.context.close()
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=None, help="a running, seeded warga (default: start one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "docs" / "screenshots")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.out))


if __name__ == "__main__":
    main()
