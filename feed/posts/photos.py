"""GET /media/{key}: stored photo variants, served with media/'s safety and caching headers — only to a caller
who may see a post the photo belongs to, now (docs/photos.md "Who may fetch a photo").

The rule is REST's (core.privacy.visible_to), applied to every post the key belongs to (content addressing
stores the same bytes once, so one key can serve several posts, and a resolution's proof photo belongs to its
post's timeline):
- some post is visible to an anonymous reader -> 200, public and briefly cacheable (MEDIA_HEADERS);
- else some post is visible to the caller (a held post to its author; a hidden or held one to staff,
  identified by the Authorization bearer token) -> 200, `private, no-store`;
- else (hidden or deleted for this caller, or a key no post uses) -> 404 in the one error shape, no-store.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import photos as photos_db
from feed.core.auth import current_user
from feed.core.context import runtime_of
from feed.core.errors import ApiError
from feed.core.privacy import visible_to
from media.serving import MEDIA_HEADERS, PRIVATE_MEDIA_HEADERS
from media.storage import valid_key


def _not_found() -> ApiError:
    # A 404 here may turn into a 200 on unhide (or a staff member's fetch): no cache keeps it.
    return ApiError(404, "not_found", "No such photo.", headers={"Cache-Control": "no-store"})


async def media(request: Request) -> Response:
    runtime = runtime_of(request)
    key = request.path_params["key"]
    # A bad token is a 401 whatever the key, so the answer never tells a public photo from a withheld one.
    user = await current_user(request)
    # Keys are content-addressed names the store made (`ab/<sha256>.jpg`); anything else (path-like or not)
    # is refused before the database or the storage sees it.
    if not valid_key(key):
        raise _not_found()
    async with runtime.pool.acquire() as conn:
        owners = await photos_db.posts_of_key(conn, key)
    if any(visible_to(post, None) for post in owners):
        headers = MEDIA_HEADERS
    elif user is not None and any(visible_to(post, user) for post in owners):
        headers = PRIVATE_MEDIA_HEADERS
    else:
        raise _not_found()
    # Content-addressed: the key names the bytes, so it is a strong validator, and a revalidation (a CDN's,
    # every s-maxage) is answered after the visibility check above without reading the store.
    etag = '"' + key.rsplit("/", 1)[-1].split(".", 1)[0] + '"'
    if etag in _if_none_match(request):
        return Response(status_code=304, headers={**headers, "ETag": etag})
    found = await runtime.storage.read(key)
    if found is None:
        raise _not_found()
    data, content_type = found
    return Response(data, media_type=content_type, headers={**headers, "ETag": etag})


def _if_none_match(request: Request) -> set[str]:
    """The entity tags of If-None-Match (weak comparison, as RFC 9110 asks for it)."""
    header = request.headers.get("if-none-match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
