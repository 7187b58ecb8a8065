"""(Copied from the shared fan-out yardstick; only lint fixes.)

Fan-out load: N websocket subscribers, M published messages, delivery latency and rate.

Each published message carries 'T=<send time ns>;' and the subscriber measures receive - send.
Usage: python fanout_load.py MODE --port P --clients N --messages M --rate R
MODE: broadcaster (POST /publish), websockets (ws /publish),
      warga (POST /api/posts as a registered user; subscribers send a `subscribe` near the posts' point)
Prints one JSON line: delivered, expected, seconds, deliveries_per_s, p50_ms, p99_ms, max_ms.
"""

import argparse
import asyncio
import json
import time

import httpx
from websockets.asyncio.client import connect


class Stats:
    def __init__(self):
        self.count = 0
        self.lat = []
        self.last = 0.0


LAT, LON = -6.1754, 106.8272  # Monas, central Jakarta


async def subscriber(url, stats, ready, sample_every, mode, origin):
    async with connect(
        url, compression=None, max_size=None, open_timeout=60, additional_headers={"Origin": origin}
    ) as ws:
        if mode == "warga":
            await ws.send(
                json.dumps(
                    {"type": "subscribe", "id": "s1", "near": {"lat": LAT, "lon": LON, "radius_m": 2000}}
                )
            )
            ack = json.loads(await ws.recv())
            assert ack.get("type") == "subscribed", ack
        ready.release()
        n = 0
        async for msg in ws:
            now = time.time_ns()
            n += 1
            stats.count += 1
            stats.last = time.perf_counter()
            if n % sample_every == 0:
                k = msg.find("T=")
                if k >= 0:
                    t = int(msg[k + 2 : msg.index(";", k)])
                    stats.lat.append((now - t) / 1e6)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--payload", type=int, default=400)
    ap.add_argument("--sample-every", type=int, default=1)
    a = ap.parse_args()
    base = f"127.0.0.1:{a.port}"
    ws_url = f"ws://{base}/ws"
    if a.mode == "warga":  # the API may announce the websocket endpoint elsewhere
        try:
            cfg = httpx.get(f"http://{base}/api/config", timeout=10)  # noqa: ASYNC210 - once, before the load
            if cfg.status_code == 200 and cfg.json().get("ws_url"):
                ws_url = cfg.json()["ws_url"]
        except (httpx.HTTPError, ValueError):
            pass
    stats = Stats()
    ready = asyncio.Semaphore(0)
    subs = []
    for i in range(a.clients):
        subs.append(
            asyncio.create_task(subscriber(ws_url, stats, ready, a.sample_every, a.mode, f"http://{base}"))
        )
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    for _ in range(a.clients):
        await ready.acquire()
    await asyncio.sleep(1.0)
    pad = "x" * a.payload
    t0 = time.perf_counter()
    if a.mode == "warga":
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
            handle = f"bench{time.time_ns() % 10**9}"
            r = await http.post(
                "/api/auth/register", json={"handle": handle, "password": "bench-password-123"}
            )
            r.raise_for_status()
            http.headers["Authorization"] = f"Bearer {r.json()['token']}"
            t0 = time.perf_counter()
            for i in range(a.messages):
                r = await http.post(
                    "/api/posts",
                    json={
                        "text": f"T={time.time_ns()};{pad}",
                        "category": "flood",
                        "lat": LAT + 0.001 * (i % 7),
                        "lon": LON,
                    },
                )
                r.raise_for_status()
                await asyncio.sleep(max(0, t0 + (i + 1) / a.rate - time.perf_counter()))
    elif a.mode == "websockets":
        async with connect(f"ws://{base}/publish", compression=None) as pub:
            for i in range(a.messages):
                await pub.send(json.dumps({"i": i, "text": f"T={time.time_ns()};{pad}"}))
                await asyncio.sleep(max(0, t0 + (i + 1) / a.rate - time.perf_counter()))
    else:
        async with httpx.AsyncClient(base_url=f"http://{base}") as http:
            for i in range(a.messages):
                r = await http.post(
                    "/publish", content=json.dumps({"i": i, "text": f"T={time.time_ns()};{pad}"})
                )
                r.raise_for_status()
                await asyncio.sleep(max(0, t0 + (i + 1) / a.rate - time.perf_counter()))
    expected = a.clients * a.messages
    deadline = time.perf_counter() + 30
    while stats.count < expected and time.perf_counter() < deadline:  # noqa: ASYNC110 - a bounded wait
        await asyncio.sleep(0.05)
    secs = (stats.last or time.perf_counter()) - t0
    lat = sorted(stats.lat) or [float("nan")]

    def q(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2)

    print(
        json.dumps(
            {
                "mode": a.mode,
                "clients": a.clients,
                "messages": a.messages,
                "rate": a.rate,
                "delivered": stats.count,
                "expected": expected,
                "seconds": round(secs, 2),
                "deliveries_per_s": round(stats.count / secs),
                "p50_ms": q(0.5),
                "p99_ms": q(0.99),
                "max_ms": round(lat[-1], 2),
            }
        )
    )
    for s in subs:
        s.cancel()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
