"""One error class, one JSON shape: {"error": {"code", "message", "fields"}} with a 4xx status."""

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


def render(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.message, exc.fields), status_code=exc.status, headers=exc.headers
    )


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return render(exc)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return render(ApiError(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})))


async def database_down_handler(request: Request, exc: Exception) -> JSONResponse:
    # The database restarting or unreachable: refuse plainly so clients retry; nothing was written.
    log.warning("database unavailable: %s", type(exc).__name__)
    return render(
        ApiError(503, "unavailable", "The database is unavailable; try again.", headers={"Retry-After": "1"})
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
    return JSONResponse(error_body("internal", "Internal server error."), status_code=500)


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
