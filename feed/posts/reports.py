"""Posts: create (JSON or multipart with photos), read one, delete one's own; shared post-state helpers."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from db import follows as follows_db
from db import moderation as moderation_db
from db import photos as photos_db
from db import post_details as post_details_db
from db import posts as posts_db
from db import votes as votes_db
from feed.core import privacy
from feed.core.auth import User, current_user, require_user
from feed.core.context import AppRuntime, runtime_of
from feed.core.endpoint import convert, respond
from feed.core.errors import ApiError, invalid, not_found
from feed.core.outbox import emit
from feed.core.parse import json_value, no_unknown, path_id, read_json
from feed.core.privacy import lock_visible_post, visible_post
from feed.core.serialize import post_json
from feed.core.uploads import process_photo, read_multipart
from feed.officials.routing import route_new_post
from feed.posts.shapes import Located, NewPostBody
from feed.trust import duplicates, idempotency, spam
from kernel import geo
from kernel.categories import CATEGORIES, BadAttribute, check_attributes
from media.errors import PhotoRejected


@dataclass(frozen=True)
class NewPost:
    text: str
    category: str
    lat: float
    lon: float
    attributes: dict[str, Any] = field(default_factory=dict)  # checked (categories.check_attributes)
    address: str | None = None  # as typed (Open311 address_string)
    position_approximate: bool = False  # placed from the address (feed.officials.geocode), not measured


def public_position(
    category: str,
    lat: float,
    lon: float,
    post_id: int | None = None,
    *,
    settings: Any = None,
    key: bytes | None = None,
) -> tuple[float, float]:
    """Where the world sees a post. The one place that decides it: a sensitive category (settings) is moved
    to its post's fixed offset (feed.privacy; needs the post id and the fuzz key); others are exact."""
    if (
        settings is not None
        and key is not None
        and post_id is not None
        and privacy.is_sensitive(settings, category)
    ):
        return privacy.fuzzed(key, post_id, lat, lon, settings.fuzz_radius_m)
    return lat, lon


async def lock_open_post(conn: asyncpg.Connection, post_id: int) -> asyncpg.Record:
    """Lock a post that people may interact with (vote, comment): not deleted, hidden or held; else 404."""
    state = await posts_db.lock(conn, post_id)
    if state is None or any(state[k] is not None for k in ("deleted_at", "hidden_at", "held_at")):
        raise not_found("post")
    return state


# --- Create ----------------------------------------------------------------------------------------
def validate_new_post(data: dict[str, Any]) -> NewPost:
    """Check a new post's fields (NewPostBody; multipart parts arrive as text, an empty flag is false).
    With `location_from_photo` true and no lat/lon, the position is left NaN here and taken from the first
    photo's GPS by `position_from_photos` (docs/photos.md)."""
    if data.get("location_from_photo") == "":
        data = {**data, "location_from_photo": False}
    body = convert(data, NewPostBody)
    lat = lon = math.nan
    if not (body.location_from_photo and body.lat is None and body.lon is None):
        missing = {name: "required" for name in ("lat", "lon") if getattr(body, name) is None}
        if missing:
            raise invalid(missing)
        assert body.lat is not None and body.lon is not None
        lat, lon = body.lat, body.lon
    errors: dict[str, str] = {}
    attributes = _attributes(body.attributes, body.category, errors)
    if errors:
        raise invalid(errors)
    return NewPost(body.text, body.category, lat, lon, attributes)


def _attributes(raw: Any, category: Any, errors: dict[str, str]) -> dict[str, Any]:
    """Answers to the category's questions (GET /api/categories). Optional in the app; a client that sends
    `attributes` knows the questions, so it must answer the required ones. Multipart sends it as JSON text."""
    if raw is None or not isinstance(category, str) or category not in CATEGORIES:
        return {}
    if isinstance(raw, str):
        try:
            raw = json_value(raw)  # bounded: nesting or huge integers are a ValueError, never a 500
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        errors["attributes"] = "must be an object of attribute code to answer"
        return {}
    try:
        return check_attributes(category, raw)
    except BadAttribute as exc:
        errors[f"attributes.{exc.code}"] = exc.problem
        return {}


