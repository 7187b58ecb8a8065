"""The pipeline's results and limits: plain frozen dataclasses, so they pickle across the process pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Variant:
    """One stored rendition of a photo: encoded bytes free of metadata, sRGB, upright."""

    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo accepted by the pipeline.

    sha256 is of the uploaded bytes (the photo's identity: the same upload twice has the same hash); width and
    height are the upright original's; gps is (lat, lon) read from EXIF before stripping, or None.
    """

    sha256: str
    width: int
    height: int
    blurhash: str
    gps: tuple[float, float] | None
    variants: dict[str, Variant]


@dataclass(frozen=True)
class Limits:
    """What a worker enforces and produces; built from Settings in the parent, passed with each job."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    display_px: int = 1280
    thumb_px: int = 320
    display_quality: int = 80
    thumb_quality: int = 75

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(max_bytes=settings.max_photo_bytes, max_pixels=settings.max_photo_pixels)
