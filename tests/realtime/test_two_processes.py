"""Two real warga processes sharing PostgreSQL and Redis: a post made on either reaches the subscribers of
both, exactly once and in order; when the first (the one holding the relay lock) dies, the other's relay
takes over."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx

from tests import services
from tests.realtime_client import MONAS, WsClient


@contextmanager
def warga_process(
    database_url: str, redis_url: str, data_dir: Path, role: str = "serve", ws_port: int = 0
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`warga <role>` as its own process; yields it and its HTTP port (serve, web) or websocket port."""
    port = services.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WARGA_DATA_DIR": str(data_dir),
        "WARGA_PHOTO_WORKERS": "1",
        "WARGA_RATE_LIMITS": "off",
        "WARGA_LOG_LEVEL": "warning",
    }
    ws_port = ws_port or services.free_port()
    command = [sys.executable, "-c", "from warga.cli import main; main()", role]
    if role in {"serve", "web"}:
        command += ["--port", str(port)]
    if role in {"serve", "web", "realtime"}:
        command += ["--ws-port", str(ws_port)]
    if role == "realtime":
        port = ws_port
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 - our own CLI
    try:
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _ready(port: int, proc: subprocess.Popen[bytes]) -> str:
    """Wait until the process answers; returns its websocket URL from /api/config."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(600):
            assert proc.poll() is None, "warga exited during startup"
            try:
                r = await http.get("/api/config")
                if r.status_code == 200:
                    return str(r.json()["ws_url"])
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("warga did not start")


@asynccontextmanager
async def _database(pg_admin_url: str) -> AsyncIterator[str]:
    url = await services.create_database(pg_admin_url)
    try:
        yield url
    finally:
        await services.drop_database(pg_admin_url, url)


async def _post(port: int, token: str, i: int) -> int:
    body = {"text": f"laporan {i}", "category": "flood", "lat": MONAS[0], "lon": MONAS[1]}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        r = await http.post("/api/posts", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_two_processes_share_one_redis(pg_admin_url: str, redis_url: str, tmp_path: Path) -> None:
    async with _database(pg_admin_url) as db:
        with warga_process(db, redis_url, tmp_path / "a") as (proc_a, port_a):
            ws_a = await _ready(port_a, proc_a)  # A migrates first; B then finds the schema in place
            with warga_process(db, redis_url, tmp_path / "b") as (proc_b, port_b):
                ws_b = await _ready(port_b, proc_b)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}") as http:
                    r = await http.post(
                        "/api/auth/register", json={"handle": "joko", "password": "rahasia123"}
                    )
                token = r.json()["token"]
                clients = [await WsClient.open(url) for url in (ws_a, ws_b) for _ in range(5)]
                for c in clients:
                    await c.subscribe("s", *MONAS, 1000)
                posts = [await _post(port_a if i % 2 else port_b, token, i) for i in range(20)]
                for c in clients:
                    got = []
                    while len(got) < len(posts):
                        message = await c.recv()
                        assert message["type"] == "event", message
                        got.append(message)
                    assert [m["post"]["id"] for m in got] == posts  # each once, in order
                    seqs = [m["seq"] for m in got]
                    assert seqs == sorted(set(seqs))
                # Whichever process held the relay, A dies now: B's gateway still gets B's posts.
                proc_a.kill()
                proc_a.wait()
                survivors = clients[5:]
                later = [await _post(port_b, token, 100 + i) for i in range(5)]
                for c in survivors:
                    got = [await c.recv() for _ in later]
                    assert [m["post"]["id"] for m in got] == later
                for c in survivors:
                    await c.close()


async def _socket_ready(port: int, proc: subprocess.Popen[bytes]) -> str:
    url = f"ws://127.0.0.1:{port}/ws"
    for _ in range(600):
        assert proc.poll() is None, "warga exited during startup"
        try:
            c = await WsClient.open(url)
            await c.close()
            return url
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not start")


async def test_procfile_layout_web_realtime_relay(pg_admin_url: str, redis_url: str, tmp_path: Path) -> None:
    """The Procfile's three processes: a post made on `web` reaches a socket held by `realtime` through the
    separate `relay`, and `web` advertises the gateway's address."""
    async with _database(pg_admin_url) as db:
        ws_port = services.free_port()
        with warga_process(db, redis_url, tmp_path / "web", "web", ws_port) as (web, web_port):
            await _ready(web_port, web)  # migrates
            with (
                warga_process(db, redis_url, tmp_path / "rt", "realtime", ws_port) as (gateway, _),
                warga_process(db, redis_url, tmp_path / "relay", "relay") as (relay, _),
            ):
                url = await _socket_ready(ws_port, gateway)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}") as http:
                    assert (await http.get("/api/config")).json()["ws_url"] == url
                    r = await http.post(
                        "/api/auth/register", json={"handle": "tuti", "password": "rahasia123"}
                    )
                token = r.json()["token"]
                c = await WsClient.open(url)
                await c.subscribe("s", *MONAS, 1000)
                post_id = await _post(web_port, token, 1)
                event = await c.recv()
                assert (event["event"], event["post"]["id"]) == ("post.created", post_id)
                assert relay.poll() is None
                await c.close()


async def test_sigterm_stops_warga_as_ctrl_c_does(pg_admin_url: str, redis_url: str, tmp_path: Path) -> None:
    """Process managers stop warga with SIGTERM. It must shut down as on Ctrl-C: sockets closed with 1001
    (clients reconnect at once instead of waiting for a timeout), the photo workers stopped, exit 0. Before,
    the default action ended the process on the spot and Python's resource tracker reported the photo pool's
    semaphores leaked."""
    async with _database(pg_admin_url) as db:
        port, ws_port = services.free_port(), services.free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "REDIS_URL": redis_url,
            "WARGA_DATA_DIR": str(tmp_path),
            "WARGA_PHOTO_WORKERS": "1",
            "WARGA_LOG_LEVEL": "warning",
        }
        command = [sys.executable, "-c", "from warga.cli import main; main()", "serve"]
        command += ["--port", str(port), "--ws-port", str(ws_port)]
        log = tmp_path / "stderr.log"
        with log.open("wb") as stderr_file:  # a file, not a pipe: nothing blocks if the process logs a lot
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr_file)  # noqa: ASYNC220, S603
        try:
            url = await _ready(port, proc)
            c = await WsClient.open(url)
            await c.subscribe("s", *MONAS, 1000)
            proc.terminate()
            assert await asyncio.wait_for(c.closed_code(), 20) == 1001
            code = await asyncio.to_thread(proc.wait, 20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stderr = log.read_text()
        assert code == 0, stderr
        assert "leaked" not in stderr, stderr
