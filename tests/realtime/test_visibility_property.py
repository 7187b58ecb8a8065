"""The one visibility rule, checked differentially (#18): random actions by random roles — posts (some held
for review, some fuzzed crime reports), comments, votes, hides and unhides, deletes, releases from the
queue, suspensions that hide a user's content, merges, status changes — while six viewers hold sockets: an
anonymous reader, the author, another citizen, the area's lurah, another area's official and a moderator.

After every step each socket has read up to a sentinel event, and every frame it received agrees with
what the REST API shows that viewer at that moment: the same post JSON (live) or the same private fields
(replayed, whose counts may be older), the exact position only where REST gives it, no moderators' reasons
for non-staff — or a tombstone. Sockets also reconnect with `since` after missing a few steps, and fresh
ones replay from `since: 0`. Hypothesis draws each walk's seed; it runs on the memory broker and on Redis.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from feed.app import build_app
from feed.officials import boundaries as areas_import
from feed.officials.admin import assign
from tests.conftest import Account
from tests.officials_helpers import AREAS, IN_L1, IN_L2
from tests.realtime_client import WsClient, emit, fake_post, new_user, ws_url
from warga.runtime import Runtime

EXAMPLES, STEPS = int(os.environ.get("WARGA_PROPERTY_EXAMPLES", 20)), 100  # 2,000 steps per broker
CENTER, RADIUS_M = IN_L1, 3000.0
SENTINEL_IDS = 1_000_000  # tests.realtime_client.fake_post's ids start here: no real post reaches them
LINKS = " http://a.example http://b.example http://c.example"  # past spam_max_links: held for review
_handles = itertools.count(1)


@dataclass(repr=False)
class Viewer:
    name: str
    account: Account | None
    subs: dict[str, dict[str, Any]]  # subscription id -> its target
    ws: WsClient | None = None
    last_seq: int = 0

    def __repr__(self) -> str:
        return f"Viewer({self.name})"

    @property
    def staff(self) -> bool:
        return self.account is not None and self.account.role in ("moderator", "admin")


@dataclass(repr=False)
class World:
    rt: Runtime
    http: httpx.AsyncClient
    area_l1: int
    citizens: list[Account]
    lurah: Account
    moderator: Account
    viewers: list[Viewer]
    posts: dict[int, Account] = field(default_factory=dict)  # post id -> author
    comments: dict[int, Account] = field(default_factory=dict)  # comment id -> author
    checked: int = 0  # frames compared
    steps: int = 0

    def __repr__(self) -> str:  # Hypothesis prints the fixture beside a failure
        return f"World({len(self.posts)} posts, {self.steps} steps, {self.checked} frames checked)"


async def _account(rt: Runtime, role: str) -> Account:
    handle = f"{role}{next(_handles)}v"
    user_id, token = await new_user(rt, handle, role)
    return Account(user_id, handle, role, token)


@pytest.fixture
async def walk(start_runtime: Any) -> Any:
    # Its own database and a replay limit above what one test writes: `since: 0` replays everything.
    # Holds come from links alone (not from the volume of posts a test makes).
    quiet = {"new_account_posts": 1_000_000, "spam_burst_posts": 1_000_000}
    async with start_runtime(replay_max_events=100_000, **quiet) as rt:
        async with rt.pool.acquire() as conn:
            await areas_import.import_areas(conn, AREAS)
            l1 = await conn.fetchval("SELECT id FROM areas WHERE code = 'L1'")
        author, citizen, third = [await _account(rt, "citizen") for _ in range(3)]
        lurah, other_official = await _account(rt, "citizen"), await _account(rt, "citizen")
        async with rt.pool.acquire() as conn:
            for who, code in ((lurah, "L1"), (other_official, "L3")):
                await assign(conn, who.handle, code)
                who.role = "official"
        moderator = await _account(rt, "moderator")
        near = {"near": {"lat": CENTER[0], "lon": CENTER[1], "radius_m": RADIUS_M}}
        viewers = [
            Viewer("anonymous", None, {"n": near}),
            Viewer("author", author, {"n": near}),
            Viewer("citizen", citizen, {"n": near}),
            Viewer("lurah", lurah, {"n": near, "a": {"area": l1}}),
            Viewer("other_official", other_official, {"n": near}),
            Viewer("moderator", moderator, {"n": near, "m": {"moderation": True}}),
        ]
        transport = httpx.ASGITransport(app=build_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield World(rt, http, l1, [author, citizen, third], lurah, moderator, viewers)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a 100-step walk over a live server would take ages
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**64 - 1))
async def test_every_frame_agrees_with_rest_for_its_viewer(walk: World, seed: int) -> None:
    """Hypothesis draws one seed per example and the walk draws its steps from it: the state machine is a
    live server over the network, which Hypothesis's (synchronous) RuleBasedStateMachine cannot drive, and
    draws made step by step from st.data() trip its replay checks when a step's outcome depends on the
    server. A failure names its seed and the steps before it; `@example(seed=…)` replays it."""
    w, data = walk, random.Random(seed)
    await _fresh_content(w)
    trace: list[str] = []
    for viewer in w.viewers:
        await _connect(w, viewer, since=None)
    try:
        for _ in range(STEPS):
            action = data.choice(ACTIONS)
            trace.append(action.__name__)
            await action(w, data)
            await _settle_and_check(w, live=True)
        for viewer in w.viewers:  # and everything this example wrote, replayed from the start
            await _replay_from_zero(w, viewer)
    except AssertionError as exc:
        raise AssertionError(f"seed {seed}, step {len(trace)}, last steps {trace[-8:]}: {exc}") from exc
    finally:
        for viewer in w.viewers:
            if viewer.ws is not None:
                await viewer.ws.close()
                viewer.ws = None
    w.steps += STEPS
    assert w.checked > 0


# Every example starts from no reports (users and areas stay): a replay from `since: 0` costs what one
# example wrote, not what all before it did.
CONTENT = (
    "events, votes, comments, photos, posts, flags, moderation_log, post_steps, post_escalations, "
    "post_assignments, idempotency_keys"
)


async def _fresh_content(w: World) -> None:
    async with w.rt.pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {CONTENT} CASCADE")
    w.posts.clear()
    w.comments.clear()
    for viewer in w.viewers:
        viewer.last_seq = 0


def test_the_walk_covers_every_action() -> None:
    """Every kind of action is in the walk (a new one must be added here to be drawn)."""
    names = {a.__name__ for a in ACTIONS}
    defined = {n for n, f in globals().items() if n.startswith("act_") and callable(f)}
    assert names == defined


# --- actions ------------------------------------------------------------------------------------------


async def act_post(w: World, data: random.Random) -> None:
    author = w.citizens[data.randint(0, 2)]
    category = data.choice(["flood", "crime", "garbage"])
    held = data.random() < 0.5
    at = data.choice([IN_L1, IN_L2])
    text = f"laporan {len(w.posts)} oleh {author.handle}" + (LINKS if held else "")
    body = {"text": text, "category": category, "lat": at[0], "lon": at[1]}
    r = await w.http.post("/api/posts", json=body, headers=author.headers)
    if r.status_code == 201:
        w.posts[r.json()["id"]] = author
    else:  # a suspended author
        assert r.status_code in (401, 403), r.text


async def act_comment(w: World, data: random.Random) -> None:
    post_id, who = _pick_post(w, data), w.citizens[data.randint(0, 2)]
    if post_id is None:
        return
    r = await w.http.post(f"/api/posts/{post_id}/comments", json={"text": "saya juga"}, headers=who.headers)
    assert r.status_code in (201, 401, 403, 404), r.text
    if r.status_code == 201:
        w.comments[r.json()["id"]] = who


async def act_vote(w: World, data: random.Random) -> None:
    post_id, who = _pick_post(w, data), w.citizens[data.randint(0, 2)]
    if post_id is not None:
        r = await w.http.put(f"/api/posts/{post_id}/vote", headers=who.headers)
        assert r.status_code in (200, 201, 401, 403, 404), r.text


async def act_hide(w: World, data: random.Random) -> None:
    post_id = _pick_post(w, data)
    verb = data.choice(["hide", "unhide"])
    if post_id is not None:
        body = {"reason": f"rahasia moderator {post_id}"} if verb == "hide" else {}
        r = await w.http.post(f"/api/posts/{post_id}/{verb}", json=body, headers=w.moderator.headers)
        assert r.status_code in (200, 404), r.text


async def act_hide_comment(w: World, data: random.Random) -> None:
    index = data.randint(0, 1_000)
    verb = data.choice(["hide", "unhide"])
    if w.comments:
        comment_id = sorted(w.comments)[-30:][index % min(30, len(w.comments))]
        body = {"reason": "alasan rahasia"} if verb == "hide" else {}
        r = await w.http.post(f"/api/comments/{comment_id}/{verb}", json=body, headers=w.moderator.headers)
        assert r.status_code in (200, 404), r.text


async def act_delete(w: World, data: random.Random) -> None:
    post_id = _pick_post(w, data)
    if post_id is not None:
        r = await w.http.delete(f"/api/posts/{post_id}", headers=w.posts[post_id].headers)
        assert r.status_code in (204, 401, 403, 404), r.text


async def act_release_or_reject(w: World, data: random.Random) -> None:
    post_id = _pick_post(w, data)
    action = data.choice(["restore", "hide"])
    if post_id is not None:
        body = {"action": action, "reason": "ditinjau"}
        r = await w.http.post(f"/api/moderation/queue/post/{post_id}", json=body, headers=w.moderator.headers)
        assert r.status_code in (200, 404, 409), r.text


async def act_status(w: World, data: random.Random) -> None:
    post_id = _pick_post(w, data)
    status = data.choice(["acknowledged", "in_progress", "resolved"])
    if post_id is not None:
        body: dict[str, Any] = {"status": status, "note": "ditangani"}
        r = await w.http.post(f"/api/posts/{post_id}/status", json=body, headers=w.lurah.headers)
        assert r.status_code in (200, 403, 404, 409, 422), r.text


async def act_merge(w: World, data: random.Random) -> None:
    first, second = _pick_post(w, data), _pick_post(w, data)
    if first is not None and second is not None and first != second:
        body = {"into": second}
        r = await w.http.post(f"/api/posts/{first}/merge", json=body, headers=w.lurah.headers)
        assert r.status_code in (200, 403, 404, 409, 422), r.text


async def act_suspend(w: World, data: random.Random) -> None:
    """The third citizen is suspended, content hidden, once per example at most (with a new one after)."""
    target = w.citizens[2]
    if data.randint(0, 3) != 0:
        return
    body = {"reason": f"penipuan oleh {target.handle}", "days": 1, "hide_content": True}
    r = await w.http.post(f"/api/admin/users/{target.id}/suspend", json=body, headers=w.moderator.headers)
    assert r.status_code in (200, 201, 409), r.text
    w.citizens[2] = await _account(w.rt, "citizen")


async def act_reconnect(w: World, data: random.Random) -> None:
    """A viewer drops off, misses a few steps, and comes back with `since`."""
    viewer = data.choice(w.viewers)
    assert viewer.ws is not None
    await viewer.ws.close()
    viewer.ws = None
    for _ in range(data.randint(1, 4)):
        action = data.choice(ACTIONS[:-2])
        await action(w, data)
        await _settle_and_check(w, live=True)  # the others, live; this one hears it all on its return
    await _connect(w, viewer, since=viewer.last_seq)


async def act_replay_from_zero(w: World, data: random.Random) -> None:
    await _replay_from_zero(w, data.choice(w.viewers))


ACTIONS = [
    act_post,
    act_post,
    act_comment,
    act_vote,
    act_hide,
    act_hide_comment,
    act_delete,
    act_release_or_reject,
    act_status,
    act_merge,
    act_suspend,
    act_reconnect,
    act_replay_from_zero,
]


def _pick_post(w: World, data: random.Random) -> int | None:
    """One of the recent posts (the walk carries over between examples)."""
    index = data.randint(0, 1_000)
    recent = sorted(w.posts)[-30:]
    return recent[index % len(recent)] if recent else None


# --- sockets, settling and the comparison ----------------------------------------------------------


async def _connect(w: World, viewer: Viewer, since: int | None) -> None:
    """Open the viewer's socket and subscribe; a `since` replay is checked like replayed frames."""
    ws = await WsClient.open(ws_url(w.rt))
    if viewer.account is not None:
        await ws.send({"type": "auth", "token": viewer.account.token})
        assert (await ws.recv())["type"] == "authed"
    for sub, target in viewer.subs.items():
        message: dict[str, Any] = {"type": "subscribe", "id": sub, **target}
        if since is not None:
            message["since"] = since
        await ws.send(message)
    viewer.ws = ws
    # Every subscription acknowledged (replayed frames may come between the acks) before the sentinel.
    rest, acked = RestView(w.http), set()
    while acked != set(viewer.subs):
        message = await ws.recv()
        if message["type"] == "subscribed":
            acked.add(message["id"])
            continue
        assert message["type"] == "event", (viewer.name, message)
        await _seen(w, rest, viewer, message, live=False)
    await _settle_and_check(w, live=since is None, only=viewer)


