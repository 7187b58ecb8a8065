"""Prometheus metrics: defined once here, updated by whichever part owns the number.

Names follow Prometheus conventions (base units, _total for counters). Nothing here carries a token, a
password or a user's text: labels are route templates, event types and close codes only.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.core import HistogramMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "warga_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
http_latency = Histogram(
    "warga_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["route", "method"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ws_open_sockets = Gauge("warga_ws_open_sockets", "Open websocket connections.", registry=REGISTRY)
ws_slow_closes = Counter(
    "warga_ws_slow_client_closes_total", "Sockets closed because they fell behind (4008).", registry=REGISTRY
)
ws_queue_drops = Counter(
    "warga_ws_queue_drops_total", "Events not delivered because a socket's queue was full.", registry=REGISTRY
)
ws_events_delivered = Counter(
    "warga_ws_events_delivered_total", "Event frames written to sockets.", registry=REGISTRY
)
ws_fanout_writes = Counter(
    "warga_ws_fanout_writes_total",
    "Socket writes of the fan-out, each carrying every frame one socket got in one turn of the event loop.",
    registry=REGISTRY,
)
relay_lag_seconds = Gauge(
    "warga_relay_lag_seconds",
    "Age of the oldest event in the relay's latest batch at the moment it was published.",
    registry=REGISTRY,
)
relay_published = Counter("warga_relay_published_total", "Events published by the relay.", registry=REGISTRY)
broker_reconnects = Counter(
    "warga_broker_reconnects_total", "Reconnections of the broker to Redis.", registry=REGISTRY
)
push_outcomes = Counter(
    "warga_push_outcomes_total",
    "Web Push requests by outcome (sent, retry, gone, failed, refused) and deliveries dropped unsent.",
    ["outcome"],
    registry=REGISTRY,
)
photo_queue = Gauge("warga_photo_queue", "Photos waiting for or in the processing pool.", registry=REGISTRY)
photo_seconds = Histogram(
    "warga_photo_processing_seconds",
    "Time from a photo's submission to its result, waiting for a worker included.",
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


class GcPauses:
    """warga_gc_pause_seconds: the cyclic collector's pauses by generation (warga/gctune.py records them).

    Not a prometheus_client Histogram: its lock is not reentrant, and a collection can start while that
    very lock is held (a scrape allocates under it), so observing from the collector's callback could
    deadlock. `record` only adds to lists, under the GIL; a scrape reads them."""

    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

    def __init__(self) -> None:
        self._counts = [[0] * (len(self.BUCKETS) + 1) for _ in range(3)]  # per generation; last = +Inf
        self._sums = [0.0, 0.0, 0.0]

    def record(self, generation: int, seconds: float) -> None:
        i = next((i for i, bound in enumerate(self.BUCKETS) if seconds <= bound), len(self.BUCKETS))
        self._counts[generation][i] += 1
        self._sums[generation] += seconds

    def describe(self) -> list[HistogramMetricFamily]:
        return [self._family()]

    def collect(self) -> list[HistogramMetricFamily]:
        family = self._family()
        for generation, counts in enumerate(self._counts):
            cumulative, total = [], 0
            for bound, n in zip((*self.BUCKETS, float("inf")), counts, strict=True):
                total += n
                cumulative.append((str(bound) if bound != float("inf") else "+Inf", total))
            family.add_metric([str(generation)], cumulative, self._sums[generation])
        return [family]

    @staticmethod
    def _family() -> HistogramMetricFamily:
        return HistogramMetricFamily(
            "warga_gc_pause_seconds",
            "Pauses of Python's cyclic garbage collector by generation (2 = full); all tasks wait them out.",
            labels=["generation"],
        )


gc_pauses = GcPauses()
REGISTRY.register(gc_pauses)


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def serve(port: int, host: str) -> Any:
    """/metrics on a port of its own, for processes without the HTTP API (realtime, relay). Returns the
    server; it runs in a daemon thread, so it never holds up the event loop."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return server
