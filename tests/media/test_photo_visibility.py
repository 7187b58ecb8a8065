"""Photos follow their post (issue #18 item 4, docs/photos.md): GET /media/{key} answers exactly when
GET /api/posts/{id} would for the same caller — public photos briefly cacheable, photos seen only by staff or
a held post's author `private, no-store`, everything else a 404 in the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from db import photos as photos_db
from db import status as status_db
from media import store
from tests import photo_samples as samples
from tests.conftest import Account, MakeUser
from warga.runtime import Runtime

FIELDS = {"text": "Pohon tumbang di Jl. Kemang Raya", "category": "tree", "lat": "-6.2", "lon": "106.8"}
PUBLIC = "public, max-age=300, s-maxage=60, proxy-revalidate"
PRIVATE = "private, no-store"


async def new_post(client: httpx.AsyncClient, author: Account, photo: bytes | None = None) -> dict[str, Any]:
    photo = photo or samples.phone_jpeg(3, size=(900, 700))
    files = [("photo", ("p.jpg", photo, "image/jpeg"))]
    r = await client.post("/api/posts", data=FIELDS, files=files, headers=author.headers)
    assert r.status_code == 201, r.text
    post: dict[str, Any] = r.json()
    return post


def urls(post: dict[str, Any]) -> list[str]:
    return [u for p in post["photos"] for u in (p["thumb_url"], p["display_url"])]


async def fetch(client: httpx.AsyncClient, url: str, who: Account | None) -> httpx.Response:
    return await client.get(url, headers=who.headers if who else {})


def assert_404(r: httpx.Response) -> None:
    assert r.status_code == 404, r.text
    assert r.json() == {"error": {"code": "not_found", "message": "No such photo.", "fields": {}}}
    assert r.headers["cache-control"] == "no-store"
    assert "etag" not in r.headers


async def hide(client: httpx.AsyncClient, post: dict[str, Any], moderator: Account) -> None:
    r = await client.post(
        f"/api/posts/{post['id']}/hide", json={"reason": "doxxing"}, headers=moderator.headers
    )
    assert r.status_code == 200, r.text


async def hold(runtime: Runtime, post: dict[str, Any]) -> None:
    # What the spam and new-account rules do (docs/trust.md), without arranging their conditions here.
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE posts SET held_at = now(), held_reason = 'new account' WHERE id = $1", post["id"]
        )


async def test_a_public_posts_photos_are_public_and_briefly_cacheable(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    author = await make_user()
    post = await new_post(client, author)
    for url in urls(post):
        r = await fetch(client, url, None)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"] == PUBLIC
        assert "immutable" not in r.headers["cache-control"] and "stale" not in r.headers["cache-control"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == "sandbox"
        assert "authorization" in r.headers["vary"].lower()
        etag = r.headers["etag"]
        assert etag == '"' + url.rsplit("/", 1)[-1].split(".")[0] + '"'
        # A cache revalidating after s-maxage: 304 without the bytes, with the same headers.
        again = await client.get(url, headers={"If-None-Match": f'W/"nope", {etag}'})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["cache-control"] == PUBLIC and again.headers["etag"] == etag
        # With credentials, the same photo is never stored by a shared cache (feed/core/cache_headers.py).
        signed_in = await fetch(client, url, author)
        assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"


async def test_after_a_hide_only_staff_get_the_photos_and_nobody_caches_them(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    author, other, moderator, admin = (
        await make_user(),
        await make_user(),
        await make_user("moderator"),
        await make_user("admin"),
    )
    post = await new_post(client, author)
    for url in urls(post):
        assert (await fetch(client, url, None)).status_code == 200
    await hide(client, post, moderator)
    for url in urls(post):
        # A revalidation gets the 404 too: a cache holding the photo must drop it now.
        etag = '"' + url.rsplit("/", 1)[-1].split(".")[0] + '"'
        assert_404(await client.get(url, headers={"If-None-Match": etag}))
        for who in (None, other, author):  # REST: a hidden post exists for staff only, its author included
            assert_404(await fetch(client, url, who))
        for who in (moderator, admin):
            r = await fetch(client, url, who)
            assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
            assert r.headers["cache-control"] == PRIVATE
            assert r.headers["x-content-type-options"] == "nosniff"
    r = await client.post(f"/api/posts/{post['id']}/unhide", headers=moderator.headers)
    assert r.status_code == 200
    for url in urls(post):
        r = await fetch(client, url, None)
        assert r.status_code == 200 and r.headers["cache-control"] == PUBLIC


async def test_after_a_delete_nobody_gets_the_photos(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    author, moderator = await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    assert (await client.delete(f"/api/posts/{post['id']}", headers=author.headers)).status_code == 204
    for url in urls(post):
        for who in (None, author, moderator):
            assert_404(await fetch(client, url, who))


async def test_a_held_posts_photos_reach_its_author_and_staff_privately(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other, moderator = await make_user(), await make_user(), await make_user("moderator")
    post = await new_post(client, author)
    await hold(runtime, post)
    for url in urls(post):
        for who in (None, other):
            assert_404(await fetch(client, url, who))
        for who in (author, moderator):
            r = await fetch(client, url, who)
            assert r.status_code == 200 and r.headers["cache-control"] == PRIVATE


@pytest.mark.parametrize("state", ["public", "held", "hidden", "held+hidden", "deleted"])
async def test_media_answers_exactly_when_rest_shows_the_post(
    state: str, client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, other, official, moderator = (
        await make_user(),
        await make_user(),
        await make_user("official"),
        await make_user("moderator"),
    )
    post = await new_post(client, author)
    if "held" in state:
        await hold(runtime, post)
    if "hidden" in state:
        await hide(client, post, moderator)
    if state == "deleted":
        assert (await client.delete(f"/api/posts/{post['id']}", headers=author.headers)).status_code == 204
    anonymous_sees = (await client.get(f"/api/posts/{post['id']}")).status_code == 200
    for who in (None, author, other, official, moderator):
        rest = await fetch(client, f"/api/posts/{post['id']}", who)
        for url in urls(post):
            r = await fetch(client, url, who)
            assert (r.status_code == 200) == (rest.status_code == 200), (state, who, r.status_code)
            if r.status_code == 200 and who is None:
                assert r.headers["cache-control"] == PUBLIC
            elif r.status_code == 200:
                assert r.headers["cache-control"] == ("no-store" if anonymous_sees else PRIVATE)
            else:
                assert_404(r)


async def test_a_photo_shared_by_two_posts_follows_the_visible_one(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    author, moderator = await make_user(), await make_user("moderator")
    photo = samples.phone_jpeg(5, size=(800, 600))
    first, second = await new_post(client, author, photo), await new_post(client, author, photo)
    assert urls(first) == urls(second)  # stored once, one key for both posts
    await hide(client, first, moderator)
    for url in urls(first):
        r = await fetch(client, url, None)
        assert r.status_code == 200 and r.headers["cache-control"] == PUBLIC
    await hide(client, second, moderator)
    for url in urls(first):
        assert_404(await fetch(client, url, None))


async def test_a_proof_photo_follows_its_post(
    client: httpx.AsyncClient, make_user: MakeUser, runtime: Runtime
) -> None:
    author, official, moderator = await make_user(), await make_user("official"), await make_user("moderator")
    post = await new_post(client, author)
    processed = await runtime.photos.process(samples.phone_jpeg(7, size=(640, 480)))
    variants = await store.save_photo(runtime.storage, processed)
    photo = {"width": processed.width, "height": processed.height, "blurhash": None, "variants": variants}
    async with runtime.pool.acquire() as conn:
        await status_db.add_step(
            conn,
            post_id=post["id"],
            kind="status",
            actor_id=official.id,
            from_status="open",
            status="resolved",
            now=datetime.now(UTC),
            note="sudah",
            photo=photo,
        )
    proof = [runtime.storage.url(v["key"]) for v in variants.values()]
    for url in proof:
        assert (await fetch(client, url, None)).headers["cache-control"] == PUBLIC
    await hide(client, post, moderator)
    for url in proof:
        assert_404(await fetch(client, url, None))
        assert (await fetch(client, url, moderator)).headers["cache-control"] == PRIVATE


async def test_keys_of_no_post_and_path_like_keys_are_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    orphan = "ab/" + "ab" * 32 + ".jpg"
    await runtime.storage.write(
        orphan, b"\xff\xd8 not really a jpeg", "image/jpeg"
    )  # stored, no post uses it
    for path in (
        "/media/" + orphan,
        "/media/ab/" + "0" * 64 + ".jpg",
        "/media/../pyproject.toml",
        "/media/%2e%2e/etc/passwd",
        "/media/ab/..%2f..%2fpyproject.toml",
        "/media//etc/passwd",
        "/media/AB/" + "A" * 64 + ".JPG",
        "/media/ab/" + "a" * 64 + ".jpg/",
        "/media/",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"


async def test_a_bad_token_is_a_401_whatever_the_key(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    post = await new_post(client, await make_user())
    bad = {"Authorization": "Bearer wrg_not-a-token"}
    for url in (urls(post)[0], "/media/ab/" + "0" * 64 + ".jpg"):
        r = await client.get(url, headers=bad)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert r.headers["cache-control"] == "no-store"


async def test_the_key_lookup_is_one_indexed_query(runtime: Runtime) -> None:
    key = "ab/" + "ab" * 32 + ".jpg"
    async with runtime.pool.acquire() as conn:
        plan = await photos_db.explain_posts_of_key(conn, key)
        assert await photos_db.posts_of_key(conn, key) == []
    assert "photos_variant_keys_idx" in plan and "post_steps_photo_keys_idx" in plan, plan
