"""Shared replay: subscriptions catch up from one snapshot read, each getting what its own query would."""

from __future__ import annotations

import asyncio
import random

import pytest

from db import events as events_db
from kernel.geo import bbox
from realtime import replay
from realtime.protocol import Subscribe
from realtime.replay import Replayer
from tests.realtime_client import emit, fake_post
from warga.runtime import Runtime

JAKARTA = (-6.30, -6.10, 106.72, 106.95)


async def _seed(runtime: Runtime, n: int) -> list[int]:
    rng = random.Random(4)
    seqs = []
    for i in range(n):
        post = fake_post(rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:]))
        post["id"] = i + 1
        seqs.append(await emit(runtime.pool, "post.created", post, area_ids=(1 + i % 3, 10)))
    return seqs


def _requests(seqs: list[int]) -> list[Subscribe]:
    rng = random.Random(8)
    out = []
    for i in range(60):
        since = rng.choice([None, seqs[0] - 1, seqs[len(seqs) // 2], seqs[-1], rng.choice(seqs)])
        kind = ("near", "area", "moderation")[i % 3]
        lat, lon = rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])
        out.append(
            Subscribe(f"s{i}", kind, lat, lon, rng.choice([300.0, 2000.0, 10000.0]), 1 + i % 4, since=since)
        )
    return out


async def _own_query(runtime: Runtime, r: Subscribe, limit: int) -> list[int]:
    async with runtime.pool.acquire() as conn:
        floor, head = await events_db.replay_window(conn)
        if r.since is None or not floor <= r.since < head:
            return []
        if r.kind == "near":
            rows = await events_db.after_in_box(conn, r.since, *bbox(r.lat, r.lon, r.radius_m + 1.0), limit)
        elif r.kind == "area":
            rows = await events_db.after_in_areas(conn, r.since, [r.area_id], limit)
        else:
            rows = await events_db.after(conn, r.since, limit)
    return [row["id"] for row in rows]


@pytest.mark.parametrize("shared_max", [replay.SHARED_MAX, 5])
async def test_concurrent_requests_share_one_read_and_get_what_their_own_query_gives(
    runtime: Runtime, shared_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # shared_max=5: the shared read is too big, so each request falls back to its own query in the snapshot.
    monkeypatch.setattr(replay, "SHARED_MAX", shared_max)
    seqs = await _seed(runtime, 40)
    requests = _requests(seqs)
    replayer = Replayer(runtime.pool, max_events=7)  # small, so some replays hit the resync limit (8 rows)
    windows = await asyncio.gather(*(replayer.window(r) for r in requests))
    assert replayer.reads == 1  # sixty subscriptions, one transaction
    for r, (floor, head, rows, _) in zip(requests, windows, strict=True):
        assert head == seqs[-1] and floor == 0
        assert [row["id"] for row in rows] == await _own_query(runtime, r, 8), r
    assert any(len(rows) == 8 for _, _, rows, _ in windows)  # the limit was exercised
    assert any(0 < len(rows) < 8 for _, _, rows, _ in windows)


async def test_requests_arriving_during_a_read_share_the_next_one(runtime: Runtime) -> None:
    seqs = await _seed(runtime, 5)
    replayer = Replayer(runtime.pool, max_events=100)
    first = asyncio.create_task(replayer.window(Subscribe("a", "moderation", since=seqs[0])))
    await asyncio.sleep(0)  # the first read has started with one request
    later = [Subscribe(f"b{i}", "moderation", since=seqs[i % 5] - 1) for i in range(20)]
    results = await asyncio.gather(*(replayer.window(r) for r in later))
    assert [row["id"] for row in (await first)[2]] == seqs[1:]
    assert replayer.reads == 2
    for r, (_, _, rows, _) in zip(later, results, strict=True):
        assert [row["id"] for row in rows] == [s for s in seqs if s > (r.since or 0)]