async def _replay_from_zero(w: World, viewer: Viewer) -> None:
    saved = viewer.ws
    viewer.ws = None
    try:
        await _connect(w, viewer, since=0)
    finally:
        assert viewer.ws is not None
        await viewer.ws.close()
        viewer.ws = saved


async def _settle_and_check(w: World, live: bool, only: Viewer | None = None) -> None:
    """Write a sentinel event every subscription hears, read each socket up to it on every subscription,
    and compare every frame read on the way with REST as that viewer sees it now."""
    sentinel = await emit(w.rt.pool, "post.created", fake_post(*CENTER), area_ids=(w.area_l1,))
    rest = RestView(w.http)
    for viewer in [only] if only is not None else w.viewers:
        if viewer.ws is None:
            continue
        waiting = set(viewer.subs)
        while waiting:
            message = await viewer.ws.recv()
            assert message["type"] == "event", (viewer.name, message)
            if message["post"]["id"] >= SENTINEL_IDS and message["seq"] >= sentinel:
                waiting.discard(message["sub"])
            await _seen(w, rest, viewer, message, live)


async def _seen(w: World, rest: RestView, viewer: Viewer, frame: dict[str, Any], live: bool) -> None:
    viewer.last_seq = max(viewer.last_seq, frame["seq"])
    if frame["post"]["id"] < SENTINEL_IDS:  # earlier sentinels come back in replays: no REST view of them
        await _agrees(rest, viewer, frame, live)
        w.checked += 1


