"""Measure a photo report's path (#19): which of our files run between `POST /api/posts` and the frame a
nearby subscriber's socket receives.

    python bench/report_path.py

Starts a Runtime in this process (web, relay and gateway, the memory broker; a throwaway database on
DATABASE_URL's server, else an embedded pgserver), opens a socket subscribed near Monas, then records every
call into our packages (sys.setprofile) from the moment the multipart POST is sent until the socket has the
`post.created` frame. The photo's decoding runs in a worker process the profiler cannot see, so the same
photo is also run through the worker's entry point (media.pipeline.run) under the profiler, and its files
are added. Nothing is counted by hand: the list is what ran.

Prints each file with the number of our functions of it that ran, then two figures:
    report_path_files=N   every file of ours whose code ran for this report, in any process
    spine_files=M         the files of the functions that hand the report on (named in docs/architecture.md)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from db import users as users_db
from feed.accounts.sessions import issue_token
from feed.app import build_app
from feed.core.auth import hash_password
from kernel.settings import Secret, Settings
from media import pipeline
from media.demo_photos import demo_photo
from media.pipeline import Limits
from tests import services
from warga.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kernel", "db", "media", "feed", "realtime", "warga")
MONAS = (-6.1754, 106.8272)
# The spine: the files that hand the report on to the next step, request to socket (docs/architecture.md);
# the rest of what runs is called from these and returns to them. Each is checked to have run.
SPINE = (
    "feed/posts/reports.py",
    "feed/core/uploads.py",
    "media/processor.py",
    "media/pipeline.py",
    "media/store.py",
    "db/posts.py",
    "feed/core/outbox.py",
    "db/events.py",
    "realtime/relay.py",
    "realtime/wire.py",
    "realtime/broker.py",
    "realtime/gateway.py",
)


class Recorder:
    """Counts, per file of ours, the distinct functions that ran while recording (all threads)."""

    def __init__(self) -> None:
        self.functions: set[tuple[str, str]] = set()

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        path = Path(frame.f_code.co_filename)
        with contextlib.suppress(ValueError):
            rel = path.resolve().relative_to(ROOT).as_posix()
            if rel.split("/", 1)[0] in PACKAGES:
                self.functions.add((rel, frame.f_code.co_name))

    @contextlib.contextmanager
    def recording(self) -> Any:
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        try:
            yield
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    with services.postgres_server() as admin:
        url = await services.create_database(admin)
        try:
            yield url
        finally:
            await services.drop_database(admin, url)


async def main() -> None:
    photo = demo_photo("flood", 1)
    async with database() as url:
        settings = Settings(
            database_url=Secret(url),
            data_dir=Path(tempfile.mkdtemp(prefix="warga-path-")),
            ws_port=services.free_port(),
            rate_limits="off",
            photo_workers=1,
        )
        limits = Limits.from_settings(settings)
        async with Runtime(settings) as runtime:
            async with runtime.pool.acquire() as conn:
                user = await users_db.create(conn, "pelapor", hash_password("correct horse battery"))
                assert user is not None
                token = await issue_token(conn, user["id"], 1)
            recorder = Recorder()
            app = build_app(runtime)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://test") as client,
                connect(f"ws://127.0.0.1:{runtime.realtime.gateway.port}/ws") as ws,
            ):
                lat, lon = MONAS
                near = {"lat": lat, "lon": lon, "radius_m": 1000}
                await ws.send(json.dumps({"type": "subscribe", "id": "s", "near": near}))
                reply = json.loads(await ws.recv())
                assert reply["type"] == "subscribed", reply
                with recorder.recording():
                    response = await client.post(
                        "/api/posts",
                        data={"text": "Banjir 40 cm", "category": "flood", "lat": str(lat), "lon": str(lon)},
                        files={"photo": ("banjir.jpg", photo, "image/jpeg")},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.status_code == 201, response.text
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                        if frame.get("type") == "event" and frame["event"] == "post.created":
                            break
    with recorder.recording():
        pipeline.run(photo, limits)  # what the worker process ran
    per_file = Counter(rel for rel, _ in recorder.functions)
    for rel, count in sorted(per_file.items()):
        print(f"{count:4d}  {rel}")
    missing = [rel for rel in SPINE if rel not in per_file]
    print(f"report_path_files={len(per_file)} spine_files={len(SPINE) - len(missing)}")
    if missing:
        print("spine files that did not run (renamed?):", ", ".join(missing))


if __name__ == "__main__":
    asyncio.run(main())
