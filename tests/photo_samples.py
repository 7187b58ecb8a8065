"""Photos for the media tests, made on the spot: phone-like JPEGs with EXIF (orientation, GPS),
colour-tagged photos (hand-built Adobe RGB / Display P3 ICC profiles), hostile files, and worker functions
that crash or hang.
"""

from __future__ import annotations

import io
import os
import random
import signal
import struct
import time
import zlib
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFilter

from media import pipeline
from media.photo import Limits, ProcessedPhoto

# Upright test pattern: four coloured quadrants, so any rotation or mirror shows.
TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT = (220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 230, 40)
JAKARTA = (-6.2088, 106.8456)  # Monas

# How to store pixels so that EXIF orientation n shows the upright pattern: the inverse of exif_transpose.
_STORE_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def pattern(size: tuple[int, int] = (400, 300)) -> Image.Image:
    w, h = size
    image = Image.new("RGB", size, TOP_LEFT)
    draw = ImageDraw.Draw(image)
    draw.rectangle((w // 2, 0, w, h // 2), fill=TOP_RIGHT)
    draw.rectangle((0, h // 2, w // 2, h), fill=BOTTOM_LEFT)
    draw.rectangle((w // 2, h // 2, w, h), fill=BOTTOM_RIGHT)
    return image


def quadrant_colours(image: Image.Image) -> list[tuple[int, ...]]:
    """The colours at the centres of the four quadrants: TL, TR, BL, BR."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    return [rgb.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]  # type: ignore[misc]


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def exif_bytes(orientation: int = 1, gps: tuple[float, float] | None = None) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "Serial 12345"
    exif[ExifTags.Base.Orientation] = orientation
    if gps is not None:
        lat, lon = gps
        block = exif.get_ifd(ExifTags.IFD.GPSInfo)
        block[ExifTags.GPS.GPSLatitudeRef] = "S" if lat < 0 else "N"
        block[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        block[ExifTags.GPS.GPSLongitudeRef] = "W" if lon < 0 else "E"
        block[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600, 4)
    return float(d), float(m), s


def phone_jpeg(
    orientation: int = 1,
    gps: tuple[float, float] | None = JAKARTA,
    size: tuple[int, int] = (400, 300),
    comment: bytes = b"taken on a test phone",
) -> bytes:
    """A JPEG whose upright look is pattern(size), stored rotated/mirrored for `orientation`, with EXIF GPS,
    XMP, a comment, an IPTC (APP13) block and an ICC profile: every kind of metadata we must strip."""
    upright = pattern(size)
    method = _STORE_AS[orientation]
    stored = upright if method is None else upright.transpose(method)
    out = io.BytesIO()
    stored.save(
        out,
        "JPEG",
        quality=92,
        exif=exif_bytes(orientation, gps),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret-xmp</rdf:RDF></x:xmpmeta>',
        comment=comment,
        icc_profile=srgb_icc(),
    )
    return insert_segment(
        out.getvalue(), 0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x08secretIP"
    )


def insert_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """A JPEG with one more marker segment right after SOI."""
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def jpeg_markers(jpeg: bytes) -> list[int]:
    """The marker codes of the segments before the image data (SOS)."""
    markers, i = [], 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        i += 2 + struct.unpack(">H", jpeg[i + 2 : i + 4])[0]
    return markers


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def small_samples() -> dict[str, bytes]:
    """Small valid JPEG, PNG, WebP (the seeds of the fuzz test)."""
    image = noisy((64, 48), seed=3)
    return {
        "jpeg": encode(image, "JPEG", quality=80, exif=exif_bytes(6, JAKARTA)),
        "png": encode(image, "PNG"),
        "webp": encode(image, "WEBP", quality=70),
    }


def noisy(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A photo-like image: smooth gradients and shapes under fine sensor-like noise."""
    rng = random.Random(seed)
    w, h = size
    base = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ],
    )
    draw = ImageDraw.Draw(base)
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(max(2, w // 30), max(3, w // 6))
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    base = base.filter(ImageFilter.GaussianBlur(max(1, w // 400)))
    grain = Image.frombytes("L", size, rng.randbytes(w * h)).convert("RGB")
    return Image.blend(base, grain, 0.06)


# -- hostile and refused files ------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, with a tiny (bogus) IDAT: a decompression-bomb header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF header is patched to claim width x height."""
    data = bytearray(encode(Image.new("RGB", (16, 16), (1, 2, 3)), "JPEG"))
    i = data.index(b"\xff\xc0")
    data[i + 5 : i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def many_frame_gif(frames: int) -> bytes:
    """A GIF with `frames` 1x1 frames, written by hand (fast even for 10,000 frames)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 10 ms delay
        + b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # image descriptor 1x1
        + b"\x02\x02\x44\x01\x00"  # LZW min code 2, one sub-block
    )
    return head + loop + frame * frames + b"\x3b"


def fits_file() -> bytes:
    card = b"SIMPLE  =                    T".ljust(80)
    cards = [card, b"BITPIX  =                    8".ljust(80), b"NAXIS   =                    0".ljust(80)]
    return (b"".join(cards) + b"END".ljust(80)).ljust(2880, b" ")


def psd_file() -> bytes:
    return b"8BPS\x00\x01" + b"\x00" * 6 + struct.pack(">HIIHH", 3, 16, 16, 8, 3) + b"\x00" * 64


def polyglot_jpeg() -> bytes:
    """A valid JPEG with HTML/JS in a comment segment: browsers that sniff could run it."""
    script = b"<html><script>alert(document.cookie)</script></html>"
    return insert_segment(encode(pattern((200, 150)), "JPEG", quality=90), 0xFE, script)


def bad_inputs() -> dict[str, tuple[bytes, int]]:
    """The issue's table: name → (bytes, expected status)."""
    jpeg = phone_jpeg(size=(800, 600))
    small = pattern((32, 32))
    return {
        "truncated JPEG": (jpeg[: len(jpeg) // 2], 422),
        "0 bytes": (b"", 422),
        "text renamed .jpg": (b"Banjir setinggi lutut di Jl. Kemang Raya\n" * 20, 415),
        "SVG": (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            415,
        ),
        "PDF": (encode(small, "PDF"), 415),
        "GIF": (encode(small, "GIF"), 415),
        "TIFF": (encode(small, "TIFF"), 415),
        "PSD": (psd_file(), 415),
        "BMP": (encode(small, "BMP"), 415),
        "FITS renamed .jpg": (fits_file(), 415),
        "PNG claiming 50,000 x 50,000": (png_header_only(50_000, 50_000), 413),
        "PNG claiming 7,000 x 7,000 (49 MP)": (png_header_only(7_000, 7_000), 413),
        "JPEG claiming 60,000 x 60,000": (jpeg_claiming(60_000, 60_000), 413),
        "10,000-frame GIF": (many_frame_gif(10_000), 415),
        "100 MB upload": (jpeg + b"\0" * (100 * 1024 * 1024), 413),
    }


# -- colour profiles: minimal ICC v2 matrix/TRC profiles, built by hand (Pillow can only make sRGB) ----------

# Primaries adapted to D50 (the ICC connection space), from the published colour-space definitions.
ADOBE_RGB = (
    (0.6097559, 0.3111242, 0.0194727),
    (0.2052401, 0.6256560, 0.0608902),
    (0.1492240, 0.0632197, 0.7448387),
)
DISPLAY_P3 = (
    (0.5151215, 0.2411751, -0.0010534),
    (0.2919959, 0.6922408, 0.0418791),
    (0.1571043, 0.0665841, 0.7840975),
)
_D50 = (0.9642, 1.0, 0.8249)


def icc_profile(name: str, primaries: tuple[tuple[float, float, float], ...], gamma: float) -> bytes:
    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(v: tuple[float, float, float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)

    text = name.encode("ascii")
    desc = (
        b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    )
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"cprt", b"text\0\0\0\0public domain\0"),
        (b"wtpt", xyz(_D50)),
        (b"rXYZ", xyz(primaries[0])),
        (b"gXYZ", xyz(primaries[1])),
        (b"bXYZ", xyz(primaries[2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + b"".join(s15(c) for c in _D50)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def adobe_rgb_icc() -> bytes:
    return icc_profile("Adobe RGB (1998) test", ADOBE_RGB, 563 / 256)


def display_p3_icc() -> bytes:
    return icc_profile("Display P3 test", DISPLAY_P3, 2.2)


def srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# -- worker functions for pool tests (module level, so a worker process can import them) ---------------------


def flaky_work(data: bytes, limits: Limits) -> ProcessedPhoto:
    """pipeline.run, except: b"CRASH" kills the worker, b"HANG" never returns, and b"GATE:<path>|<photo>"
    waits for <path> to exist, then processes <photo> (a test holds photos in the workers while it likes).
    """
    if data == b"CRASH":
        os.kill(os.getpid(), signal.SIGKILL)
    if data == b"HANG":
        time.sleep(3600)
    if data.startswith(b"GATE:"):
        path, _, data = data[5:].partition(b"|")
        while not Path(path.decode()).exists():
            time.sleep(0.01)
    return pipeline.run(data, limits)
