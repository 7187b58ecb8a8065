"""Structured JSON logs, one object per line, with the request id of the request being served.

Secrets never reach a log line: tokens look like `wrg_...` and are masked wherever they appear, in case a
message ever quotes a header or a URL.

Every line is bounded (docs/operations.md, "Logs"): a message is cut to MAX_MESSAGE characters and a
traceback to its first and last frames, each line cut, so a request nested 900 deep (a RecursionError of
~900 frames) or an exception quoting a huge value logs a summary, not the request. An unhandled exception is
logged once, by feed.errors; uvicorn's own "Exception in ASGI application" for the same exception is dropped.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_TOKEN = re.compile(r"wrg_[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# Attributes every LogRecord has; anything else was passed in `extra=` and belongs in the JSON object.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


MAX_MESSAGE = 2000  # characters of a log message
MAX_TRACEBACK = 8000  # characters of a traceback, in all
MAX_TRACEBACK_LINE = 500  # characters of one of its lines (a frame's source line, an exception's message)
HEAD_CHUNKS, TAIL_CHUNKS = 8, 32  # a traceback's frames kept from its start (the entry) and end (the error)
_LOGGED = "__warga_logged__"


def redact(text: str) -> str:
    return _BEARER.sub(r"\1***", _TOKEN.sub("wrg_***", text))


def bounded(text: str, limit: int) -> str:
    """`text`, or its start and end with how much was cut between them."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 2)
    head, tail = keep // 4, keep - keep // 4
    return f"{text[:head]} […{len(text) - head - tail} characters cut…] {text[-tail:]}"


def format_exception(exc: BaseException) -> str:
    """A bounded, redacted traceback of `exc` (and its causes). Chunks (a frame, or an exception line) that
    repeat in a cycle, as in a recursion through several functions, are folded into one note; of what is
    left, the first HEAD_CHUNKS and last TAIL_CHUNKS are kept; each line is cut to MAX_TRACEBACK_LINE and
    the whole to MAX_TRACEBACK."""
    try:
        chunks = _fold_cycles(list(traceback.TracebackException.from_exception(exc).format()))
    except RecursionError:  # a cause chain too long to walk
        chunks = [f"{type(exc).__name__}: {exc!s}"]
    if len(chunks) > HEAD_CHUNKS + TAIL_CHUNKS:
        cut = len(chunks) - HEAD_CHUNKS - TAIL_CHUNKS
        chunks = [*chunks[:HEAD_CHUNKS], f"  [… {cut} frames cut …]\n", *chunks[-TAIL_CHUNKS:]]
    text = "".join(
        "\n".join(bounded(redact(line), MAX_TRACEBACK_LINE) for line in chunk.split("\n")) for chunk in chunks
    )
    return bounded(text.rstrip("\n"), MAX_TRACEBACK)


def _fold_cycles(chunks: list[str], longest: int = 8) -> list[str]:
    """`chunks` with each run that repeats the `n` chunks before it (n up to `longest`) replaced by a note.
    Python folds a frame repeated alone ("[Previous line repeated …]"); a cycle a → b → a → b it prints
    whole, ~1000 frames for a RecursionError."""
    out: list[str] = []
    i = 0
    while i < len(chunks):
        for n in range(1, longest + 1):
            if len(out) >= n and chunks[i : i + n] == out[-n:]:
                times = 0
                while chunks[i : i + n] == out[-n:]:
                    i += n
                    times += 1
                out.append(f"  [… the previous {n} frame(s) repeated {times} more times …]\n")
                break
        else:
            out.append(chunks[i])
            i += 1
    return out


def mark_logged(exc: BaseException) -> None:
    """Record that `exc` has been logged with its traceback, so it is not logged again."""
    try:
        setattr(exc, _LOGGED, True)
    except (AttributeError, TypeError):  # an exception type with __slots__: at worst logged twice
        pass


def already_logged(exc: BaseException | None) -> bool:
    return exc is not None and getattr(exc, _LOGGED, False) is True


class DropRelogged(logging.Filter):
    """On uvicorn's error logger: drops its "Exception in ASGI application" for an exception feed.core.errors
    already logged (Starlette re-raises every unhandled exception to the server after its handler ran)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not already_logged(exc)


_DROP_RELOGGED = DropRelogged()


def drop_relogged(logger_name: str = "uvicorn.error") -> None:
    logger = logging.getLogger(logger_name)
    if _DROP_RELOGGED not in logger.filters:
        logger.addFilter(_DROP_RELOGGED)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": bounded(redact(record.getMessage()), MAX_MESSAGE),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = bounded(redact(value), MAX_TRACEBACK) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)

    def formatException(self, ei: Any) -> str:  # logging.Formatter's name
        exc = ei[1]
        if isinstance(exc, BaseException):
            return format_exception(exc)
        return bounded(redact(super().formatException(ei)), MAX_TRACEBACK)


def configure(level: str = "info", stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    drop_relogged()
