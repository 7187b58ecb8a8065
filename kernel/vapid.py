"""The server's VAPID key (RFC 8292): a P-256 key pair that signs every Web Push request, whose public half
the browser is given when it subscribes (GET /api/config). Kept as the private key's 32 raw bytes: made
once and stored (db.push.vapid_key), or WARGA_VAPID_PRIVATE_KEY (base64url raw, or PEM)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def fresh_private_key() -> bytes:
    return _raw(ec.generate_private_key(ec.SECP256R1()))


def configured_private_key(text: str) -> bytes:
    """WARGA_VAPID_PRIVATE_KEY as raw bytes: base64url of the 32-byte scalar, or a PEM private key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("WARGA_VAPID_PRIVATE_KEY: not a P-256 private key")
        return _raw(key)
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("WARGA_VAPID_PRIVATE_KEY: expected 32 bytes, base64url")
    return raw


def public_key(raw: bytes) -> str:
    """The public key as the browser's applicationServerKey wants it: base64url, uncompressed point."""
    point = (
        _key(raw)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point)


def signer(raw: bytes) -> Vapid02:
    return Vapid02(_key(raw))


def _key(raw: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def _raw(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(32, "big")
