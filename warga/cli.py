"""The `warga` command: serve, run one part, migrate, manage users, seed the demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from kernel import logs, metrics, proxies
from kernel.settings import Settings
from warga import gctune
from warga.runtime import Parts, Runtime


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        raise SystemExit(2)
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    try:
        gctune.apply(settings.gc_threshold)
    except ValueError as exc:
        raise SystemExit(f"WARGA_GC_THRESHOLD: {exc}") from None
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_stopped_by_sigterm(args.run(settings, args)))
    except KeyboardInterrupt:
        pass


async def _stopped_by_sigterm(command: Awaitable[None]) -> None:
    """SIGTERM (what honcho, systemd and Kubernetes send) stops warga as Ctrl-C does: the command is
    cancelled, so Runtime's exit runs — sockets closed with 1001, the relay's lock released, the photo
    workers stopped. Left to the default action, SIGTERM ended the process on the spot (uvicorn re-raises
    the signal it caught once it has stopped serving), skipping all of that."""
    task = asyncio.current_task()
    assert task is not None
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        await command
    except asyncio.CancelledError:
        if not terminated:
            raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (uvicorn[standard] brings it): cheaper socket writes, ~16 % more fan-out
    deliveries per second in bench/fanout.py; asyncio's own loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warga", description="A real-time civic feed.")
    sub = parser.add_subparsers(title="commands")

    def command(name: str, run: Callable[[Settings, argparse.Namespace], Awaitable[None]], help_: str):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(run=run)
        return p

    for name, parts, help_ in (
        (
            "serve",
            Parts(notify=True),
            "Run everything in one process: HTTP API, websocket gateway, relay and notify worker.",
        ),
        ("web", Parts(web=True, gateway=False, relay=False), "Run the HTTP API only."),
    ):
        p = command(name, _serve_command(parts), help_)
        p.add_argument("--host", default=None)
        p.add_argument("--port", type=int, default=None)
        p.add_argument("--ws-port", type=int, default=None, help="websocket port (default: port + 1)")
        if name == "serve":
            p.add_argument(
                "--demo", action="store_true", help="seed the Jakarta demo if the database is empty"
            )
    p = command("realtime", _realtime_command, "Run the websocket gateway only.")
    p.add_argument("--host", default=None)
    p.add_argument("--ws-port", type=int, default=None)
    command("relay", _relay_command, "Run the outbox relay only.")
    command("notify", _notify_command, "Run the Web Push notify worker only (docs/notifications.md).")
    command("migrate", _migrate_command, "Apply database migrations and exit.")

    user = sub.add_parser("user", help="Manage accounts.").add_subparsers(title="user commands")
    p = user.add_parser("create", help="Create an account (staff roles included).")
    p.add_argument("handle")
    p.add_argument("--role", default="citizen", choices=["citizen", "official", "moderator", "admin"])
    p.add_argument("--password", default=None, help="default: $WARGA_NEW_PASSWORD or a prompt")
    p.set_defaults(run=_user_create_command)

    areas_sub = sub.add_parser("areas", help="Manage administrative areas.").add_subparsers(title="areas")
    p = areas_sub.add_parser("import", help="Import a GeoJSON FeatureCollection of areas (all or nothing).")
    p.add_argument("file", help="e.g. warga/data/jakarta_areas.geojson")
    p.set_defaults(run=_areas_import_command)

    official = sub.add_parser("official", help="Manage officials.").add_subparsers(title="official")
    for name, help_ in (
        ("assign", "Make a user an official of an area (and everything below it) or of a city agency."),
        ("remove", "Remove a user's assignment to an area or agency (its live subscriptions there end)."),
    ):
        p = official.add_parser(name, help=help_)
        p.add_argument("handle")
        p.add_argument("area", nargs="?", help="the area's id or code")
        p.add_argument("--agency", default=None, help="a city agency's code, instead of an area")
        p.set_defaults(run=_official_command, official=name)

    agency = sub.add_parser("agency", help="Manage city agencies.").add_subparsers(title="agency")
    p = agency.add_parser("add", help="Add a city agency (or update the one with that code).")
    p.add_argument("code", help="e.g. DSDA")
    p.add_argument("name", help="e.g. 'Dinas Sumber Daya Air'")
    p.add_argument(
        "--categories", default="", help="comma-separated categories it handles, e.g. flood,drainage"
    )
    p.set_defaults(run=_agency_add_command)

    keys = sub.add_parser("apikey", help="Manage Open311 API keys.").add_subparsers(title="apikey")
    p = keys.add_parser("create", help="Create a key (printed once) for an account or a new service account.")
    p.add_argument("name")
    p.add_argument("--handle", default=None, help="the account the key acts as (default: a new one)")
    p.set_defaults(run=_apikey_command, apikey="create")
    keys.add_parser("list", help="List keys.").set_defaults(run=_apikey_command, apikey="list")
    p = keys.add_parser("revoke", help="Revoke a key by id.")
    p.add_argument("id", type=int)
    p.set_defaults(run=_apikey_command, apikey="revoke")

    p = command("seed-demo", _seed_demo_command, "Seed a few hundred demo reports around Jakarta.")
    p.add_argument("--posts", type=int, default=300)
    return parser


def _with_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    changes = {}
    for name in ("host", "port", "ws_port"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    return settings.with_(**changes) if changes else settings


def _serve_command(parts: Parts) -> Callable[[Settings, argparse.Namespace], Awaitable[None]]:
    async def run(settings: Settings, args: argparse.Namespace) -> None:
        import uvicorn

        from feed.app import build_app

        settings = _with_overrides(settings, args)
        try:  # a bad WARGA_TRUSTED_PROXIES stops the start, not every request
            proxies.parse_trusted(settings.trusted_proxies)
        except ValueError as exc:
            sys.exit(f"warga: WARGA_TRUSTED_PROXIES: {exc}")
        if settings.listens_everywhere and not settings.public_url:
            print(
                "warga: listening on every interface with no WARGA_PUBLIC_URL: absolute URLs name "
                f"{settings.public_base} and /api/config's socket follows the Host header; set "
                "WARGA_PUBLIC_URL to this server's public address",
                file=sys.stderr,
            )
        async with Runtime(settings, parts) as runtime:
            if getattr(args, "demo", False):
                from warga.demo import seed_if_empty

                await seed_if_empty(runtime)
            gctune.freeze_startup()
            config = uvicorn.Config(
                build_app(runtime),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                log_config=None,  # keep our JSON logging; our middleware writes the access log
                access_log=False,
                lifespan="off",
                # Off: uvicorn would believe X-Forwarded-For from FORWARDED_ALLOW_IPS (127.0.0.1 by default)
                # whatever WARGA_TRUSTED_PROXIES says. feed/core/observability.py resolves the client address
                # from the trusted proxies only (kernel/proxies.py), X-Forwarded-Proto with it.
                proxy_headers=False,
            )
            print(
                f"warga: http://{settings.host}:{settings.port}/  (websocket {runtime.realtime.describe()})"
            )
            await uvicorn.Server(config).serve()

    return run


async def _run_until_stopped(parts: Parts, settings: Settings) -> None:
    async with Runtime(settings, parts) as runtime:
        if not parts.web and settings.metrics_port:  # with the HTTP API, /metrics is one of its routes
            metrics.serve(settings.metrics_port, settings.host)
        gctune.freeze_startup()
        print(f"warga: running {parts} ({runtime.realtime.describe()}); Ctrl-C stops")
        await asyncio.Event().wait()


async def _realtime_command(settings: Settings, args: argparse.Namespace) -> None:
    await _run_until_stopped(Parts(web=False, gateway=True, relay=False), _with_overrides(settings, args))


async def _relay_command(settings: Settings, args: argparse.Namespace) -> None:
    await _run_until_stopped(Parts(web=False, gateway=False, relay=True), settings)


async def _notify_command(settings: Settings, args: argparse.Namespace) -> None:
    await _run_until_stopped(Parts(web=False, gateway=False, relay=False, notify=True), settings)


async def _migrate_command(settings: Settings, args: argparse.Namespace) -> None:
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)):
        print("warga: migrations applied")


async def _user_create_command(settings: Settings, args: argparse.Namespace) -> None:
    from db import users as users_db
    from feed.accounts.sessions import HANDLE_RE
    from feed.core import auth

    password = args.password or os.environ.get("WARGA_NEW_PASSWORD") or getpass.getpass("Password: ")
    if not HANDLE_RE.match(args.handle):
        sys.exit("warga: handle must be 3-32 letters, digits, '_' or '.'")
    if problem := auth.password_problem(password, args.handle):  # the sign-up rules (NIST SP 800-63B)
        sys.exit(f"warga: the password {problem}")
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        async with runtime.pool.acquire() as conn:
            row = await users_db.create(conn, args.handle, auth.hash_password(password), args.role)
    if row is None:
        sys.exit(f"warga: handle {args.handle!r} is taken")
    print(f"warga: created {args.role} {row['handle']} (id {row['id']})")


async def _apikey_command(settings: Settings, args: argparse.Namespace) -> None:
    from feed.open311.georeport import apikey_command

    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        async with runtime.pool.acquire() as conn:
            code = await apikey_command(conn, vars(args), print)
    if code:
        sys.exit(code)


async def _seed_demo_command(settings: Settings, args: argparse.Namespace) -> None:
    from warga.demo import seed

    async with Runtime(settings, Parts(gateway=False, relay=False)) as runtime:
        await seed(runtime, posts=args.posts)


async def _official_command(settings: Settings, args: argparse.Namespace) -> None:
    from feed.officials.admin import AssignError, assign, unassign

    if (args.area is None) == (args.agency is None):
        sys.exit("warga: give an AREA or --agency CODE (one of them)")
    agency = args.agency is not None
    ref = args.agency if agency else args.area
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        async with runtime.pool.acquire() as conn:
            try:
                if args.official == "remove":
                    user = await unassign(conn, args.handle, ref, agency=agency)
                else:
                    user, place, created = await assign(conn, args.handle, ref, agency=agency)
            except AssignError as exc:
                sys.exit(f"warga: {exc.field} {getattr(args, exc.field)!r}: {exc}")
        if args.official == "remove" or user["role"] == "citizen":
            # Through the broker: every gateway withdraws its live subscriptions there (or, for a citizen
            # who became an official, makes its sockets sign in again with the new role).
            await runtime.realtime.user_changed(user["id"])
    if args.official == "remove":
        print(f"warga: {user['handle']} is no longer an official of {ref}")
        return
    done = "is now an official of" if created else "was already an official of"
    what = "agency" if agency else place["level"]
    print(f"warga: {user['handle']} {done} {what} {place['name']} (id {place['id']})")


async def _agency_add_command(settings: Settings, args: argparse.Namespace) -> None:
    from db import agencies as agencies_db
    from feed.core.errors import ApiError
    from feed.officials.admin import agency_fields

    categories = [c.strip() for c in args.categories.split(",") if c.strip()]
    try:
        code, name, categories = agency_fields(
            {"code": args.code, "name": args.name, "categories": categories}
        )
    except ApiError as exc:
        sys.exit(f"warga: {exc.fields}")
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        async with runtime.pool.acquire() as conn:
            agency_id, created = await agencies_db.upsert(conn, code, name, categories)
    print(f"warga: agency {code} ({name}) {'added' if created else 'updated'} (id {agency_id})")


async def _areas_import_command(settings: Settings, args: argparse.Namespace) -> None:
    from feed.officials.boundaries import import_command

    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        await import_command(runtime, args.file)
