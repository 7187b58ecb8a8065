"""The garbage collector of a warga process: fewer, cheaper full collections, and their pauses measured.

A realtime process holds thousands of sockets, some 200 GC-tracked objects each. CPython 3.11 scans every
one of them in each full (generation 2) collection, and while a storm brings sockets back it runs one
every half second or so (the long-lived set keeps growing by its 25 %): at 5,000 sockets each took
100-300 ms, stalling every handshake and replay in flight. That was most of bench/storm.py's catch-up p99
(docs/bench-load.md). A larger first threshold makes young collections rarer (asyncio and websockets
allocate fast; almost all of it dies young, freed by reference counting), and a larger third one lets
full collections wait for far more young ones. Python's defaults are (700, 10, 10), and stay the
default: with (50000, 20, 100) a 30-minute soak of `warga serve` grew RSS 11.5 % (cyclic garbage waits
longer for a full collection) against 4.9 % with Python's; operators weigh that for realtime processes.

`freeze_startup()` moves what start-up allocated (modules, the app, the pools) into the permanent
generation, so no later collection scans it again (as Instagram's servers do; see `gc.freeze`).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from kernel import metrics

STORM = "50000,20,100"  # what docs/bench-load.md measured against Python's own


def parse(raw: str) -> tuple[int, int, int] | None:
    """`WARGA_GC_THRESHOLD`: three positive integers ("50000,20,100"), or "python" for Python's own."""
    if raw.strip().lower() == "python":
        return None
    parts = [p.strip() for p in raw.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or min(values) < 1:
        raise ValueError(f"three positive integers like {STORM!r}, or 'python'; got {raw!r}")
    return values[0], values[1], values[2]


def apply(raw: str) -> None:
    thresholds = parse(raw)
    if thresholds is not None:
        gc.set_threshold(*thresholds)
    if _record_pause not in gc.callbacks:
        gc.callbacks.append(_record_pause)


def freeze_startup() -> None:
    gc.collect()  # what start-up left as garbage goes now, not into the permanent generation
    gc.freeze()


_started = 0.0


def _record_pause(phase: str, info: dict[str, Any]) -> None:
    # Called by the collector around every collection, on the thread that triggered it.
    global _started
    if phase == "start":
        _started = time.perf_counter()
    else:
        metrics.gc_pauses.record(info["generation"], time.perf_counter() - _started)
