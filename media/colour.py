"""Colour described without an ICC profile: a HEIC's nclx box (primaries, white point, transfer curve) turned
into a small ICC v2 profile, so LittleCMS converts it to sRGB like any tagged photo. Without this, a Display
P3 HEIC tagged by nclx (common on Android) would be published with dull, shifted colours.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

Matrix = list[list[float]]
_D50 = (0.9642, 1.0, 0.8249)
# Bradford cone response matrix: chromatic adaptation of the source white to the ICC connection space's D50.
_BRADFORD = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
_SRGB_CURVE = "srgb"
# ITU-T H.273 transfer_characteristics → curve. PQ (16) and HLG (18) are HDR: not converted (left as is).
_CURVES: dict[int, str | float] = {1: _SRGB_CURVE, 2: _SRGB_CURVE, 6: _SRGB_CURVE, 13: _SRGB_CURVE,
                                   14: _SRGB_CURVE, 15: _SRGB_CURVE, 4: 2.2, 5: 2.8, 8: 1.0}  # fmt: skip


def nclx_icc(nclx: Any) -> bytes | None:
    """An ICC profile for nclx colour that is not plain sRGB, or None (sRGB already, unknown, or HDR)."""
    if not isinstance(nclx, Mapping) or nclx.get("color_primaries") in (None, 1, 2):
        return None  # BT.709 primaries are sRGB's; 2 = unspecified, taken as sRGB
    curve = _CURVES.get(int(nclx.get("transfer_characteristics", 2)))
    if curve is None:
        return None
    try:
        xy = [
            (float(nclx[f"color_primary_{c}_x"]), float(nclx[f"color_primary_{c}_y"]))
            for c in ("red", "green", "blue", "white")
        ]
        return _profile(_colorants_d50(xy), curve)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _xyz(x: float, y: float) -> list[float]:
    return [x / y, 1.0, (1 - x - y) / y]


def _colorants_d50(xy: Sequence[tuple[float, float]]) -> Matrix:
    """RGB → XYZ(D50) matrix (columns = the primaries) from the chromaticities of R, G, B and white."""
    primaries = [_xyz(*p) for p in xy[:3]]
    m = [[primaries[col][row] for col in range(3)] for row in range(3)]
    white = _xyz(*xy[3])
    scale = _apply(_inverse(m), white)
    rgb_to_xyz = [[m[row][col] * scale[col] for col in range(3)] for row in range(3)]
    src_cone = _apply(_BRADFORD, white)
    d50_cone = _apply(_BRADFORD, list(_D50))
    ratio = [[d50_cone[i] / src_cone[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    adapt = _multiply(_inverse(_BRADFORD), _multiply(ratio, _BRADFORD))
    return _multiply(adapt, rgb_to_xyz)


def _apply(m: Matrix, v: Sequence[float]) -> list[float]:
    return [sum(m[i][k] * v[k] for k in range(3)) for i in range(3)]


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def _inverse(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    adj = [
        [e * i - f * h, c * h - b * i, b * f - c * e],
        [f * g - d * i, a * i - c * g, c * d - a * f],
        [d * h - e * g, b * g - a * h, a * e - b * d],
    ]
    return [[v / det for v in row] for row in adj]


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(v: Sequence[float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)


def _curve_tag(curve: str | float) -> bytes:
    if curve == _SRGB_CURVE:
        table = []
        for i in range(1024):
            v = i / 1023
            linear = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
            table.append(round(linear * 65535))
        return b"curv\0\0\0\0" + struct.pack(f">I{len(table)}H", len(table), *table)
    assert isinstance(curve, float)
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(curve * 256)) + b"\0\0"


def _profile(colorants: Matrix, curve: str | float) -> bytes:
    name = b"nclx colour"
    desc = (
        b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name + b"\0" + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    )
    trc = _curve_tag(curve)
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz_tag(_D50)),
        (b"rXYZ", _xyz_tag([colorants[r][0] for r in range(3)])),
        (b"gXYZ", _xyz_tag([colorants[r][1] for r in range(3)])),
        (b"bXYZ", _xyz_tag([colorants[r][2] for r in range(3)])),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body))
        + b"\0\0\0\0"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + b"".join(_s15(c) for c in _D50)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body