class RestView:
    """What the REST API shows each viewer now, asked once per step."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._posts: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._comments: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}

    async def post(self, viewer: Viewer, post_id: int) -> dict[str, Any] | None:
        key = (viewer.name, post_id)
        if key not in self._posts:
            r = await self.http.get(f"/api/posts/{post_id}", headers=_headers(viewer))
            assert r.status_code in (200, 404), r.text
            self._posts[key] = r.json() if r.status_code == 200 else None
        return self._posts[key]

    async def comments(self, viewer: Viewer, post_id: int) -> dict[int, dict[str, Any]]:
        key = (viewer.name, post_id)
        if key not in self._comments:
            r = await self.http.get(f"/api/posts/{post_id}/comments?limit=100", headers=_headers(viewer))
            items = r.json()["items"] if r.status_code == 200 else []
            self._comments[key] = {c["id"]: c for c in items}
        return self._comments[key]


def _headers(viewer: Viewer) -> dict[str, str]:
    return viewer.account.headers if viewer.account is not None else {}


# What a post says and shows, which never changes; its state (status, counts, hidden, area) may have moved
# on since a replayed event, and later events of the same replay bring it up to date.
PRIVATE_FIELDS = ("text", "author", "photos", "lat", "lon", "category", "attributes")
STAFF_FIELDS = ("reason", "queue")


async def _agrees(rest: RestView, viewer: Viewer, frame: dict[str, Any], live: bool) -> None:
    where = (viewer.name, "live" if live else "replay", frame)
    post = frame["post"]
    shown = await rest.post(viewer, post["id"])
    if not viewer.staff:
        assert not set(STAFF_FIELDS) & frame.keys(), where
    if post.get("removed"):
        assert post == {"id": post["id"], "removed": True}, where  # a tombstone: ids only
        assert "exact" not in frame, where
        assert "comment" not in frame or frame["comment"].get("removed"), where
        return
    if set(post) == {"id", "merged_into"}:  # a merge, told in ids
        assert shown is None or shown["merged_into"] == post["merged_into"] or not live, where
    elif set(post) == {"id"}:  # a withdrawn comment's post
        assert frame.get("comment", {}).get("removed"), where
    else:
        assert shown is not None, ("a frame shows a post that REST withholds", where)
        expected = {k: v for k, v in shown.items() if k not in ("voted_by_me", "exact")}
        if live:
            assert post == expected, where
        else:
            assert {k: post[k] for k in PRIVATE_FIELDS} == {k: expected[k] for k in PRIVATE_FIELDS}, where
        assert frame.get("exact") == shown.get("exact"), where
    comment = frame.get("comment")
    if comment is not None and not comment.get("removed"):
        listed = await rest.comments(viewer, post["id"])
        assert comment["id"] in listed, ("a frame shows a comment that REST withholds", where)
        if live:
            assert comment == listed[comment["id"]], where
        else:
            assert (comment["text"], comment["author"]) == (
                listed[comment["id"]]["text"],
                listed[comment["id"]]["author"],
            ), where
