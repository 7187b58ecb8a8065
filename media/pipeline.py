"""The photo pipeline as pure, synchronous Pillow code: bytes in, a ProcessedPhoto (or PhotoRejected) out.

Runs inside the process pool's workers (media.processor), never on the event loop. Order matters:
size check → format from the bytes → header-only pixel check → GPS read → reduced-scale decode → resize →
sRGB → orientation into the pixels → fresh images with no metadata → encode.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import sys
import warnings
from typing import Any

import blurhash
import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from media import colour, errors, formats
from media.errors import PhotoRejected
from media.photo import Limits, ProcessedPhoto, Variant

# HEIC: phones (iPhones) send it. Registering adds the "HEIF" format; we still open with formats=[...].
pillow_heif.register_heif_opener()

# Decoder failures on hostile or damaged bytes. Anything else escaping is a bug (the worker still maps it to
# a 4xx, see `run`, but the fuzz test calls `process_photo` directly to find such bugs).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError)

# EXIF orientation → the transpose that makes the pixels upright (as ImageOps.exif_transpose does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def check_size(data: bytes, limits: Limits) -> None:
    """Cheap checks on the raw bytes; the parent runs them too, before shipping bytes to a worker."""
    if not data:
        raise PhotoRejected(422, "photo_empty", "The photo is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        mib = limits.max_bytes / (1024 * 1024)
        raise errors.too_large(f"The photo is larger than {mib:g} MB.")


def process_photo(data: bytes, limits: Limits) -> ProcessedPhoto:
    """Validate, decode and re-encode one photo. Raises PhotoRejected for anything we will not store."""
    with warnings.catch_warnings():
        # Pillow warns about odd files (corrupt EXIF, possible bombs): the checks below decide, not warnings,
        # and a test run that turns warnings into errors must see the same outcome as production.
        warnings.simplefilter("ignore")
        return _process(data, limits)


def _process(data: bytes, limits: Limits) -> ProcessedPhoto:
    check_size(data, limits)
    kind = formats.sniff(data[:64])
    if kind is None:
        raise errors.unsupported(
            f"Photos must be JPEG, PNG, WebP or HEIC; this looks like {formats.describe(data[:64])}."
        )
    image = _open(data, kind, limits)
    try:
        return _render(image, data, kind, limits)
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:
        raise errors.too_large("The photo has too many pixels.") from None
    except MemoryError:
        raise errors.too_large("The photo needs too much memory to decode.") from None
    except _DECODE_ERRORS:
        raise errors.unreadable() from None
    finally:
        image.close()


def locate(data: bytes, limits: Limits) -> tuple[float, float] | None:
    """Only the GPS position of a photo, from its header (no pixel decoding): for showing the reporter where
    the photo says it was taken before they publish. Raises PhotoRejected like process_photo."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_size(data, limits)
        kind = formats.sniff(data[:64])
        if kind is None:
            raise errors.unsupported("Photos must be JPEG, PNG, WebP or HEIC.")
        image = _open(data, kind, limits)
        try:
            return read_gps(_exif(image))
        finally:
            image.close()


def run(data: bytes, limits: Limits) -> ProcessedPhoto:
    """The worker's entry point: process_photo, with any unforeseen error still answered as a 4xx."""
    try:
        return process_photo(data, limits)
    except PhotoRejected:
        raise
    except Exception as exc:  # a bug or a decoder corner case: refuse the photo, keep the worker
        print(f"warga photo worker: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        raise errors.unreadable() from None


def _open(data: bytes, kind: str, limits: Limits) -> Any:
    """Open (header only) with exactly the one decoder the bytes claim, and check the pixel count."""
    try:
        image = Image.open(io.BytesIO(data), formats=[formats.PILLOW_FORMAT[kind]])
    except Image.DecompressionBombError:
        raise errors.too_large("The photo has too many pixels.") from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        raise errors.unreadable() from None
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise errors.unreadable("The photo has no pixels.")
    if width * height > limits.max_pixels:
        image.close()
        raise errors.too_large(
            f"The photo is {width}x{height}; at most {limits.max_pixels / 1e6:g} megapixels are accepted."
        )
    return image


def _render(image: Any, data: bytes, kind: str, limits: Limits) -> ProcessedPhoto:
    exif = _exif(image)
    orientation = _orientation(exif)
    gps = read_gps(exif)
    icc = image.info.get("icc_profile") or colour.nclx_icc(image.info.get("nclx_profile"))
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width

    box = (limits.display_px, limits.display_px)
    if kind == "jpeg":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the display size: the big win on 12 MP.
        image.draft(image.mode, _draft_size(image.size, limits.display_px))
    image.seek(0)  # animated WebP/PNG, multi-image HEIC: the first frame only
    image.load()
    pixels = _plain_mode(image)
    pixels.thumbnail(box)
    pixels = _to_srgb(pixels, icc)
    if orientation in _UPRIGHT:
        pixels = pixels.transpose(_UPRIGHT[orientation])

    display = _fresh(pixels)
    thumb = display.copy()
    # From the display image, mostly by box-filter reduction (reducing_gap=1): 1 ms instead of 4 at 320 px,
    # and a 4x area average is a clean downscale for a thumbnail.
    thumb.thumbnail((limits.thumb_px, limits.thumb_px), reducing_gap=1.0)
    variants = {
        "display": _encode(display, limits.display_quality),
        "thumb": _encode(thumb, limits.thumb_quality),
    }
    return ProcessedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        blurhash=_blurhash(thumb),
        gps=gps,
        variants=variants,
    )


