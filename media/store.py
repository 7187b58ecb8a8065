"""Saving a processed photo's variants under content addresses: the same bytes are stored once."""

from __future__ import annotations

import hashlib
from typing import Any

from media.photo import ProcessedPhoto, Variant
from media.storage import Storage

_EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp"}


def variant_key(variant: Variant) -> str:
    """`ab/<sha256 of the variant's bytes>.<ext>`: the key is the content, so a key never changes meaning."""
    digest = hashlib.sha256(variant.data).hexdigest()
    return f"{digest[:2]}/{digest}.{_EXTENSIONS[variant.content_type]}"


async def save_photo(storage: Storage, processed: ProcessedPhoto) -> dict[str, dict[str, Any]]:
    """Write the variants that are not stored yet; returns what photos.variants records."""
    info: dict[str, dict[str, Any]] = {}
    for name, variant in processed.variants.items():
        key = variant_key(variant)
        if not await storage.exists(key):
            await storage.write(key, variant.data, variant.content_type)
        info[name] = {
            "key": key,
            "width": variant.width,
            "height": variant.height,
            "type": variant.content_type,
        }
    return info