def position_from_photos(new: NewPost, photos: list[Any]) -> NewPost:
    """Fill a post's position from its first GPS-tagged photo (read before the metadata was stripped)."""
    if not math.isnan(new.lat):
        return new
    for processed, _ in photos:
        if processed.gps is not None:
            lat, lon = processed.gps
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return replace(new, lat=lat, lon=lon)
    raise invalid(
        {"location_from_photo": "no photo carries a GPS position; send lat and lon"},
        "The photos have no location.",
    )


async def locate_photo(request: Request) -> Response:
    """Preview for location_from_photo: where does this photo say it was taken? Nothing is stored, so the
    reporter can confirm (or move) the position on the map before publishing."""
    try:
        runtime = runtime_of(request)
        user = await require_user(request)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
            raise ApiError(415, "unsupported_media_type", "Send multipart/form-data with one `photo`.")
        data, uploads = await read_multipart(request)
        no_unknown(data, set())
        if len(uploads) != 1:
            raise invalid({"photo": "send exactly one photo"})
        await runtime.limits.check(request, "upload", user.id)
        limit = runtime.settings.max_photo_bytes
        if uploads[0].size is not None and uploads[0].size > limit:
            raise ApiError(
                413, "photo_too_large", f"A photo may be at most {limit} bytes.", {"photo": "too large"}
            )
        try:
            gps = await runtime.photos.locate(await uploads[0].read())
        except PhotoRejected as exc:
            raise ApiError(exc.status, exc.code, exc.message, {"photo": exc.message}) from None
        if gps is None:
            raise ApiError(422, "no_location", "This photo carries no GPS position.", {"photo": "no GPS"})
        return respond(Located(gps[0], gps[1]))
    finally:
        await request.close()


async def create(request: Request) -> Response:
    try:
        return await _create(request)
    finally:
        await request.close()  # uploaded photos are spooled to temporary files; release them


