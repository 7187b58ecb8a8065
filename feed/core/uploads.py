"""Reading a multipart body and turning its photos into stored variants: what every handler that takes
photos shares (a new report, a resolution's proof photo)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from feed.core.context import AppRuntime
from feed.core.errors import ApiError, invalid
from media import store
from media.errors import PhotoRejected

MAX_PHOTOS = 4  # per request; a handler may take fewer (a resolution takes one proof photo)
_MAX_FORM_FIELD_BYTES = 16 * 1024  # a 2000-character text is at most 8000 bytes of UTF-8


async def read_multipart(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    try:
        form = await request.form(max_files=MAX_PHOTOS, max_fields=20, max_part_size=_MAX_FORM_FIELD_BYTES)
    except HTTPException as exc:  # Starlette turns multipart parse errors into a 400 HTTPException
        if "Too many files" in str(exc.detail):
            raise invalid({"photo": f"at most {MAX_PHOTOS} photos"}) from None
        raise ApiError(400, "bad_multipart", f"Malformed multipart body: {exc.detail}") from None
    data: dict[str, Any] = {}
    uploads: list[UploadFile] = []
    errors: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == "photo":
            if isinstance(value, UploadFile):
                uploads.append(value)
            else:
                errors["photo"] = "must be a file"
        elif isinstance(value, UploadFile):
            errors[key] = "must not be a file"
        elif key in data:
            errors[key] = "given more than once"
        else:
            data[key] = value
    if errors:
        raise invalid(errors)
    return data, uploads


async def process_photo(runtime: AppRuntime, upload: UploadFile) -> tuple[Any, dict[str, Any]]:
    limit = runtime.settings.max_photo_bytes
    if upload.size is not None and upload.size > limit:
        raise ApiError(
            413, "photo_too_large", f"A photo may be at most {limit} bytes.", {"photo": "too large"}
        )
    data = await upload.read()
    try:
        processed = await runtime.photos.process(data)
    except PhotoRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message, {"photo": exc.message}) from None
    variants = await store.save_photo(runtime.storage, processed)
    return processed, variants
