"""Settings, read once from the environment (WARGA_*, DATABASE_URL, REDIS_URL) into one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Secret(str):
    """A string that never prints itself: keeps credentials out of logs and reprs."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


def _bool(raw: str) -> bool:
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    # Services. None means "embedded": pgserver for PostgreSQL, the in-process broker for Redis.
    database_url: Secret | None = None
    redis_url: Secret | None = None
    # Namespace of warga's Redis pub/sub channels (with the URL's database number): two deployments on one
    # Redis stay apart when their database numbers or their prefixes differ.
    redis_prefix: str = "warga"
    data_dir: Path = Path("var")
    pg_dir: Path | None = None  # default: data_dir / "pg"
    media_dir: Path | None = None  # default: data_dir / "media"
    media_base_url: str = ""  # e.g. https://cdn.example.org ; empty = served by warga under /media
    # S3-compatible photo storage (optional, needs aiobotocore); empty bucket = the filesystem at media_path.
    s3_bucket: str = ""
    s3_endpoint_url: str = ""  # empty = AWS; e.g. http://127.0.0.1:9000 for MinIO
    s3_region: str = ""
    s3_access_key: Secret | None = None
    s3_secret_key: Secret | None = None
    # HTTP and websocket listeners. ws_port 0 = same process picks API port + 1.
    host: str = "127.0.0.1"
    port: int = 8000
    ws_port: int = 0
    ws_public_url: str = ""  # what /api/config advertises; empty = public_url's host on ws_port
    # Base of every absolute URL the API emits (Open311 discovery and media_url, the socket's host), e.g.
    # https://warga.example.org (a path is kept). Empty = http://host:port, the listener; never the Host
    # header (see public_base).
    public_url: str = ""
    allowed_origins: tuple[str, ...] = ()  # empty = same host (any port) and localhost
    # Reverse proxies whose X-Forwarded-For / Forwarded are believed (addresses or CIDRs, kernel/proxies.py);
    # empty = none: the client is the TCP peer.
    trusted_proxies: tuple[str, ...] = ()
    # Limits.
    max_json_bytes: int = 64 * 1024
    max_upload_bytes: int = 45 * 1024 * 1024  # whole multipart body; a 50 MB body is refused
    max_photo_bytes: int = 15 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    photo_workers: int = 2
    photo_timeout_s: float = 20.0
    photo_worker_memory_mib: int = 2048  # address-space cap per photo worker; 0 = none
    token_ttl_days: int = 30
    pool_min: int = 2
    pool_max: int = 10
    # Realtime.
    event_retention_hours: int = 72
    replay_max_events: int = 2000
    # Unsent bytes per socket before close 4008: ~200 events of backlog (frames are 1-1.5 KB). 1 MiB let 100
    # never-reading sockets take 4x the readers' writes for ~1.6 s (bench/slow_consumers.py: readers' p99 in
    # the first 5 s 75 ms vs 20 ms alone); 256 KiB: 21 vs 16 ms, memory growth 5 MiB instead of 16.
    ws_queue_bytes: int = 256 * 1024
    # 4008 is for a socket whose backlog keeps growing, not for one turn's burst: a socket over
    # ws_queue_bytes is closed only once the kernel has taken none of its bytes for this long, or at once
    # when its backlog passes WS_HARD_CAP_FACTOR x ws_queue_bytes (realtime/gateway.py, _too_slow).
    ws_stall_s: float = 2.0
    # SO_SNDBUF per accepted socket (0 = the kernel's autotuning, up to tcp_wmem's max, 4 MiB on Linux):
    # bounds what a never-reading client holds in kernel memory, so 4008 fires after about this plus
    # ws_queue_bytes. Linux doubles the value for its bookkeeping.
    ws_sndbuf: int = 64 * 1024
    ws_max_subscriptions: int = 20
    ws_max_per_ip: int = 200
    ws_max_per_user: int = 20
    # Handshakes per second one realtime process is meant to take when all its sockets come back at once
    # (a crash or a deploy). Each `subscribed` and `pong` tells the client to spread its reconnect over
    # open sockets / this rate (docs/realtime.md, "Reconnecting"); 0 = no spread, backoff alone.
    ws_reconnect_rate: float = 500.0
    # The cyclic garbage collector's thresholds in every `warga` process (warga/gctune.py). "python" keeps
    # Python's (700, 10, 10); "50000,20,100" cuts a 5,000-socket storm's catch-up p99 by two thirds but
    # grew a 30-minute soak's RSS 11.5 % (docs/bench-load.md), so it is an operator's choice, not the default.
    gc_threshold: str = "python"
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    # Trust and safety.
    rate_limits: str = "on"
    sensitive_categories: tuple[str, ...] = ("crime",)
    # docs/trust.md: the key behind each sensitive post's fixed public offset (empty = generated once and kept
    # in the database), the offset's size, the weighted flag sum that hides pending review, new-account and
    # spam-signal holds, idempotency keys' lifetime, and the duplicate-suggestion radius and age.
    fuzz_secret: Secret | None = None
    fuzz_radius_m: float = 250.0
    flag_threshold: float = 3.0
    spam_holds: str = "auto"  # on | off | auto (= whenever rate limits are on; docs/trust.md)
    new_account_hours: float = 24.0
    new_account_posts: int = 3
    spam_max_links: int = 2
    spam_burst_posts: int = 5
    spam_burst_window_s: float = 600.0
    idempotency_ttl_s: float = 24 * 3600.0
    duplicate_radius_m: float = 100.0
    duplicate_days: int = 7
    # Officials (docs/officials.md): SLAs per category as "category=ack/resolve,…" (feed/officials/sla.py),
    # how near the report a resolution's proof must be taken, and how often the escalation sweep runs.
    sla: str = "flood=2h/24h,fire=1h/12h,crime=1h/48h,tree=4h/48h,default=24h/168h"
    resolve_proof_radius_m: float = 200.0
    escalation_every_s: float = 60.0
    log_level: str = "info"
    # `warga realtime` and `warga relay` have no HTTP API: when set, they serve /metrics on this port.
    metrics_port: int = 0
    # The API's GET /metrics answers only `Authorization: Bearer <this>`; unset = 404 (docs/operations.md).
    metrics_token: Secret | None = None
    # Web Push (docs/notifications.md). The VAPID private key (base64url raw or PEM; empty = made on the first
    # start and kept in the database), the contact the push services see (mailto: or https:; empty =
    # mailto:admin@ the public host), how long a push service keeps an undelivered message, each request's
    # timeout, attempts before a delivery is given up, and how often the worker looks for new events.
    vapid_private_key: Secret | None = None
    vapid_subject: str = ""
    push_ttl_s: int = 24 * 3600
    push_timeout_s: float = 10.0
    push_max_attempts: int = 8
    notify_every_s: float = 0.5
    # Lets push endpoints be loopback/private addresses and http:// (kernel/egress.py): tests and local
    # trials only, never in production (it opens server-side request forgery to the internal network).
    push_allow_private: bool = False
    # Map tiles for the web app; {z}/{x}/{y} URL template. Empty = OpenStreetMap's public tiles.
    tile_url: str = ""

    @property
    def pg_path(self) -> Path:
        return self.pg_dir or self.data_dir / "pg"

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def effective_ws_port(self) -> int:
        return self.ws_port or self.port + 1

    @property
    def public_base(self) -> str:
        """Where clients reach this server, ending in "/": WARGA_PUBLIC_URL, else the address `warga serve`
        listens on. Never a request's Host header, which any client can forge (an Open311 answer, a
        discovery document or /api/config that a cache keeps would then point every reader at the forger's
        host)."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        host = self.host
        if ":" in host and not host.startswith("["):  # an IPv6 literal
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def push_subject(self) -> str:
        """WARGA_VAPID_SUBJECT, else a mailto: at the public host (push services contact it about abuse)."""
        if self.vapid_subject:
            return self.vapid_subject
        host = urlsplit(self.public_base).hostname or "localhost"
        return f"mailto:admin@{host}"

    @property
    def listens_everywhere(self) -> bool:
        return self.host in ("0.0.0.0", "::", "")  # noqa: S104 (a comparison, not a bind)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        if env.get("DATABASE_URL"):
            values["database_url"] = Secret(env["DATABASE_URL"])
        if env.get("REDIS_URL"):
            values["redis_url"] = Secret(env["REDIS_URL"])
        for f in fields(cls):
            if f.name in {"database_url", "redis_url"}:
                continue
            raw = env.get("WARGA_" + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        return cls(**values)


def _parse(name: str, type_: Any, raw: str) -> Any:
    kind = str(type_)
    try:
        if "Secret" in kind:
            return Secret(raw)
        if "Path" in kind:
            return Path(raw)
        if "tuple" in kind:
            return _list(raw)
        if kind == "bool":
            return _bool(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return raw
    except ValueError as exc:
        raise SystemExit(f"WARGA_{name.upper()}: {exc}") from None
