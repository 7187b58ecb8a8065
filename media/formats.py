"""Which photo formats we accept, told from the bytes alone (never the file name or Content-Type).

`sniff` names the accepted format, so only that one Pillow decoder ever runs; `describe` names a few common
refused types so the 415 message can say what was sent.
"""

from __future__ import annotations

# Pillow format id for each accepted kind. "HEIF" is registered by pillow-heif (media.pipeline does that).
PILLOW_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}

# ISO-BMFF brands of HEIF stills as phones write them (HEVC-coded). AVIF ("avif"/"avis") is not accepted.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

_REFUSED = [
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"BM", "BMP"),
    (b"SIMPLE  =", "FITS"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"PK\x03\x04", "ZIP"),
]


def sniff(head: bytes) -> str | None:
    """'jpeg', 'png', 'webp' or 'heic' from the first bytes of a file, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and _is_heic(head):
        return "heic"
    return None


def _is_heic(head: bytes) -> bool:
    # ftyp box: size(4) 'ftyp' major(4) minor(4) compatible brands(4 each) up to the box size.
    size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
    if b"avif" in brands or b"avis" in brands:
        return False
    return any(b in _HEIC_BRANDS for b in brands)


def describe(head: bytes) -> str:
    """A human name for a refused file, for the 415 message."""
    for magic, name in _REFUSED:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "an ISO media file (" + head[8:12].decode("ascii", "replace") + ")"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg")) or b"<svg" in text:
        return "SVG"
    if text.startswith((b"<!doctype", b"<html")):
        return "HTML"
    if head and all(32 <= c < 127 or c in b"\t\r\n" for c in head):
        return "text"
    return "an unknown type"
