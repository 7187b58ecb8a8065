"""One error class, one JSON shape: {"error": {"code", "message", "fields"}} with a 4xx status. The `message`
follows the request's Accept-Language (Indonesian or English, English without the header); `code` and
`fields` never change with it."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from kernel import logs

log = logging.getLogger("warga.http")
# Starlette hands every unhandled exception to unexpected_handler and then re-raises it to the server, whose
# logger would print the same traceback again, unbounded: drop that second record (kernel.logs).
logs.drop_relogged("uvicorn.error")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


# The top-level message in Indonesian, by code. English stays each raise's own sentence (it may name
# specifics: a limit, a status); a code missing here answers its English sentence in either language. The
# per-field problems stay English words (feed/core/endpoint.py `_invalid`, the handlers' `invalid({...})`):
# they are matched, not displayed, by clients; the web app says them in the user's language (js/i18n.js).
MESSAGES_ID = {
    "bad_request": "Permintaan tidak valid.",
    "bad_json": "Isi permintaan bukan JSON yang valid.",
    "bad_multipart": "Isi formulir tidak dapat dibaca.",
    "unauthorized": "Masuk dulu; sesi Anda tidak berlaku atau sudah berakhir.",
    "bad_credentials": "Nama pengguna atau kata sandi salah.",
    "forbidden": "Anda tidak berhak melakukan ini.",
    "suspended": "Akun Anda sedang ditangguhkan.",
    "not_found": "Tidak ditemukan.",
    "method_not_allowed": "Metode ini tidak diizinkan di sini.",
    "conflict": "Bertentangan dengan keadaan saat ini.",
    "handle_taken": "Nama pengguna itu sudah dipakai.",
    "already_flagged": "Anda sudah menandai ini.",
    "already_appealed": "Penangguhan ini sudah diajukan banding.",
    "already_decided": "Banding ini sudah diputuskan.",
    "already_merged": "Salah satu laporan ini sudah digabungkan.",
    "not_in_queue": "Ini tidak ada di antrean moderasi.",
    "not_suspended": "Akun ini tidak sedang ditangguhkan.",
    "not_closed": "Laporan ini masih terbuka.",
    "reopen_window_closed": "Laporan hanya dapat dibuka lagi dalam 14 hari.",
    "illegal_transition": "Status laporan tidak dapat diubah ke sana dari status sekarang.",
    "unknown_status": "Status tidak dikenal.",
    "idempotency_conflict": "Permintaan dengan kunci ini sedang diproses.",
    "idempotency_key_reused": "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
    "too_large": "Isi permintaan terlalu besar.",
    "unsupported_media_type": "Jenis isi permintaan tidak didukung.",
    "invalid": "Ada isian yang tidak valid.",
    "rate_limited": "Terlalu banyak permintaan; coba lagi sebentar lagi.",
    "unavailable": "Server sedang tidak tersedia; coba lagi.",
    "internal": "Terjadi kesalahan di server.",
    "photo_too_large": "Foto terlalu besar.",
    "photo_unsupported": "Foto harus berformat JPEG, PNG, WebP atau HEIC.",
    "photo_unreadable": "Foto tidak dapat dibaca; mungkin rusak atau tidak lengkap.",
    "photo_empty": "Foto kosong (0 byte).",
    "photo_failed": "Foto tidak dapat diproses; coba lagi atau pakai foto lain.",
    "photo_unavailable": "Pemrosesan foto sedang tidak berjalan; coba lagi.",
    "photo_timeout": "Foto terlalu lama diproses; coba foto yang lebih kecil.",
    "no_location": "Foto ini tidak membawa posisi GPS.",
    "too_many_subscriptions": "Terlalu banyak peramban untuk akun ini; hapus satu dulu.",
}


def language(request: Request | None) -> str:
    """ "id" or "en" from Accept-Language: the first of the two by the header's q order (ties: as listed);
    "en" without the header or when it names neither. `in` is Indonesian's old code."""
    header = request.headers.get("accept-language", "") if request is not None else ""
    best, best_q = "en", -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        code = {"id": "id", "in": "id", "en": "en"}.get(primary)
        if code is None:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q and q > 0:
            best, best_q = code, q
    return best


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers


def invalid(fields: dict[str, str], message: str = "Some fields are invalid.") -> ApiError:
    return ApiError(422, "invalid", message, fields)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def message_in(lang: str, code: str, english: str) -> str:
    return MESSAGES_ID.get(code, english) if lang == "id" else english


def render(exc: ApiError, request: Request | None = None) -> JSONResponse:
    """The error shape, its message in the request's language (English without a request)."""
    message = message_in(language(request), exc.code, exc.message)
    headers = {**(exc.headers or {}), "Vary": "Accept-Language"}
    return JSONResponse(error_body(exc.code, message, exc.fields), status_code=exc.status, headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return render(exc, request)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return render(ApiError(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})), request)


async def database_down_handler(request: Request, exc: Exception) -> JSONResponse:
    # The database restarting or unreachable: refuse plainly so clients retry; nothing was written.
    log.warning("database unavailable: %s", type(exc).__name__)
    return render(
        ApiError(503, "unavailable", "The database is unavailable; try again.", headers={"Retry-After": "1"}),
        request,
    )


class StreamBroken(Exception):
    """A streaming response failed after its status was sent. Raised, after logging the cause once, so the
    server drops the connection without the terminating chunk: a client sees a truncated body as an error
    (httpx: RemoteProtocolError, curl: exit 18), never as a complete answer. Its cause is what was logged,
    so it is itself never logged (kernel.logs.already_logged)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        logs.mark_logged(self)


def log_unhandled(exc: BaseException, what: str) -> None:
    """One bounded record per exception, however often it is re-raised (kernel.logs)."""
    if logs.already_logged(exc):
        return
    try:
        message = logs.bounded(str(exc), 300)
    except Exception:  # an exception whose __str__ fails still gets its line
        message = "<unprintable>"
    log.error(
        "unhandled %s %s: %s",
        type(exc).__name__,
        what,
        message,
        extra={"error": type(exc).__name__, "exc": logs.format_exception(exc)},
    )
    logs.mark_logged(exc)


async def unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log_unhandled(exc, f"on {request.method} {logs.bounded(request.url.path, 200)}")
    message = message_in(language(request), "internal", "Internal server error.")
    return JSONResponse(error_body("internal", message), status_code=500, headers={"Vary": "Accept-Language"})


DATABASE_DOWN: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.PostgresConnectionError,  # 08xxx, ConnectionDoesNotExistError among them
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,  # another backend crashed: the server restarts every session
    # asyncpg raises this from a connection whose server is shutting down mid-query ("cannot switch to
    # state …"): seen in bench/faults.py's PostgreSQL restart; the pool drops that connection.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
    TimeoutError,
)
