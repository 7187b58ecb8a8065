"""The moderation queue pages by keyset over a snapshot: while moderators resolve items and new flags arrive,
paging through neither skips nor repeats an item; a tampered cursor is a 422."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account, MakeUser
from tests.trust_helpers import age, new_post
from warga.runtime import Runtime


async def flag(client: httpx.AsyncClient, who: Account, post_id: int) -> None:
    r = await client.post(f"/api/posts/{post_id}/flag", json={"reason": "spam"}, headers=who.headers)
    assert r.status_code == 201, r.text


async def page(client: httpx.AsyncClient, mod: Account, order: str, cursor: str | None) -> dict[str, Any]:
    params = {"order": order, "limit": "2", **({"cursor": cursor} if cursor else {})}
    r = await client.get("/api/moderation/queue", params=params, headers=mod.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def dismiss(client: httpx.AsyncClient, mod: Account, post_id: int) -> None:
    r = await client.post(
        f"/api/moderation/queue/post/{post_id}",
        json={"action": "dismiss", "reason": "ok"},
        headers=mod.headers,
    )
    assert r.status_code == 200, r.text


async def setup(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> tuple[Account, list[Account], list[int]]:
    mod, author = await make_user("moderator"), await make_user()
    people = [await make_user() for _ in range(3)]
    for n, who in enumerate(people):
        # A flag weighs 0 from an account younger than a day or without a published report (docs/trust.md):
        # each flagger has a public report of its own and is a month old, so each flag weighs 1.0.
        await new_post(client, who, text=f"laporan sendiri {n}")
        await age(runtime, who, 30)
    posts = [(await new_post(client, author, text=f"laporan {i}"))["id"] for i in range(6)]
    return mod, people, posts


async def test_newest_first_neither_skips_nor_repeats(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod, (a, b, _), p = await setup(client, runtime, make_user)
    for post_id in p:  # flagged in order: p5 is the newest activity
        await flag(client, a, post_id)
    first = await page(client, mod, "newest", None)
    assert [i["id"] for i in first["items"]] == [p[5], p[4]]
    # While the moderator reads: a seen item is resolved (an offset would now skip one), a new item
    # arrives on top (an offset would repeat one), and an unseen item gets fresh activity (ordering by the
    # live time would lift it above the cursor: skipped).
    await dismiss(client, mod, p[5])
    extra = (await new_post(client, a, text="baru"))["id"]
    await flag(client, b, extra)
    await flag(client, b, p[1])
    second = await page(client, mod, "newest", first["next"])
    third = await page(client, mod, "newest", second["next"])
    assert [i["id"] for i in second["items"]] == [p[3], p[2]]
    assert [i["id"] for i in third["items"]] == [p[1], p[0]] and third["next"] is None
    # A fresh first page sees the new state.
    fresh = await page(client, mod, "newest", None)
    assert [i["id"] for i in fresh["items"]] == [p[1], extra]


async def test_heaviest_first_neither_skips_nor_repeats(
    client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser
) -> None:
    mod, (a, b, c), p = await setup(client, runtime, make_user)
    for post_id in p:
        await flag(client, a, post_id)
    for post_id in (p[0], p[1]):  # weight 2.0 each; the rest 1.0
        await flag(client, b, post_id)
    first = await page(client, mod, "flags", None)
    assert [(i["id"], i["weight"]) for i in first["items"]] == [(p[1], 2.0), (p[0], 2.0)]
    await dismiss(client, mod, p[1])
    await flag(client, b, p[2])  # an unseen item becomes the heaviest (b counts 0.5 now: p1 dismissed)
    await flag(client, c, p[2])
    seen: list[int] = [i["id"] for i in first["items"]]
    cursor = first["next"]
    while cursor:
        body = await page(client, mod, "flags", cursor)
        seen += [i["id"] for i in body["items"]]
        cursor = body["next"]
    assert seen == [p[1], p[0], p[5], p[4], p[3], p[2]]  # each once, in the snapshot's order
    fresh = await page(client, mod, "flags", None)
    assert [(i["id"], i["weight"]) for i in fresh["items"]] == [(p[2], 2.5), (p[0], 2.0)]


async def test_tampered_cursor_is_422(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    mod = await make_user("moderator")
    for bad in ("x", "cTI6MTox", "aTE6OjE", "cTI6MTpOYU46MTpwb3N0OjE"):  # junk, short, inbox's, NaN weight
        r = await client.get("/api/moderation/queue", params={"cursor": bad}, headers=mod.headers)
        assert r.status_code == 422 and r.json()["error"]["fields"] == {"cursor": "not a valid cursor"}, bad