def _exif(image: Any) -> Image.Exif:
    """The EXIF block, or an empty one when it is damaged: bad metadata must not cost a good photo."""
    try:
        return image.getexif()
    except _DECODE_ERRORS:
        return Image.Exif()


def _draft_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    w, h = size
    scale = long_side / max(w, h)
    return max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def read_gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lon) from the EXIF GPS block, or None when absent, malformed, out of range or (0, 0)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef), b"S")
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef), b"W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, AttributeError, struct.error):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:  # phones write zeros when they had no fix
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value: Any, ref: Any, negative: bytes) -> float:
    d, m, s = (float(v) for v in value)
    if isinstance(ref, str):
        ref = ref.encode()
    sign = -1.0 if isinstance(ref, bytes) and ref[:1].upper() == negative else 1.0
    return sign * (d + m / 60 + s / 3600)


def _plain_mode(image: Any) -> Image.Image:
    """RGB, RGBA, L, LA or CMYK: modes the ICC step and the encoders understand. 16-bit is scaled to 8."""
    mode = image.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    if mode.startswith("I;16") or mode in ("I", "F"):
        scaled = image.convert("I") if mode != "F" else image
        return scaled.point(lambda v: v / 256 if mode != "F" else v * 255).convert("L")
    if mode == "PA" or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: Any) -> Image.Image:
    """sRGB pixels with no alpha: embedded ICC profiles are converted (Display P3, Adobe RGB, CMYK, grey)."""
    if isinstance(icc, bytes) and icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
            base = image.convert(image.mode[:-1] or "L") if alpha is not None else image
            converted = ImageCms.profileToProfile(base, source, _SRGB, outputMode="RGB")
            assert converted is not None
            if alpha is not None:
                converted.putalpha(alpha)
            image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: fall back to treating the pixels as sRGB
    if image.mode in ("RGBA", "LA"):
        white = Image.new("RGB", image.size, (255, 255, 255))
        white.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return white
    return image if image.mode == "RGB" else image.convert("RGB")


def _fresh(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no info dict, so no EXIF, XMP, ICC, comments can follow.
    (Resize and transpose copy `info` along, and Pillow's JPEG writer re-emits `info["comment"]` unasked:
    a polyglot hidden in a comment would survive a plain resize-and-save.)"""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean


def _encode(image: Image.Image, quality: int) -> Variant:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return Variant(out.getvalue(), "image/jpeg", image.width, image.height)


def _blurhash(thumb: Image.Image) -> str:
    """The placeholder, from a 32 px copy. Calls blurhash-python's C encoder on raw RGB bytes: its encode()
    builds a Python list of every pixel through Image.getdata, deprecated in Pillow 13."""
    small = thumb.copy()
    small.thumbnail((32, 32))
    x, y = (4, 3) if small.width >= small.height else (3, 4)
    pixels = small.convert("RGB").tobytes()
    ffi, lib = blurhash._ffi, blurhash._lib
    out = ffi.new("char[]", 2 + 4 + (9 * 9 - 1) * 2 + 1)
    rgb = ffi.from_buffer("uint8_t[]", pixels)
    result = lib.create_hash_from_pixels(x, y, small.width, small.height, rgb, small.width * 3, out)
    if result == ffi.NULL:
        raise ValueError("blurhash failed")
    return str(ffi.string(result).decode())
