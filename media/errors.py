"""The one way the photo pipeline says no: PhotoRejected, carrying the HTTP status and error code."""

from __future__ import annotations


class PhotoRejected(Exception):
    """A photo we will not store: 413 (too big), 415 (not an accepted format) or 422 (unreadable, failed).

    It crosses the process-pool boundary, so it pickles through its args alone.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def too_large(message: str) -> PhotoRejected:
    return PhotoRejected(413, "photo_too_large", message)


def unsupported(message: str) -> PhotoRejected:
    return PhotoRejected(415, "photo_unsupported", message)


def unreadable(
    message: str = "The photo could not be read; it may be damaged or incomplete.",
) -> PhotoRejected:
    return PhotoRejected(422, "photo_unreadable", message)
