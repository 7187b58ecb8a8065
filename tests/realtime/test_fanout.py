"""Live fan-out over websockets, against a real gateway, relay and broker (memory and Redis)."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import socket
from typing import Any

import httpx

from db import events as events_db
from feed.app import build_app
from kernel.geo import distance_m
from tests.realtime_client import MONAS, WsClient, emit, fake_post, new_user, ws_url
from warga.runtime import Runtime

FAR = (-6.9, 107.6)  # Bandung: far from everything the tests post in Jakarta


async def sentinel(runtime: Runtime) -> int:
    """An event only the sentinel subscription hears; per-socket order makes it a 'done' marker."""
    return await emit(runtime.pool, "post.created", fake_post(*FAR, category="other"))


async def test_nearby_post_reaches_nearby_subscriber_only(rt: Runtime) -> None:
    near = await WsClient.open(ws_url(rt))
    far = await WsClient.open(ws_url(rt))
    await near.subscribe("s1", *MONAS, 1000)
    await far.subscribe("s1", MONAS[0] + 0.05, MONAS[1], 1000)  # ~5.5 km away
    for c in (near, far):
        await c.subscribe("done", *FAR, 100)
    post = fake_post(MONAS[0] + 0.001, MONAS[1])
    seq = await emit(rt.pool, "post.created", post)
    end = await sentinel(rt)
    got = await near.events_until("done", end)
    assert [(m["sub"], m["seq"], m["event"]) for m in got] == [
        ("s1", seq, "post.created"),
        ("done", end, "post.created"),
    ]
    assert got[0]["post"] == post and got[0]["type"] == "event"
    assert [m["sub"] for m in await far.events_until("done", end)] == ["done"]
    await near.close()
    await far.close()


async def test_vote_changed_is_pushed_as_post_updated(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500)
    post = fake_post(*MONAS)
    await emit(rt.pool, "post.created", post)
    seq = await emit(rt.pool, "vote.changed", {**post, "votes": 1})
    got = await c.events_until("s", seq)
    assert got[-1]["event"] == "post.updated" and got[-1]["cause"] == "vote.changed"
    assert got[-1]["post"]["votes"] == 1
    await c.close()


CATEGORIES = ["flood", "traffic", "garbage", "road_damage", "fire"]
JAKARTA = (-6.30, -6.10, 106.72, 106.95)


def _random_point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(JAKARTA[0], JAKARTA[1]), rng.uniform(JAKARTA[2], JAKARTA[3])


def _expected(sub: dict[str, Any], events: list[tuple[int, str, dict[str, Any]]]) -> list[int]:
    """Brute force: which seqs a subscription must get, by the rules in docs/realtime.md."""
    want = []
    for seq, type_, post in events:
        if post["hidden"] and type_ != "post.hidden":
            continue
        if sub["categories"] is not None and post["category"] not in sub["categories"]:
            continue
        if distance_m(sub["lat"], sub["lon"], post["lat"], post["lon"]) <= sub["radius"]:
            want.append(seq)
    return want


async def test_exactness_many_random_subscribers(rt: Runtime) -> None:
    """200 subscriptions at random points, radii (both cell resolutions) and category filters, against a
    brute-force expectation over 400 random events: nothing missing, nothing extra, no duplicate, in order."""
    rng = random.Random(20260311)
    clients, subs = [], []
    for i in range(100):
        client = await WsClient.open(ws_url(rt))
        clients.append(client)
        for j in range(2):
            lat, lon = _random_point(rng)
            radius = rng.choice([50.0, 300.0, 1000.0, 1500.0, 1500.1, 3000.0, 10000.0]) * rng.uniform(0.5, 1)
            categories = rng.choice([None, None, rng.sample(CATEGORIES, 2)])
            sub = {
                "client": i,
                "id": f"s{j}",
                "lat": lat,
                "lon": lon,
                "radius": radius,
                "categories": categories,
            }
            subs.append(sub)
            await client.subscribe(sub["id"], lat, lon, radius, categories)
        await client.subscribe("done", *FAR, 100)
    events: list[tuple[int, str, dict[str, Any]]] = []
    posts: list[dict[str, Any]] = []
    for _ in range(400):
        roll = rng.random()
        if posts and roll < 0.25:
            post = dict(rng.choice(posts))
            post["votes"] += 1
            type_ = "vote.changed"
        elif posts and roll < 0.32:
            post = dict(rng.choice(posts), hidden=True)
            type_ = "post.hidden"
        else:
            # Half the posts land right next to a subscriber so that most subscriptions hear something.
            if rng.random() < 0.5:
                s = rng.choice(subs)
                lat = s["lat"] + rng.uniform(-1, 1) * s["radius"] / 111_000
                lon = s["lon"] + rng.uniform(-1, 1) * s["radius"] / 111_000
            else:
                lat, lon = _random_point(rng)
            post = fake_post(lat, lon, rng.choice(CATEGORIES))
            type_ = "post.created"
        posts = [p for p in posts if p["id"] != post["id"]] + [post]
        events.append((await emit(rt.pool, type_, post), type_, post))
    end = await sentinel(rt)

    missing = extra = duplicates = disorder = 0
    heard = 0
    for i, client in enumerate(clients):
        got = await client.events_until("done", end)
        for sub in (s for s in subs if s["client"] == i):
            seqs = [m["seq"] for m in got if m["sub"] == sub["id"]]
            want = _expected(sub, events)
            heard += bool(want)
            missing += len(set(want) - set(seqs))
            extra += len(set(seqs) - set(want))
            duplicates += len(seqs) - len(set(seqs))
            disorder += sum(1 for a, b in itertools.pairwise(seqs) if a >= b)
        await client.close()
    assert (missing, extra, duplicates, disorder) == (0, 0, 0, 0)
    assert heard > 100  # the check is not vacuous: most subscriptions expected events


async def test_hidden_post_is_never_pushed_after_the_hide(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500)
    post = fake_post(*MONAS)
    created = await emit(rt.pool, "post.created", post)
    hidden = await emit(rt.pool, "post.hidden", {**post, "hidden": True}, reason="spam")
    await emit(rt.pool, "vote.changed", {**post, "hidden": True, "votes": 1})
    await emit(rt.pool, "comment.created", {**post, "hidden": True, "comments": 1}, comment={"id": 1})
    unhidden = await emit(rt.pool, "post.unhidden", {**post, "votes": 1, "comments": 1})
    got = await c.events_until("s", unhidden)
    assert [(m["seq"], m["event"]) for m in got] == [
        (created, "post.created"),
        (hidden, "post.hidden"),
        (unhidden, "post.unhidden"),
    ]
    assert got[1]["reason"] == "spam" and got[1]["post"]["hidden"] is True
    await c.close()


async def test_categories_filter(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500, categories=["fire"])
    await emit(rt.pool, "post.created", fake_post(*MONAS, category="flood"))
    fire = await emit(rt.pool, "post.created", fake_post(*MONAS, category="fire"))
    assert [m["seq"] for m in await c.events_until("s", fire)] == [fire]
    await c.close()


async def test_unsubscribe_stops_delivery(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 500)
    await c.subscribe("done", *FAR, 100)
    await c.send({"type": "unsubscribe", "id": "s"})
    assert await c.recv() == {"type": "unsubscribed", "id": "s"}
    await emit(rt.pool, "post.created", fake_post(*MONAS))
    end = await sentinel(rt)
    assert [m["sub"] for m in await c.events_until("done", end)] == ["done"]
    await c.close()


async def test_resume_with_since_has_no_gap_and_no_duplicate(rt: Runtime) -> None:
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 800)
    first = [await emit(rt.pool, "post.created", fake_post(*MONAS)) for _ in range(3)]
    got = await c.events_until("s", first[-1])
    last = got[-1]["seq"]
    await c.close()
    # While disconnected: three near, one far away.
    missed = [await emit(rt.pool, "post.created", fake_post(*MONAS)) for _ in range(3)]
    await emit(rt.pool, "post.created", fake_post(MONAS[0] + 0.1, MONAS[1]))
    c = await WsClient.open(ws_url(rt))
    ack = await c.subscribe("s", *MONAS, 800, since=last)
    assert ack["seq"] >= missed[-1]
    live = await emit(rt.pool, "post.created", fake_post(*MONAS))
    resumed = await c.events_until("s", live)
    assert [m["seq"] for m in resumed] == [*missed, live]
    await c.close()


async def test_since_older_than_retention_resyncs(rt: Runtime) -> None:
    await emit(rt.pool, "post.created", fake_post(*MONAS))
    seq = await emit(rt.pool, "post.created", fake_post(*MONAS))
    async with rt.pool.acquire() as conn:
        await events_db.set_counter(conn, "published", seq)  # the relay has them; make prune sure of it
        floor = await events_db.prune(conn, 0)
    assert floor >= seq
    c = await WsClient.open(ws_url(rt))
    await c.send(
        {
            "type": "subscribe",
            "id": "s",
            "near": {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500},
            "since": 1,
        }
    )
    assert (await c.recv())["type"] == "subscribed"
    assert await c.recv() == {"type": "resync", "sub": "s"}
    live = await emit(rt.pool, "post.created", fake_post(*MONAS))  # and it goes on live
    assert [m["seq"] for m in await c.events_until("s", live)] == [live]
    await c.close()


async def test_more_than_replay_limit_resyncs(start_runtime: Any) -> None:
    async with start_runtime(replay_max_events=3) as runtime:
        c = await WsClient.open(ws_url(runtime))
        ack = await c.subscribe("s", *MONAS, 500)
        for _ in range(5):
            await emit(runtime.pool, "post.created", fake_post(*MONAS))
        await c.close()
        c = await WsClient.open(ws_url(runtime))
        await c.send(
            {
                "type": "subscribe",
                "id": "s",
                "near": {"lat": MONAS[0], "lon": MONAS[1], "radius_m": 500},
                "since": ack["seq"],
            }
        )
        assert (await c.recv())["type"] == "subscribed"
        assert await c.recv() == {"type": "resync", "sub": "s"}
        await c.close()


async def test_moderation_and_area_subscriptions(rt: Runtime) -> None:
    """Moderation: staff only, hidden posts included. Area: officials of the area and admins (a citizen is
    refused), hidden posts excluded like everywhere but moderation."""
    _, citizen_token = await new_user(rt, f"warga{random.randrange(10**9)}")
    _, mod_token = await new_user(rt, f"mod{random.randrange(10**9)}", "moderator")
    _, admin_token = await new_user(rt, f"admin{random.randrange(10**9)}", "admin")
    citizen = await WsClient.open(ws_url(rt))
    await citizen.send({"type": "auth", "token": citizen_token})
    assert (await citizen.recv())["type"] == "authed"
    await citizen.send({"type": "subscribe", "id": "m", "moderation": True})
    assert (await citizen.recv())["code"] == "forbidden"
    await citizen.send({"type": "subscribe", "id": "a", "area": 77})
    assert (await citizen.recv())["code"] == "forbidden"
    await citizen.close()

    admin = await WsClient.open(ws_url(rt))
    await admin.send({"type": "auth", "token": admin_token})
    assert (await admin.recv())["user"]["role"] == "admin"
    await admin.send({"type": "subscribe", "id": "a", "area": 77})
    assert (await admin.recv())["type"] == "subscribed"
    mod = await WsClient.open(ws_url(rt))
    await mod.send({"type": "auth", "token": mod_token})
    assert (await mod.recv())["user"]["role"] == "moderator"
    await mod.send({"type": "subscribe", "id": "m", "moderation": True})
    assert (await mod.recv())["type"] == "subscribed"
    post = fake_post(*FAR)
    in_area = await emit(rt.pool, "post.created", post, area_ids=(77, 7))
    hidden = await emit(rt.pool, "vote.changed", {**post, "hidden": True}, area_ids=(77, 7))
    elsewhere = await emit(rt.pool, "post.created", fake_post(*FAR), area_ids=(78, 7))
    assert [m["seq"] for m in await mod.events_until("m", elsewhere)] == [in_area, hidden, elsewhere]
    last = await emit(rt.pool, "post.created", fake_post(*FAR), area_ids=(77,))
    # The admin sees the hidden post's update as REST shows staff a hidden post (kernel.visibility).
    assert [m["seq"] for m in await admin.events_until("a", last)] == [in_area, hidden, last]
    await admin.close()
    await mod.close()


async def test_slow_client_is_closed_with_4008_and_others_keep_receiving(start_runtime: Any) -> None:
    async with start_runtime(ws_queue_bytes=64 * 1024) as runtime:
        gateway = runtime.realtime.gateway
        fast = await WsClient.open(ws_url(runtime))
        await fast.subscribe("s", *MONAS, 500)
        # The slow one reads nothing: a tiny receive window and a one-message queue push back at once.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", gateway.port))
        slow = await WsClient.open(ws_url(runtime), sock=sock, max_queue=1)
        await slow.subscribe("s", *MONAS, 500)
        received: list[int] = []

        async def read_fast() -> None:
            while True:
                received.append((await fast.recv())["seq"])

        reader = asyncio.create_task(read_fast())
        big, seqs = "x" * 20_000, []
        # However much the kernel buffers, the slow socket's backlog eventually passes the limit.
        for _ in range(200):
            seqs += [await emit(runtime.pool, "post.created", fake_post(*MONAS, text=big)) for _ in range(10)]
            if any(client.closing for client in gateway._clients):
                break
        seqs.append(await emit(runtime.pool, "post.created", fake_post(*MONAS)))
        while seqs[-1] not in received:
            assert not reader.done(), "the fast client was cut off"
            await asyncio.sleep(0.01)
        reader.cancel()
        assert received == seqs  # the fast client lost nothing and waited for nobody
        assert await slow.closed_code() == 4008
        await fast.close()


async def test_two_subscriptions_with_the_same_id_on_many_sockets_share_one_frame(rt: Runtime) -> None:
    clients = [await WsClient.open(ws_url(rt)) for _ in range(5)]
    for c in clients:
        await c.subscribe("feed", *MONAS, 300)
    seq = await emit(rt.pool, "post.created", fake_post(*MONAS))
    frames = [(await c.events_until("feed", seq))[-1] for c in clients]
    assert all(f == frames[0] for f in frames) and frames[0]["seq"] == seq
    for c in clients:
        await c.close()


async def test_end_to_end_over_the_http_api(rt: Runtime) -> None:
    """Posts, votes, comments and a hide made over HTTP reach a nearby socket as the protocol says."""
    _, token = await new_user(rt, f"rina{random.randrange(10**9)}")
    _, mod_token = await new_user(rt, f"mod{random.randrange(10**9)}", "moderator")
    c = await WsClient.open(ws_url(rt))
    await c.subscribe("s", *MONAS, 1000)
    transport = httpx.ASGITransport(app=build_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        me = {"Authorization": f"Bearer {token}"}
        mod = {"Authorization": f"Bearer {mod_token}"}
        body = {"text": "Banjir di depan Monas", "category": "flood", "lat": MONAS[0], "lon": MONAS[1]}
        r = await http.post("/api/posts", json=body, headers=me)
        assert r.status_code == 201
        post = r.json()
        created = await c.recv()
        assert (created["event"], created["post"]) == ("post.created", post)
        assert (await http.put(f"/api/posts/{post['id']}/vote", headers=me)).status_code in (200, 201)
        voted = await c.recv()
        assert (voted["event"], voted["cause"], voted["post"]["votes"]) == ("post.updated", "vote.changed", 1)
        r = await http.post(f"/api/posts/{post['id']}/comments", json={"text": "Hati-hati"}, headers=me)
        assert r.status_code == 201
        commented = await c.recv()
        assert commented["event"] == "comment.created" and commented["comment"]["text"] == "Hati-hati"
        r = await http.post(f"/api/posts/{post['id']}/hide", json={"reason": "spam"}, headers=mod)
        assert r.status_code == 200
        hidden = await c.recv()
        # Ids only to non-staff: never the text, the photos or the moderator's reason.
        assert hidden["event"] == "post.hidden" and hidden["post"] == {"id": post["id"], "removed": True}
        assert "reason" not in hidden
        assert created["seq"] < voted["seq"] < commented["seq"] < hidden["seq"]
        # /api/config tells clients where the socket is.
        config = (await http.get("/api/config")).json()
        assert config["ws_url"] == f"ws://127.0.0.1:{rt.settings.effective_ws_port}/ws"
        # Never from the Host header, which a client can forge and a cache could keep.
        forged = await http.get("/api/config", headers={"Host": "evil.example"})
        assert forged.json()["ws_url"] == config["ws_url"]
    await c.close()


async def test_frames_of_every_length_encoding_arrive_intact(rt: Runtime) -> None:
    """Frames are built by hand once per event: 7-bit, 16-bit and 64-bit payload lengths all parse."""
    c = await WsClient.open(ws_url(rt))
    await c.send({"type": "ping"})
    assert (await c.recv())["type"] == "pong"  # under 126 bytes
    await c.subscribe("s", *MONAS, 300)
    for size in (200, 65_000, 70_000):
        post = fake_post(*MONAS, text="é" * size)
        seq = await emit(rt.pool, "post.created", post)
        got = (await c.events_until("s", seq))[-1]
        assert got["post"]["text"] == post["text"]
    await c.close()


async def test_exact_position_of_a_fuzzed_post_reaches_only_its_viewers_and_staff(rt: Runtime) -> None:
    """An event with a private part (docs/trust.md) is framed twice: the exact position goes to staff and
    the listed viewers only; everyone else gets the public frame, which never contains it."""
    author_id, author_token = await new_user(rt, f"pelapor{random.randrange(10**9)}")
    _, other_token = await new_user(rt, f"tetangga{random.randrange(10**9)}")
    _, mod_token = await new_user(rt, f"mod{random.randrange(10**9)}", "moderator")
    sockets = {}
    for name, token in (("author", author_token), ("other", other_token), ("mod", mod_token), ("anon", None)):
        c = await WsClient.open(ws_url(rt))
        if token:
            await c.send({"type": "auth", "token": token})
            assert (await c.recv())["type"] == "authed"
        await c.subscribe("s", *MONAS, 1000)
        sockets[name] = c
    post = fake_post(*MONAS, category="crime")
    exact = {"lat": MONAS[0] + 0.001, "lon": MONAS[1] + 0.001, "viewers": [author_id]}
    seq = await emit(rt.pool, "post.created", post, exact=exact)
    for name, c in sockets.items():
        got = (await c.events_until("s", seq))[-1]
        assert got["post"] == post
        if name in ("author", "mod"):
            assert got["exact"] == {"lat": exact["lat"], "lon": exact["lon"]}
        else:
            assert "exact" not in got and "viewers" not in json.dumps(got)
        await c.close()
