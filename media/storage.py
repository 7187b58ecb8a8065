"""Where photo variants live: one small interface, two backends (filesystem by default, or S3-compatible).

Keys are content addresses made by media.store (`ab/<sha256>.jpg`); a backend accepts no other key shape, so a
URL path can never walk out of the media folder or bucket.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from media.serving import PUBLIC_CACHE_CONTROL

KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp"}


def valid_key(key: str) -> bool:
    return bool(KEY.fullmatch(key))


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[-1]]


class Storage(ABC):
    """Content-addressed blob storage for photo variants."""

    def __init__(self, base_url: str = "") -> None:
        # WARGA_MEDIA_BASE_URL: a separate cookieless origin or CDN; default: served by warga under /media.
        self.base_url = base_url.rstrip("/") or "/media"

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def write(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, atomically: a reader sees the whole object or nothing."""

    @abstractmethod
    async def read(self, key: str) -> tuple[bytes, str] | None:
        """(bytes, content type), or None when absent or the key is not a media key."""

    async def close(self) -> None:
        return None


class FileStorage(Storage):
    def __init__(self, root: Path, base_url: str = "") -> None:
        super().__init__(base_url)
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    async def exists(self, key: str) -> bool:
        return valid_key(key) and await asyncio.to_thread(self.path(key).is_file)

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def read(self, key: str) -> tuple[bytes, str] | None:
        if not valid_key(key):
            return None
        try:
            data = await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            return None
        return data, content_type_of(key)

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        # Temp file in the same folder + rename: atomic on POSIX, so a crash never leaves half a photo
        # under a content address (which would then be "present" forever).
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class S3Storage(Storage):
    """Any S3-compatible store (AWS, MinIO, R2...). aiobotocore is imported only when this backend is used."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings.media_base_url)
        self.settings = settings
        self.bucket = settings.s3_bucket
        self._client: Any = None
        self._exit: Any = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        async with self._lock:
            if self._client is None:
                from aiobotocore.session import get_session  # optional dependency: pip install warga[s3]

                s = self.settings
                creator = get_session().create_client(
                    "s3",
                    endpoint_url=s.s3_endpoint_url or None,
                    region_name=s.s3_region or None,
                    aws_access_key_id=s.s3_access_key.reveal() if s.s3_access_key else None,
                    aws_secret_access_key=s.s3_secret_key.reveal() if s.s3_secret_key else None,
                )
                self._client = await creator.__aenter__()
                self._exit = creator.__aexit__
            return self._client

    async def exists(self, key: str) -> bool:
        if not valid_key(key):
            return False
        s3 = await self._s3()
        try:
            await s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        s3 = await self._s3()
        # A PUT is atomic in S3: the object appears whole or not at all. The headers travel with the object
        # so a bucket served directly (CDN origin) answers with them too — but a bucket served directly does
        # not know when a post is hidden: see docs/photos.md for what that deployment must do.
        await s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            # Brief, never `immutable`: the post may be hidden later (docs/photos.md "With a CDN or bucket").
            CacheControl=PUBLIC_CACHE_CONTROL,
        )

    async def read(self, key: str) -> tuple[bytes, str] | None:
        if not valid_key(key):
            return None
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise
        async with response["Body"] as body:
            data = await body.read()
        return data, content_type_of(key)

    async def close(self) -> None:
        if self._exit is not None:
            exit_, self._exit, self._client = self._exit, None, None
            await exit_(None, None, None)


def _is_missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def make_storage(settings: Any) -> Storage:
    if settings.s3_bucket:
        return S3Storage(settings)
    return FileStorage(settings.media_path, settings.media_base_url)
