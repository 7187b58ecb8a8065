"""The websocket gateway: accepts sockets, serves subscriptions, and fans broker events out to them.

Built on the websockets library's own asyncio server (lighter per idle socket than an ASGI stack). Fan-out
never awaits a client: an event is decoded once per process, filtered exactly per subscription, and framed
once per distinct subscription id as complete websocket frame bytes, which are written to each socket's
transport as they are (what `websockets.broadcast()` does, minus re-framing per socket; safe because no
extension is negotiated and nothing is fragmented). Frames for one socket that arise in the same turn of
the event loop (a relay batch, a catch-up, a replay) leave in one write, one `send()`: under load the
relay's batches grow, so the cost per delivery falls just when it matters (docs/bench-realtime.md). A
socket whose backlog keeps growing (over `ws_queue_bytes` and not drained for `ws_stall_s`, or over the hard
cap) is closed with 4008 instead of slowing anyone down; it resumes with `since`. One turn's burst is not
a backlog: a fast reader takes it in its stride.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import socket
import time
import weakref
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import OPEN

from db import agencies as agencies_db
from db import events as events_db
from db import officials as officials_db
from db import users as users_db
from kernel import metrics, proxies
from kernel.owners import agency_key
from kernel.settings import Settings
from kernel.tokens import token_digest
from realtime import channels, origins, protocol, replay, wire
from realtime.broker import Broker
from realtime.protocol import ProtocolError
from realtime.replay import Replayer
from realtime.session import Client, Sub, User
from realtime.wire import Event

log = logging.getLogger("warga.realtime.gateway")

MAX_MESSAGE_BYTES = 64 * 1024
RECHECK_S = 30.0  # safety net behind the control channel: re-validate every signed-in socket's token
# websockets aborts a handshake not done in 10 s by default. Under a connection storm (a restart, every phone
# reconnecting at once) on a busy CPU, the server's own queue of handshakes and subscribes can take longer
# than that; aborting then throws the work away and makes clients retry into the same storm (seen in
# bench/fanout.py: 11 of 1000 subscribers cut off at load average 7). A slow-handshake client costs one
# idle socket for this long, well inside the per-address cap.
HANDSHAKE_TIMEOUT_S = 60.0
# asyncio listens with a backlog of 100. When a busy event loop accepts late, a burst of connections beyond
# that overflows the kernel's accept queue: with SYN cookies the client believes it is connected, sends its
# handshake, and may later get a reset with no HTTP response (seen in bench/idle_sockets.py at load average
# 10, ListenOverflows in nstat). A deep queue costs nothing until used; the kernel caps it at somaxconn.
LISTEN_BACKLOG = 4096
# The web client's longest backoff (the web app's js/live.js): a longer spread would only delay the last ones.
MAX_RECONNECT_SPREAD_MS = 30_000
_HANDSHAKE_DONE = Request("/ws", Headers())
# However fast a socket drains, its backlog never grows past this many times ws_queue_bytes: the memory
# bound for a socket inside its ws_stall_s grace.
WS_HARD_CAP_FACTOR = 8
# A replay leaves in pages of about this many bytes, each once the socket has taken the one before: a
# client that reads gets all of it however long it is and however slowly it reads, and one that doesn't
# holds two pages until it is given up on (see _drained).
REPLAY_PAGE_BYTES = 64 * 1024
_CACHE = 2048  # recently decoded events (one event arrives on several channels, a replay to many sockets)
# What a database that is down or restarting raises (feed/core/errors.py's DATABASE_DOWN answers 503 for the
# same): the socket hears `unavailable` and lives on. InternalClientError comes from a connection whose
# server is shutting down mid-query.
_DB_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)


class Gateway:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, broker: Broker) -> None:
        self.settings = settings
        self._pool = pool
        self._broker = broker
        # Catch-up reads shared by every subscription waiting at once: a reconnect storm costs PostgreSQL
        # a transaction per batch, not per socket (realtime/replay.py).
        self._replay = Replayer(pool, settings.replay_max_events)
        self._server: Server | None = None
        # channel -> subscriptions listening on it. A list, not a set: a busy cell has hundreds of listeners
        # and a list costs a third of the memory; removal is linear but rare next to delivery.
        self._subs: dict[str, list[Sub]] = {}
        self._live: set[str] = set()  # channels the broker has confirmed
        # Channels waiting for the broker: each maps to the future of the SUBSCRIBE that will carry it (the
        # one in flight or the next); _sync_broker sends them (see _attach).
        self._asked: dict[str, asyncio.Future[None]] = {}
        self._to_subscribe: set[str] = set()
        self._to_unsubscribe: set[str] = set()
        self._next_batch: asyncio.Future[None] | None = None
        self._broker_sync: asyncio.Task[None] | None = None
        self._clients: set[Client] = set()
        # The client's address as the per-address cap counts it: behind WARGA_TRUSTED_PROXIES, the
        # address they forwarded (kernel.proxies), found at the handshake and kept until the socket's
        # handler takes it.
        self._trusted = proxies.parse_trusted(settings.trusted_proxies)
        self._address: weakref.WeakKeyDictionary[ServerConnection, str] = weakref.WeakKeyDictionary()
        self._per_ip: Counter[str] = Counter()
        self._per_user: dict[int, set[Client]] = {}
        self._decoded: dict[int, Event] = {}
        self._catching_up = False
        self._pending: list[tuple[str, bytes]] = []
        # Frames waiting for this turn of the event loop to end, per socket, in order: one frame as it is,
        # several in a list (see _queue_frame, _flush).
        self._out: dict[Client, bytes | list[bytes]] = {}
        self._flush_due = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.head = 0  # every event up to here on our channels has reached this process
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        async with self._pool.acquire() as conn:
            self.head = await events_db.latest_seq(conn)
        self._broker.set_handlers(self._on_broker, self._on_gap)
        await self._broker.subscribe([channels.CONTROL])
        s = self.settings
        self._server = await serve(
            self._handle,
            s.host,
            s.effective_ws_port,
            process_request=self._check_request,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=HANDSHAKE_TIMEOUT_S,
            backlog=LISTEN_BACKLOG,
            max_queue=16,
            # No per-message deflate: it costs CPU and ~64 KiB per socket, and fan-out writes prebuilt
            # uncompressed frames (see _deliver).
            compression=None,
            ping_interval=s.ws_ping_interval_s,
            ping_timeout=s.ws_ping_timeout_s,
            server_header=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._recheck_forever())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close(close_connections=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def connections(self) -> int:
        return len(self._clients)

    def reconnect_spread_ms(self) -> int:
        """How long this process's clients should spread their reconnects over if it dies now: its open
        sockets at WARGA_WS_RECONNECT_RATE handshakes a second, at most the client's longest backoff. Without
        it every socket comes back within the first backoff step (0.25-0.5 s), and 5,000 handshakes queue
        for seconds whatever the server does behind them (docs/bench-load.md)."""
        rate = self.settings.ws_reconnect_rate
        if rate <= 0:
            return 0
        return min(MAX_RECONNECT_SPREAD_MS, round(1000 * len(self._clients) / rate))

    # -- handshake ---------------------------------------------------------------------------------

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?", 1)[0] != "/ws":
            return _refuse(connection, 404, "not_found", "The websocket endpoint is /ws.")
        if not origins.allowed(
            request.headers.get("Origin"), request.headers.get("Host"), self.settings.allowed_origins
        ):
            return _refuse(connection, 403, "forbidden_origin", "This Origin may not open a socket.")
        headers = request.headers
        address = proxies.client_address(
            _ip(connection),
            proxies.joined(headers.get_all("X-Forwarded-For")),
            proxies.joined(headers.get_all("Forwarded")),
            self._trusted,
        )
        if self._per_ip[address] >= self.settings.ws_max_per_ip:
            return _refuse(connection, 429, "too_many_sockets", "Too many sockets from this address.")
        self._address[connection] = address
        return None

    # -- one socket --------------------------------------------------------------------------------

    async def _handle(self, conn: ServerConnection) -> None:
        # websockets keeps the handshake request and response, every header parsed, for the socket's whole
        # life; warga read what it needed in _check_request. Dropping them is ~2 KiB less per idle socket.
        # (A stand-in request rather than None: websockets takes a missing request for "handshake pending".)
        conn.request, conn.response = _HANDSHAKE_DONE, None
        self._bound_kernel_buffer(conn)
        client = Client(conn, self._address.pop(conn, "") or _ip(conn))
        self._clients.add(client)
        metrics.ws_open_sockets.inc()
        self._per_ip[client.ip] += 1
        try:
            async for raw in conn:
                if not client.bucket.take():
                    self._send_json(
                        client, {"type": "error", "code": "rate_limited", "message": "Slow down."}
                    )
                    await conn.close(protocol.CLOSE_RATE, "too many messages")
                    break
                try:
                    await self._on_message(client, protocol.parse(raw))
                except ProtocolError as err:
                    self._send_json(client, err.as_message())
                except _DB_ERRORS as exc:
                    # The database is down or restarting: say so; the socket and its subscriptions live on.
                    log.warning("database unavailable for a socket message: %s", type(exc).__name__)
                    self._send_json(client, {"type": "error", "code": "unavailable", "message": "Try again."})
        except ConnectionClosed:
            pass
        finally:
            await self._forget(client)

    def _bound_kernel_buffer(self, conn: ServerConnection) -> None:
        """A fixed SO_SNDBUF. Left to autotuning, Linux grows it to 4 MiB for a peer that never reads, all
        of it invisible to the transport's unsent-bytes count: 4008 would come only after the kernel's
        4 MiB (bench/slow_consumers.py saw none in 60 s) and 1,000 stalled phones could pin 4 GiB."""
        size = self.settings.ws_sndbuf
        sock = conn.transport.get_extra_info("socket")
        if size > 0 and sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)

    async def _forget(self, client: Client) -> None:
        client.closing = True
        self._clients.discard(client)
        metrics.ws_open_sockets.dec()
        self._per_ip[client.ip] -= 1
        if self._per_ip[client.ip] <= 0:
            del self._per_ip[client.ip]
        if client.user is not None:
            mine = self._per_user.get(client.user.id)
            if mine is not None:
                mine.discard(client)
                if not mine:
                    del self._per_user[client.user.id]
        subs = list(client.subs.values())
        client.subs.clear()
        for sub in subs:
            await self._detach(sub)

    async def _on_message(self, client: Client, msg: protocol.Message) -> None:
        if isinstance(msg, protocol.Ping):
            self._send_json(client, {"type": "pong", "reconnect_spread_ms": self.reconnect_spread_ms()})
        elif isinstance(msg, protocol.Auth):
            await self._auth(client, msg.token)
        elif isinstance(msg, protocol.Unsubscribe):
            sub = client.subs.pop(msg.id, None)
            if sub is None:
                raise ProtocolError("not_found", "No such subscription.", sub=msg.id)
            await self._detach(sub)
            self._send_json(client, {"type": "unsubscribed", "id": msg.id})
        else:
            await self._subscribe(client, msg)

    async def _auth(self, client: Client, token: str) -> None:
        if client.user is not None or client.subs:
            raise ProtocolError("auth_first", "auth is the first message, sent once.")
        digest = token_digest(token)
        async with self._pool.acquire() as conn:
            row = await users_db.user_for_token(conn, digest)
        if row is None or _suspended(row):
            self._send_json(client, {"type": "error", "code": "bad_token", "message": "Invalid token."})
            await client.conn.close(protocol.CLOSE_BAD_AUTH, "invalid token")
            return
        mine = self._per_user.setdefault(row["id"], set())
        if len(mine) >= self.settings.ws_max_per_user:
            self._send_json(client, {"type": "error", "code": "too_many_sockets", "message": "Too many."})
            await client.conn.close(protocol.CLOSE_TOO_MANY, "too many sockets for this user")
            return
        client.user = User(row["id"], row["role"], digest)
        mine.add(client)
        user = {"id": row["id"], "handle": row["handle"], "role": row["role"]}
        self._send_json(client, {"type": "authed", "user": user})

    # -- subscriptions -----------------------------------------------------------------------------

    async def _subscribe(self, client: Client, req: protocol.Subscribe) -> None:
        if req.id in client.subs:
            raise ProtocolError("duplicate_id", "A subscription with this id exists.", sub=req.id)
        if len(client.subs) >= self.settings.ws_max_subscriptions:
            raise ProtocolError("too_many_subscriptions", "Too many subscriptions.", sub=req.id)
        if req.kind == "moderation" and (client.user is None or not client.user.is_staff):
            raise ProtocolError("forbidden", "Moderators only.", sub=req.id)
        if req.kind == "area" and not await self._may_watch_area(client, req.area_id, req.id):
            raise ProtocolError("forbidden", "Officials of this area or above, and admins, only.", sub=req.id)
        if req.kind == "agency":
            req = await self._agency_request(client, req)
        sub = Sub(client, req)
        client.subs[req.id] = sub
        # Live first (into sub.buffer), then the snapshot: nothing can fall between the two.
        try:
            await self._attach(sub)
            floor, head, rows, now = await self._replay.window(req)
        except (*_DB_ERRORS, *self._broker.connection_errors):
            client.subs.pop(req.id, None)
            await self._detach(sub)
            raise ProtocolError("unavailable", "Try again.", sub=req.id) from None
        if client.closing or client.subs.get(req.id) is not sub:
            return
        spread = self.reconnect_spread_ms()
        ack = {"type": "subscribed", "id": req.id, "seq": head, "reconnect_spread_ms": spread}
        self._send_json(client, ack)
        if req.since is not None and (req.since < floor or len(rows) > self.settings.replay_max_events):
            self._send_json(client, {"type": "resync", "sub": req.id})
        elif not await self._replay_to(sub, rows, now):
            return
        # From here to the end there is no await: the buffer cannot grow under our feet.
        sub.last_seq = max(sub.last_seq, head)
        buffered, sub.buffer = sub.buffer or [], None
        for ev in buffered:
            self._push(sub, ev)

    async def _may_watch_area(self, client: Client, area_id: int, sub_id: str) -> bool:
        """An area subscription is an official's live inbox: officials of the area or an ancestor, admins."""
        user = client.user
        if user is None or user.role not in ("official", "admin"):
            return False
        if user.role == "admin":
            return True
        try:
            async with self._pool.acquire() as conn:
                return await officials_db.covers(conn, user.id, area_id)
        except _DB_ERRORS:
            raise ProtocolError("unavailable", "Try again.", sub=sub_id) from None

    async def _agency_request(self, client: Client, req: protocol.Subscribe) -> protocol.Subscribe:
        """An agency subscription is its officials' live inbox (and admins'): the code becomes the agency's
        key in events' area_ids (kernel.owners.agency_key)."""
        user = client.user
        try:
            async with self._pool.acquire() as conn:
                agency = await agencies_db.by_code(conn, req.agency)
                allowed = bool(agency and user and await self._serves_agency(conn, user, agency["id"]))
        except _DB_ERRORS:
            raise ProtocolError("unavailable", "Try again.", sub=req.id) from None
        if agency is None:
            raise ProtocolError("invalid", "No such agency.", {"agency": "no such agency"}, req.id)
        if not allowed:
            raise ProtocolError("forbidden", "Officials of this agency, and admins, only.", sub=req.id)
        return dataclasses.replace(req, area_id=agency_key(agency["id"]))

    async def _serves_agency(self, conn: asyncpg.Connection, user: User, agency_id: int) -> bool:
        if user.role == "admin":
            return True
        return user.role == "official" and await agencies_db.serves(conn, user.id, agency_id)

    async def _still_allowed(self, conn: asyncpg.Connection, user: User, sub: Sub) -> bool:
        """Whether an area or agency subscription still holds (its official may have been removed)."""
        req = sub.request
        if req.kind == "agency":
            return await self._serves_agency(conn, user, -req.area_id)
        if req.kind == "area" and user.role != "admin":
            return await officials_db.covers(conn, user.id, req.area_id)
        return True

    async def _withdraw(self, client: Client, sub: Sub) -> None:
        if client.subs.get(sub.id) is sub:
            del client.subs[sub.id]
            await self._detach(sub)
            self._send_json(
                client,
                {
                    "type": "error",
                    "code": "forbidden",
                    "id": sub.id,
                    "message": "No longer an official there.",
                },
            )

    async def _replay_to(self, sub: Sub, rows: list[Any], now: replay.Now) -> bool:
        """Push a replay page by page as the socket drains; live events wait in sub.buffer meanwhile. False
        if the socket or the subscription went away (or fell too far behind: 4008) on the way."""
        client = sub.client
        for row in rows:
            self._push(sub, now.apply(self._replayed(row)))
            if client.queued >= REPLAY_PAGE_BYTES and not await self._drained(sub):
                return False
            if client.closing or client.subs.get(sub.id) is not sub:
                return False
        return True

    async def _drained(self, sub: Sub) -> bool:
        """Write this turn's frames now and wait until the socket has taken them, however slowly it reads:
        the pager holds at most two pages for it. No short stall clock: on loopback a slow reader's TCP
        window reopens only every ~64 KiB, seconds apart (the cold demo's since:0 read at 10-40 messages a
        second was cut off by one). Only a socket that takes nothing for as long as the keepalive gives a
        silent peer (ping interval + timeout; the keepalive itself cannot, its pings wait behind the
        pager's backlog), or whose live events waiting behind the replay pass WARGA_REPLAY_MAX_EVENTS, is
        closed with 4008, and resumes with `since`."""
        client = sub.client
        self._flush()
        conn = client.conn
        patience = self.settings.ws_ping_interval_s + self.settings.ws_ping_timeout_s
        while not client.closing and conn.protocol.state is OPEN:
            backlog = conn.transport.get_write_buffer_size()
            if backlog <= REPLAY_PAGE_BYTES:
                return True
            behind = sub.buffer is not None and len(sub.buffer) > self.settings.replay_max_events
            if behind or _stalled_s(client, backlog) > patience:
                metrics.ws_queue_drops.inc()
                self._close_slow(client)
                return False
            try:
                # Woken when the transport drains; twice a second regardless, to look again.
                await asyncio.wait_for(conn.drain(), 0.5)
            except TimeoutError:
                continue
            except (ConnectionError, ConnectionClosed):
                return False
        return False

    def _push(self, sub: Sub, ev: Event) -> None:
        if ev.seq > sub.last_seq and sub.matches(ev):
            sub.last_seq = ev.seq
            tail = _tail(sub, ev)
            if tail is not None:
                self._send(sub.client, wire.frame(sub.id_json, tail), batch=True)

    async def _attach(self, sub: Sub) -> None:
        """Register the subscription and return once the broker has confirmed every channel it needs.

        Channels already confirmed cost nothing; the others join the next broker SUBSCRIBE, which carries
        every channel asked for by every subscription waiting at that moment (see _sync_broker)."""
        waits: set[asyncio.Future[None]] = set()
        for name in sub.channels:
            self._subs.setdefault(name, []).append(sub)
            if name in self._live:
                continue
            future = self._asked.get(name)
            if future is None:
                if self._next_batch is None:
                    self._next_batch = asyncio.get_running_loop().create_future()
                future = self._asked[name] = self._next_batch
                self._to_subscribe.add(name)
            waits.add(future)
        if not waits:
            return
        self._kick_broker_sync()
        # asyncio.wait, not gather: a socket that goes away must not cancel a batch others wait on.
        await asyncio.wait(waits)
        for future in waits:
            future.result()  # a broker failure reaches the subscriber

    async def _detach(self, sub: Sub) -> None:
        for name in sub.channels:
            listeners = self._subs.get(name)
            if listeners is not None and sub in listeners:
                listeners.remove(sub)
                if not listeners:
                    del self._subs[name]
                    self._to_unsubscribe.add(name)
        if self._to_unsubscribe:
            self._kick_broker_sync()

    def _kick_broker_sync(self) -> None:
        if self._broker_sync is None or self._broker_sync.done():
            self._broker_sync = self._spawn(self._sync_broker())

    async def _sync_broker(self) -> None:
        """The one task that talks to the broker about channels, so its SUBSCRIBEs and UNSUBSCRIBEs keep
        their order. Each round sends one UNSUBSCRIBE and one SUBSCRIBE carrying everything asked meanwhile.

        Before, each subscription subscribed its own channels under a lock and waited for the confirmation:
        after a restart every channel is new, so a reconnect storm of N sockets was N broker round trips in
        a row, each also waiting for the busy event loop to come round to the reader (bench/storm.py: the
        last of 5,000 sockets waited tens of seconds). Batched, the round trips follow the storm's duration
        over one round trip's time, not its sockets. Exactness is unchanged: a subscription still awaits
        the confirmation of all its channels before its replay read (Gateway._subscribe)."""
        while self._to_subscribe or self._to_unsubscribe:
            gone = {n for n in self._to_unsubscribe if n not in self._subs and n in self._live}
            self._to_unsubscribe.clear()
            if gone:
                self._live.difference_update(gone)
                try:
                    await self._broker.unsubscribe(gone)
                except Exception:  # a stray channel costs only unwanted messages, dropped on arrival
                    log.exception("broker unsubscribe failed")
            if not self._to_subscribe:
                continue
            names, self._to_subscribe = self._to_subscribe, set()
            batch, self._next_batch = self._next_batch, None
            assert batch is not None
            # A channel whose listeners all left before its turn needs no subscription.
            wanted = [n for n in names if n in self._subs]
            try:
                await self._broker.subscribe(wanted)
            except BaseException as exc:
                for name in names:
                    self._asked.pop(name, None)
                if isinstance(exc, asyncio.CancelledError):
                    batch.cancel()
                    raise
                batch.set_exception(exc)
                log.warning("broker subscribe failed (%s)", type(exc).__name__)
                continue
            for name in names:
                self._asked.pop(name, None)
            self._live.update(wanted)
            # Listeners may have left while the round trip ran: the next round drops those channels.
            self._to_unsubscribe.update(n for n in wanted if n not in self._subs)
            batch.set_result(None)

    # -- fan-out -----------------------------------------------------------------------------------

    def _on_broker(self, channel: str, data: bytes) -> None:
        if channel == channels.CONTROL:
            self._on_control(data)
        elif self._catching_up:
            self._pending.append((channel, data))
        else:
            self._deliver(channel, self._decode(data))

    def _decode(self, data: bytes) -> Event:
        seq = int(data[7 : data.index(b",")])  # the header starts {"seq":N,
        ev = self._decoded.get(seq)
        if ev is None:
            ev = self._decoded[seq] = wire.decode(data)
            if len(self._decoded) > _CACHE:
                del self._decoded[next(iter(self._decoded))]
        return ev

    def _replayed(self, row: Any) -> Event:
        """A replayed events row as the Event live delivery would have made of it: one encode and decode
        per event and process, shared by every subscription replaying it (a reconnect storm replays the
        same few events to thousands of sockets). Same cache as live events: the relay encodes from the
        same row, so the two are identical."""
        ev = self._decoded.get(row["id"])
        if ev is None:
            ev = self._decoded[row["id"]] = wire.decode(wire.encode_row(row))
            if len(self._decoded) > _CACHE:
                del self._decoded[next(iter(self._decoded))]
        return ev

    def _deliver(self, channel: str, ev: Event) -> None:
        if ev.seq > self.head:
            self.head = ev.seq
        listeners = self._subs.get(channel)
        if not listeners:
            return
        limit = self.settings.ws_queue_bytes
        # One frame per subscription id and view, not per socket: most events show every audience class the
        # same (ev.uniform), and then the key is the id alone; otherwise (a fuzzed post's exact position, a
        # withdrawal, a staff-only reason) each socket's class picks its view (kernel.visibility). Plain keys
        # and no per-socket containers in the common case: this loop runs once per listener per event, and
        # every object it makes brings the next garbage collection nearer (docs/bench-realtime.md).
        uniform = ev.uniform
        groups: dict[bytes, list[Client]] = {}
        audiences: dict[tuple[bytes, bytes], list[Client]] = {}
        slow: list[Client] = []
        for sub in listeners:
            if ev.seq <= sub.last_seq:
                continue  # already sent (replay, a second channel, or a relay that republished)
            if sub.buffer is not None:
                sub.buffer.append(ev)
                continue
            if not sub.matches(ev):
                continue
            client = sub.client
            sub.last_seq = ev.seq
            if client.closing:
                continue  # (a socket websockets itself is closing is skipped at the write, _flush)
            tail = uniform
            if tail is None:
                tail = _tail(sub, ev)
                if tail is None:
                    continue  # not for this viewer
            conn = client.conn
            backlog = conn.transport.get_write_buffer_size()
            if backlog > limit and self._too_slow(client, backlog):
                if conn.protocol.state is OPEN:
                    slow.append(client)
                continue
            if uniform is None:
                audiences.setdefault((sub.id_json, tail), []).append(client)
                continue
            group = groups.get(sub.id_json)
            if group is None:
                groups[sub.id_json] = [client]
            else:
                group.append(client)
        if uniform is not None:
            for sub_id, clients in groups.items():
                self._queue_frame(clients, wire.ws_text_frame(wire.frame(sub_id, uniform)))
        for (sub_id, tail), clients in audiences.items():
            self._queue_frame(clients, wire.ws_text_frame(wire.frame(sub_id, tail)))
        metrics.ws_queue_drops.inc(len(slow))
        for client in slow:
            self._close_slow(client)

    def _queue_frame(self, clients: list[Client], data: bytes) -> None:
        """The same frame bytes for every socket, queued for this turn's write: alone as they are, or in a
        list once a second frame comes for that socket in the same turn."""
        out = self._out
        size = len(data)
        for client in clients:
            client.queued += size
            queued = out.get(client)
            if queued is None:
                out[client] = data
            elif isinstance(queued, bytes):
                out[client] = [queued, data]
            else:
                queued.append(data)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write every socket's queued frames, one write each. Runs once per turn of the event loop that
        queued any: everything delivered in that turn (a relay batch arrives in one read) shares a send().
        A socket that began closing meanwhile gets nothing more: data after a close frame breaks the
        protocol, and its client resumes with `since`."""
        self._flush_due = False
        out, self._out = self._out, {}
        writes = frames = 0
        for client, queued in out.items():
            client.written += client.queued
            client.queued = 0
            if self._write(client, queued):
                writes += 1
                frames += _frame_count(queued)
        metrics.ws_fanout_writes.inc(writes)
        metrics.ws_events_delivered.inc(frames)

    def _write(self, client: Client, queued: bytes | list[bytes]) -> bool:
        conn = client.conn
        if client.closing or conn.protocol.state is not OPEN:
            return False
        try:
            if isinstance(queued, bytes):
                conn.transport.write(queued)
            else:
                # One writev(), not a join: under uvloop (warga's loop) bytes the kernel cannot take yet
                # stay queued as the frames themselves, shared with every other socket they went to, not
                # one private copy per stalled socket. (asyncio's own transport joins them.)
                conn.transport.writelines(queued)
        except RuntimeError:
            # A transport closed under an OPEN protocol (not seen; uvloop raises rather than drops): this
            # socket misses its frames and resumes with `since` when it notices; the others still get theirs.
            log.warning("write to a closed transport skipped")
            return False
        return True

    def _send(self, client: Client, data: bytes, *, batch: bool = False) -> None:
        """One message to one socket: with batch, behind this turn's other frames for it (replays);
        otherwise now, after them (answers, errors that a close may follow at once)."""
        conn = client.conn
        if client.closing or conn.protocol.state is not OPEN:
            return
        backlog = conn.transport.get_write_buffer_size()
        if backlog > self.settings.ws_queue_bytes and self._too_slow(client, backlog):
            metrics.ws_queue_drops.inc()
            self._close_slow(client)
            return
        frame = wire.ws_text_frame(data)
        if batch:
            self._queue_frame([client], frame)
            return
        queued = self._out.pop(client, None)
        client.written += len(frame)
        if queued is None:
            self._write(client, frame)
            return
        # This turn's frames for the socket go out now, ahead of the answer: the same write _flush would
        # have made, counted the same way.
        client.written += client.queued
        client.queued = 0
        if self._write(client, [queued, frame] if isinstance(queued, bytes) else [*queued, frame]):
            metrics.ws_fanout_writes.inc()
            metrics.ws_events_delivered.inc(_frame_count(queued))

    def _send_json(self, client: Client, message: dict[str, Any]) -> None:
        self._send(client, json.dumps(message, separators=(",", ":")).encode())

    def _too_slow(self, client: Client, backlog: int) -> bool:
        """Whether a socket whose backlog is over ws_queue_bytes has fallen behind for good: the kernel has
        taken none of its bytes for ws_stall_s, or the backlog passed the hard cap. Asked only over the
        limit, so the common path pays nothing. A reader that keeps taking bytes rides out a burst (a relay
        batch of large events, a page of replay) however the event loop happens to schedule it."""
        if backlog > WS_HARD_CAP_FACTOR * self.settings.ws_queue_bytes:
            return True
        return _stalled_s(client, backlog) >= self.settings.ws_stall_s

    def _close_slow(self, client: Client) -> None:
        if not client.closing:
            client.closing = True
            metrics.ws_slow_closes.inc()
            self._spawn(client.conn.close(protocol.CLOSE_SLOW, "too slow: resume with since"))

    # -- gaps: a broker connection was lost; replay from PostgreSQL -------------------------------

    def _on_gap(self) -> None:
        if self._catching_up:
            return
        self._catching_up = True
        self._spawn(self._catch_up())

    async def _catch_up(self) -> None:
        cursor = self.head
        try:
            while True:
                try:
                    async with self._pool.acquire() as conn:
                        rows = await events_db.after(conn, cursor, 500)
                        now = await replay.current(conn, rows)
                except _DB_ERRORS as exc:
                    log.warning("catch-up cannot read events (%s); retrying", type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                for row in rows:
                    ev = now.apply(self._replayed(row))
                    cursor = ev.seq
                    for name in channels.for_event(ev.lat, ev.lon, ev.area_ids):
                        self._deliver(name, ev)
                if len(rows) < 500:
                    break
        finally:
            pending, self._pending = self._pending, []
            self._catching_up = False
            for name, data in pending:
                self._on_broker(name, data)

    # -- sessions: revocation, role changes --------------------------------------------------------

    def _on_control(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if message.get("op") == "head":
            # The relay's batch marker: every event up to seq has been published before it.
            if not self._catching_up and isinstance(message.get("seq"), int):
                self.head = max(self.head, message["seq"])
        elif message.get("op") == "check_user" and isinstance(message.get("user_id"), int):
            clients = list(self._per_user.get(message["user_id"], ()))
            if clients:
                self._spawn(self._recheck(clients))

    async def _recheck(self, clients: list[Client]) -> None:
        """Close every socket whose token no longer holds, or whose user's role or standing changed."""
        verdicts: dict[bytes, Any] = {}
        async with self._pool.acquire() as conn:
            for client in clients:
                user = client.user
                if user is None or client.closing:
                    continue
                if user.token_digest not in verdicts:
                    verdicts[user.token_digest] = await users_db.user_for_token(conn, user.token_digest)
                row = verdicts[user.token_digest]
                if row is None or row["role"] != user.role or _suspended(row):
                    client.closing = True
                    self._spawn(client.conn.close(protocol.CLOSE_SESSION_ENDED, "session ended"))
                    continue
                # An official removed from an area or agency loses its live inbox there, socket kept.
                for sub in list(client.subs.values()):
                    if not await self._still_allowed(conn, user, sub):
                        self._spawn(self._withdraw(client, sub))

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(RECHECK_S)
            signed_in = [c for c in self._clients if c.user is not None]
            try:
                await self._recheck(signed_in)
            except _DB_ERRORS as exc:
                log.warning("session re-check failed (%s)", type(exc).__name__)


def _ip(conn: ServerConnection) -> str:
    address = conn.remote_address
    return str(address[0]) if address else "?"


def _stalled_s(client: Client, backlog: int) -> float:
    """Seconds since the kernel was last seen taking any of this socket's bytes (0 if it just did): bytes
    handed to the transport minus what it still holds is what the kernel has taken."""
    sent = client.written - backlog
    now = time.monotonic()
    if sent != client.stall_sent:
        client.stall_sent, client.stall_at = sent, now
        return 0.0
    return now - client.stall_at


def _frame_count(queued: bytes | list[bytes]) -> int:
    return 1 if isinstance(queued, bytes) else len(queued)


def _tail(sub: Sub, ev: Event) -> bytes | None:
    user = sub.client.user
    return ev.tail_for(user.id, user.role) if user is not None else ev.tail_for(None, None)


def _suspended(row: Any) -> bool:
    until = row["suspended_until"]
    return until is not None and until > datetime.now(UTC)


def _refuse(connection: ServerConnection, status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode()
    response = connection.respond(status, "")
    response.headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    response.body = body
    return response
