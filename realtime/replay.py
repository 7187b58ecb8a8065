"""Replay shared between subscriptions: one snapshot read serves every subscription waiting at that moment.

A reconnect storm is thousands of subscriptions asking "what did I miss after seq N?" within seconds. Read one
by one that is a transaction per subscription, so PostgreSQL's load would grow with the number of sockets.
Here requests queue; one read at a time per process takes every queued request: one REPEATABLE READ
transaction reads the window (floor, head) and the events after the smallest `since` among them, and each
request picks its own rows (its box, its area, or all) in memory. While a read runs the next requests queue
behind it, so a storm costs transactions in proportion to its duration over one read's time, not to its
sockets. Only when that shared read would pass SHARED_MAX rows (a request from long ago) does each request
get its own query — inside the same transaction, so on the same snapshot.

The gateway's order stays what makes replay exact: a subscription is registered for live events first, then
asks here; the snapshot is taken after that, so nothing can fall between the two.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from db import events as events_db
from kernel.geo import bbox
from realtime.protocol import Subscribe
from realtime.wire import Event

SHARED_MAX = 5000  # rows one shared read may return; past it, per-request queries (rare: a long absence)


class Now:
    """The state now of what some replayed events are about (one batched read): a replay or catch-up
    serves each event as its viewer may see it at delivery (kernel.visibility), not as it was at commit."""

    __slots__ = ("comments", "posts")

    def __init__(self, rows: list[Any]) -> None:
        self.posts = {r["id"]: r for r in rows if r["kind"] == "post"}
        self.comments = {r["id"]: r for r in rows if r["kind"] == "comment"}

    def apply(self, ev: Event) -> Event:
        if ev.post_id is None:
            return ev
        comment = self.comments.get(ev.comment_id) if ev.comment_id is not None else None
        return ev.as_now(self.posts.get(ev.post_id), comment)


async def current(conn: asyncpg.Connection, rows: list[Any]) -> Now:
    post_ids = {row["post_id"] for row in rows if row["post_id"] is not None}
    comment_ids = {c for c in map(_comment_id, rows) if c is not None}
    if not post_ids:
        return Now([])
    return Now(await events_db.current_states(conn, sorted(post_ids), sorted(comment_ids)))


def _comment_id(row: Any) -> int | None:
    payload = row["payload"]
    found = payload.get("comment_id")
    if found is None and isinstance(payload.get("comment"), dict):  # written before feed.core.outbox
        found = payload["comment"].get("id")
    return found if isinstance(found, int) else None


# (retention floor, head seq, replay rows in seq order, the state now of what they are about)
Window = tuple[int, int, list[Any], Now]


class Replayer:
    def __init__(self, pool: asyncpg.Pool, max_events: int) -> None:
        self._pool = pool
        self._limit = max_events + 1  # one more than allowed: the gateway tells "too many" (resync) by it
        self._queue: list[tuple[Subscribe, asyncio.Future[Window]]] = []
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # shared transactions so far (for tests and the storm bench's account)

    async def window(self, request: Subscribe) -> Window:
        """(floor, head, rows after request.since matching its kind's prefilter) from one shared snapshot."""
        future: asyncio.Future[Window] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._serve())
        return await future

    async def _serve(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._read([request for request, _ in batch])
            except Exception as exc:  # the database is down: every waiter hears it, as its own read would
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its socket may have gone meanwhile
                    future.set_result(result)

    async def _read(self, requests: list[Subscribe]) -> list[Window]:
        self.reads += 1
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            floor, head = await events_db.replay_window(conn)
            wanted = [r for r in requests if r.since is not None and floor <= r.since < head]
            rows: dict[int, list[Any]] = {}
            if wanted:
                low = min(r.since for r in wanted if r.since is not None)
                shared = await events_db.after(conn, low, SHARED_MAX + 1)
                for r in wanted:
                    if len(shared) <= SHARED_MAX:
                        rows[id(r)] = _pick(shared, r, self._limit)
                    else:
                        rows[id(r)] = await _own(conn, r, self._limit)
            now = await current(conn, [row for picked in rows.values() for row in picked])
        return [(floor, head, rows.get(id(r), []), now) for r in requests]


def _pick(shared: list[Any], r: Subscribe, limit: int) -> list[Any]:
    """What the request's own query would return, taken from the shared rows (same prefilter, same order)."""
    assert r.since is not None
    if r.kind == "near":
        min_lat, max_lat, min_lon, max_lon = _box(r)
        keep = (
            row
            for row in shared
            if row["id"] > r.since
            and row["lat"] is not None
            and row["lon"] is not None
            and min_lat <= row["lat"] <= max_lat
            and min_lon <= row["lon"] <= max_lon
        )
    elif r.kind in ("area", "agency"):
        keep = (row for row in shared if row["id"] > r.since and r.area_id in row["area_ids"])
    else:
        keep = (row for row in shared if row["id"] > r.since)
    picked = []
    for row in keep:
        picked.append(row)
        if len(picked) == limit:
            break
    return picked


async def _own(conn: asyncpg.Connection, r: Subscribe, limit: int) -> list[Any]:
    assert r.since is not None
    if r.kind == "near":
        return await events_db.after_in_box(conn, r.since, *_box(r), limit)
    if r.kind in ("area", "agency"):
        return await events_db.after_in_areas(conn, r.since, [r.area_id], limit)
    return await events_db.after(conn, r.since, limit)


def _box(r: Subscribe) -> tuple[float, float, float, float]:
    # A metre of slack: the box is only a prefilter, the gateway's exact distance filter follows.
    return bbox(r.lat, r.lon, r.radius_m + 1.0)