async def _create(request: Request) -> Response:
    runtime = runtime_of(request)
    user = await require_user(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    uploads: list[UploadFile] = []
    if kind == "application/json":
        data = await read_json(request, runtime.settings.max_json_bytes)
    elif kind == "multipart/form-data":
        data, uploads = await read_multipart(request)
    else:
        raise ApiError(415, "unsupported_media_type", "Send application/json or multipart/form-data.")
    new = validate_new_post(data)
    key = idempotency.key_of(request)
    rhash = b""
    if key is not None:
        blobs = []
        for upload in uploads:  # the photos' bytes are part of "the same request"
            blobs.append(await upload.read())
            await upload.seek(0)
        rhash = idempotency.request_hash("POST /api/posts", data, blobs)
        replayed = await idempotency.stored(runtime, user.id, key, rhash)
        if replayed is not None:
            return replayed
    return await publish(request, runtime, user, new, uploads, key, rhash)


async def publish(
    request: Request,
    runtime: AppRuntime,
    user: User,
    new: NewPost,
    uploads: list[UploadFile],
    key: str | None = None,
    rhash: bytes = b"",
) -> Response:
    """The one creation pipeline after parsing (the app's POST /api/posts and Open311's POST requests):
    rate limits, photos, spam hold, privacy, routing, the outbox event."""
    # Rate limits (docs/trust.md): the verdict is fetched while the post is written and awaited before
    # anything commits, so its round trip adds no latency; a refused post rolls back. Photo posts wait for
    # it before the expensive part (decoding) instead.
    verdict = runtime.limits.begin(request, ["post"] + ["upload"] * len(uploads), user.id)
    try:
        if uploads:
            await verdict.wait()
        # Photos are decoded, re-encoded and stored before the transaction: slow work never holds a row
        # lock, and a rejected photo leaves nothing in the database (stored variants are content-addressed
        # and harmless if orphaned). They run side by side in the media process pool.
        photos = await asyncio.gather(*(process_photo(runtime, upload) for upload in uploads))
        new = position_from_photos(new, list(photos))

        async def work(conn: asyncpg.Connection) -> tuple[int, dict[str, Any], idempotency.Finish]:
            status, body, finish = await _insert_post(conn, runtime, user, new, photos)

            async def checked(conn: asyncpg.Connection) -> None:
                await verdict.wait()
                await finish(conn)

            return status, body, checked

        return await idempotency.once(runtime, user.id, key, rhash, work)
    finally:
        verdict.close()


async def _insert_post(
    conn: asyncpg.Connection, runtime: AppRuntime, user: User, new: NewPost, photos: list[Any]
) -> tuple[int, dict[str, Any], idempotency.Finish]:
    """In the creating transaction: the post (held or published), its photos, suggestions; returns the
    answer and the step that appends its event (the last statement)."""
    hold = await spam.hold_reason(
        conn, runtime.settings, user, new.text, datetime.now(UTC), limits_on=runtime.limits.enabled
    )
    pub_lat, pub_lon = new.lat, new.lon  # sensitive posts move once their id is known (below)
    post_id = await posts_db.insert(
        conn,
        author_id=user.id,
        text=new.text,
        category=new.category,
        lat=new.lat,
        lon=new.lon,
        pub_lat=pub_lat,
        pub_lon=pub_lon,
        cell9=geo.cell(pub_lat, pub_lon, geo.FINE_RES),
        cell7=geo.cell(pub_lat, pub_lon, geo.COARSE_RES),
    )
    if privacy.is_sensitive(runtime.settings, new.category):
        key = await privacy.fuzz_key(runtime, conn)
        pub_lat, pub_lon = public_position(
            new.category, new.lat, new.lon, post_id, settings=runtime.settings, key=key
        )
        await posts_db.set_public_position(
            conn,
            post_id,
            pub_lat,
            pub_lon,
            geo.cell(pub_lat, pub_lon, geo.FINE_RES),
            geo.cell(pub_lat, pub_lon, geo.COARSE_RES),
        )
    if new.attributes or new.address is not None or new.position_approximate:
        await post_details_db.set_details(
            conn, post_id, new.attributes, new.address, new.position_approximate
        )
    await follows_db.add(conn, user.id, post_id)  # a reporter hears of their report's progress (notify/)
    # Routing by the EXACT position (not the public one): the area's officials own it from now.
    await route_new_post(conn, runtime.settings, post_id, new.lat, new.lon, new.category, runtime.clock())
    for position, (processed, variants) in enumerate(photos):
        await photos_db.insert(
            conn,
            post_id=post_id,
            position=position,
            sha256=processed.sha256,
            width=processed.width,
            height=processed.height,
            blurhash=processed.blurhash,
            variants=variants,
        )
    if hold is not None:
        await posts_db.set_held(conn, post_id, hold)
        await moderation_db.record(conn, None, "hold", "post", post_id, hold)
    row = await posts_db.get(conn, post_id)
    assert row is not None
    # The answer is the post JSON of the contract plus, only when they apply (so the common answer stays
    # exactly the post): possible_duplicates, held with its message, and the author's exact position.
    body: dict[str, Any] = post_json(row, runtime.storage)
    similar = await duplicates.suggest(conn, runtime, post_id, new.category, new.lat, new.lon)
    if similar:
        body["possible_duplicates"] = similar
    if privacy.is_fuzzed(row):
        body["exact"] = {"lat": new.lat, "lon": new.lon}
    if new.position_approximate:
        body["position_approximate"] = True
    if hold is not None:
        body["held"] = True
        body["message"] = spam.MESSAGE
        body["held_reason"] = hold

    async def finish(conn: asyncpg.Connection) -> None:
        if hold is not None:  # not public: moderators hear of it (feed.trust.queue), nobody nearby does
            await emit(conn, runtime.storage, "post.held", post_id, {"reason": hold})
        else:
            await emit(conn, runtime.storage, "post.created", post_id)

    return (202 if hold is not None else 201), body, finish


# --- Read and delete -------------------------------------------------------------------------------
async def get_post(request: Request) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await current_user(request)
    async with runtime.pool.acquire() as conn:
        row = await visible_post(conn, post_id, user)
        voted = user is not None and await votes_db.exists(conn, post_id, user.id)
        exact = await privacy.exact_for(conn, user, row)
    body = {**post_json(row, runtime.storage), "voted_by_me": voted}
    if exact is not None:  # a fuzzed post, asked by its author, the area's officials or staff
        body["exact"] = exact
    return respond(body)  # a PostDetail (feed/posts/shapes.py)


async def delete_post(request: Request) -> Response:
    runtime = runtime_of(request)
    post_id = path_id(request)
    user = await require_user(request)
    async with runtime.pool.acquire() as conn, conn.transaction():
        state = await lock_visible_post(conn, post_id, user)
        if state["author_id"] != user.id:
            raise ApiError(403, "forbidden", "Only the author may delete a post.")
        await posts_db.mark_deleted(conn, post_id)
        await emit(conn, runtime.storage, "post.deleted", post_id)
    return Response(status_code=204)
