"""The authorization matrix: every trust-relevant endpoint and websocket subscription, times every kind of
caller, times every kind of target -> the expected status, all checked against the running app (real
PostgreSQL, real sockets). Each cell gets fresh targets, so no cell depends on another.

Callers: anonymous, citizen A, citizen B, official of X (area L1), official of Y (area L3), moderator, admin,
suspended. Targets: own (the caller's post in X; for anonymous, someone else's), other's (citizen B's post
in X, or A's when the caller is B), hidden (other's, hidden by a moderator), other area (other's, in Y).
The expected statuses come from the rules in RULES (one row per endpoint), never from running the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from db import comments as comments_db
from db import posts as posts_db
from db import suspensions as suspensions_db
from feed.officials.routing import route_new_post
from kernel import geo
from tests.conftest import Account, MakeUser
from tests.officials_helpers import IN_L1, IN_L3, make_world
from tests.trust_helpers import authed, near, subscribe
from warga.runtime import Runtime

CALLERS = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "official_x",
    "official_y",
    "moderator",
    "admin",
    "suspended",
)
TARGETS = ("own", "others", "hidden", "other_area")
STAFF = {"moderator", "admin"}


@dataclass(frozen=True)
class Rule:
    method: str
    path: str  # {post}, {comment}, {user}, {anchor} are filled per cell
    ok: int
    who: str  # any | user | staff | author | merger | area_merger | …
    hidden: str = "404"  # for a hidden target: "404" for everyone, or "staff" (staff get `ok`, others 404)
    body: dict[str, Any] | None = None
    flagged: bool = False  # the target carries a pending flag first (queue resolution)


RULES = [
    Rule("GET", "/api/posts/{post}", 200, "any", hidden="staff"),
    Rule("GET", "/api/posts/{post}/comments", 200, "any", hidden="staff"),
    Rule("DELETE", "/api/posts/{post}", 204, "author", hidden="staff"),
    Rule("PUT", "/api/posts/{post}/vote", 200, "user"),
    Rule("DELETE", "/api/posts/{post}/vote", 200, "user"),
    Rule("POST", "/api/posts/{post}/comments", 201, "user", body={"text": "ikut"}),
    Rule("POST", "/api/posts/{post}/flag", 201, "user", hidden="staff", body={"reason": "spam"}),
    Rule("POST", "/api/comments/{comment}/flag", 201, "user", hidden="staff", body={"reason": "abuse"}),
    Rule("DELETE", "/api/comments/{comment}", 204, "author", hidden="staff"),
    Rule("POST", "/api/posts/{post}/hide", 200, "staff", body={"reason": "x"}),
    Rule("POST", "/api/posts/{post}/unhide", 200, "staff"),
    Rule("POST", "/api/comments/{comment}/hide", 200, "staff", body={"reason": "x"}),
    Rule(
        "POST",
        "/api/moderation/queue/post/{post}",
        200,
        "staff",
        body={"action": "dismiss", "reason": "x"},
        flagged=True,
    ),
    Rule("POST", "/api/posts/{post}/merge", 200, "merger", body={"into": "{anchor}"}),
    Rule("GET", "/api/posts/{post}/duplicates", 200, "area_merger"),
    Rule("POST", "/api/admin/users/{user}/suspend", 200, "suspender", body={"reason": "x", "days": 1}),
    Rule("GET", "/api/moderation/queue", 200, "staff"),
    Rule("GET", "/api/moderation/log", 200, "staff"),
    Rule("GET", "/api/appeals", 200, "staff"),
    Rule("POST", "/api/appeals/{appeal}/decision", 200, "staff", body={"decision": "upheld", "reason": "x"}),
    Rule("GET", "/api/feed?lat=-5.01&lon=120.01&radius_m=3000", 200, "any"),
    # The officials' endpoints (issue #5), as this matrix understands their rules.
    Rule("GET", "/api/posts/{post}/timeline", 200, "any", hidden="staff"),
    Rule("POST", "/api/posts/{post}/status", 200, "area_official", body={"status": "acknowledged"}),
    Rule("GET", "/api/officials/inbox", 200, "official_or_admin"),
    Rule("GET", "/api/admin/unrouted", 200, "admin"),
]


def expected(rule: Rule, caller: str, target: str) -> int:
    staff = caller in STAFF
    hidden = target == "hidden"
    if rule.who == "any":
        return 404 if hidden and not (rule.hidden == "staff" and staff) else rule.ok
    if caller == "anonymous":
        return 401
    if caller == "suspended":
        return 403
    if rule.who == "staff":
        return rule.ok if staff else 403
    if rule.who == "admin":
        return rule.ok if caller == "admin" else 403
    if rule.who == "official_or_admin":
        return rule.ok if caller in ("official_x", "official_y", "admin") else 403
    if rule.who == "area_official":
        # Admins act everywhere; officials on their own area's reports (X for official_x, Y for official_y).
        if hidden and not staff:
            return 404
        if caller == "admin":
            return rule.ok
        mine = (caller == "official_x" and target != "other_area") or (
            caller == "official_y" and target == "other_area"
        )
        return rule.ok if mine else 403
    if rule.who == "suspender":
        return rule.ok if staff and target != "own" else 403
    if rule.who == "area_merger":
        # Who may merge this one report: staff, and officials of its own area (X or Y).
        if caller.startswith("citizen"):
            return 403
        if hidden:
            return 404
        mine = (caller == "official_x") == (target != "other_area")
        return rule.ok if staff or mine else 403
    if rule.who == "merger":
        if caller.startswith("citizen"):
            return 403
        if hidden:
            return 404
        if staff:
            return rule.ok
        # Officials merge within their own areas: the anchor is in X.
        return rule.ok if caller == "official_x" and target != "other_area" else 403
    if hidden:
        return (
            rule.ok
            if rule.hidden == "staff" and staff and rule.who != "author"
            else (403 if rule.who == "author" and staff else 404)
        )
    if rule.who == "author":
        return rule.ok if target == "own" else 403
    return rule.ok  # who == "user"


@dataclass
class Cast:
    accounts: dict[str, Account | None]
    world: Any


async def cast(runtime: Runtime, make_user: MakeUser) -> Cast:
    w = await make_world(runtime, make_user)
    suspended = await make_user()
    async with runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE users SET suspended_until = now() + interval '7 days' WHERE id = $1", suspended.id
        )
    accounts: dict[str, Account | None] = {
        "anonymous": None,
        "citizen_a": w.citizen,
        "citizen_b": await make_user(),
        "official_x": w.lurah,
        "official_y": w.other,
        "moderator": await make_user("moderator"),
        "admin": w.admin,
        "suspended": suspended,
    }
    return Cast(accounts, w)


async def insert_post(
    runtime: Runtime, author_id: int, at: tuple[float, float], hidden: bool
) -> tuple[int, int]:
    """A post (routed to its area) with one comment by its author; hidden if asked: (post, comment)."""
    async with runtime.pool.acquire() as conn, conn.transaction():
        post_id = await posts_db.insert(
            conn,
            author_id=author_id,
            text="matrix",
            category="flood",
            lat=at[0],
            lon=at[1],
            pub_lat=at[0],
            pub_lon=at[1],
            cell9=geo.cell(*at, geo.FINE_RES),
            cell7=geo.cell(*at, geo.COARSE_RES),
        )
        await route_new_post(conn, runtime.settings, post_id, at[0], at[1], "flood", runtime.clock())
        comment_id = await comments_db.insert(conn, post_id, author_id, "matrix comment")
        await posts_db.add_comments(conn, post_id, 1)
        if hidden:
            await posts_db.set_hidden(conn, post_id, "matrix")
    return post_id, comment_id


async def run_cell(
    client: httpx.AsyncClient,
    runtime: Runtime,
    c: Cast,
    make_user: MakeUser,
    rule: Rule,
    caller: str,
    target: str,
) -> int:
    me = c.accounts[caller]
    other = c.accounts["citizen_a"] if caller == "citizen_b" else c.accounts["citizen_b"]
    assert other is not None
    author = me if target == "own" and me is not None else other
    post_id, comment_id = await insert_post(
        runtime, author.id, IN_L3 if target == "other_area" else IN_L1, target == "hidden"
    )
    anchor, _ = await insert_post(runtime, other.id, IN_L1, False)
    if rule.flagged:
        async with runtime.pool.acquire() as conn:
            await conn.execute(
                """INSERT INTO flags (target_type, target_id, post_id, user_id, reason, weight)
                   VALUES ('post', $1, $1, $2, 'spam', 1)""",
                post_id,
                other.id,
            )
    user_id = me.id if target == "own" and me is not None else (await make_user()).id
    appeal_id = await _appeal(runtime, make_user) if "{appeal}" in rule.path else 0
    path = rule.path.format(post=post_id, comment=comment_id, user=user_id, appeal=appeal_id)
    body = None
    if rule.body is not None:
        body = {k: (anchor if v == "{anchor}" else v) for k, v in rule.body.items()}
    headers = me.headers if me is not None else {}
    r = await client.request(rule.method, path, json=body, headers=headers)
    assert r.status_code < 500, (rule.path, caller, target, r.text)
    return r.status_code


async def _appeal(runtime: Runtime, make_user: MakeUser) -> int:
    """A fresh pending appeal of a fresh suspension (each cell decides its own)."""
    who = await make_user()
    async with runtime.pool.acquire() as conn, conn.transaction():
        suspension_id = await suspensions_db.suspend(
            conn, who.id, who.id, "matrix", datetime.now(UTC) + timedelta(days=1), False
        )
        appeal_id = await suspensions_db.insert_appeal(conn, suspension_id, who.id, "please")
    assert appeal_id is not None
    return appeal_id


async def test_http_matrix(client: httpx.AsyncClient, runtime: Runtime, make_user: MakeUser) -> None:
    c = await cast(runtime, make_user)
    cells = mismatches = 0
    report = []
    for rule in RULES:
        targets = TARGETS if "{" in rule.path else ("none",)
        for caller in CALLERS:
            for target in targets:
                got = await run_cell(client, runtime, c, make_user, rule, caller, target)
                want = expected(rule, caller, target if target != "none" else "others")
                cells += 1
                if got != want:
                    mismatches += 1
                    report.append(f"{rule.method} {rule.path} {caller} {target}: got {got}, want {want}")
    print(f"authz matrix (HTTP): {len(RULES)} endpoints, {cells} cells, {mismatches} mismatches")
    assert not report, "\n".join(report)
    assert cells == sum((len(TARGETS) if "{" in r.path else 1) * len(CALLERS) for r in RULES)


WS_EXPECTED = {
    # subscription: caller -> first reply (type, or error code)
    "near": {c: "subscribed" for c in CALLERS} | {"suspended": "bad_token"},
    # Area subscriptions are the officials' live inbox: officials of the area (or above) and admins only.
    "area": {c: "forbidden" for c in CALLERS}
    | {"official_x": "subscribed", "admin": "subscribed", "suspended": "bad_token"},
    "moderation": {c: "forbidden" for c in CALLERS}
    | {"moderator": "subscribed", "admin": "subscribed", "suspended": "bad_token"},
}


@pytest.mark.events
async def test_websocket_matrix(runtime: Runtime, make_user: MakeUser) -> None:
    c = await cast(runtime, make_user)
    targets = {"near": near(IN_L1), "area": {"area": c.world.area["L1"]}, "moderation": {"moderation": True}}
    cells = mismatches = 0
    report = []
    for kind, want_by_caller in WS_EXPECTED.items():
        for caller in CALLERS:
            me = c.accounts[caller]
            ws = await _open(runtime, me)
            try:
                if ws is None:
                    got = "bad_token"
                else:
                    reply = await subscribe(ws, "s", **targets[kind])
                    got = reply["type"] if reply["type"] == "subscribed" else reply["code"]
            finally:
                if ws is not None:
                    await ws.close()
            cells += 1
            if got != want_by_caller[caller]:
                mismatches += 1
                report.append(f"ws {kind} {caller}: got {got}, want {want_by_caller[caller]}")
    print(
        f"authz matrix (websocket): {len(WS_EXPECTED)} subscriptions, {cells} cells, {mismatches} mismatches"
    )
    assert not report, "\n".join(report)


async def _open(runtime: Runtime, me: Account | None) -> Any:
    if me is None:
        return await authed(runtime, None)
    from tests.realtime_client import WsClient, ws_url

    ws = await WsClient.open(ws_url(runtime))
    await ws.send({"type": "auth", "token": me.token})
    reply = await ws.recv()
    if reply["type"] == "authed":
        return ws
    assert reply["code"] == "bad_token"
    await ws.close()
    return None
