"""`warga notify` is a command of its own (a Procfile process) and `warga serve` runs the worker in-process:
both through Runtime's Parts(notify=True)."""

from __future__ import annotations

import pytest

from kernel.settings import Settings
from warga import cli
from warga.runtime import Parts, Runtime


def test_notify_is_a_command_and_serve_runs_the_worker() -> None:
    args = cli._parser().parse_args(["notify"])
    assert args.run is cli._notify_command
    assert Parts().notify is False  # web, realtime and relay processes do not send pushes
    with open("Procfile") as procfile:
        assert "notify: warga notify" in procfile.read().splitlines()


async def test_a_runtime_with_the_notify_part_runs_the_worker(settings: Settings) -> None:
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False, notify=True)) as runtime:
        assert runtime.notifier is not None
        assert runtime.notifier._task is not None and not runtime.notifier._task.done()
    assert runtime.notifier._task is None  # stopped with the runtime


async def test_a_subject_no_push_service_accepts_stops_the_worker_at_start(settings: Settings) -> None:
    from notify.worker import Notifier

    bad = settings.with_(vapid_subject="ops@warga.example")  # not a mailto: URL
    async with Runtime(settings, Parts(web=False, gateway=False, relay=False)) as runtime:
        with pytest.raises(ValueError, match="WARGA_VAPID_SUBJECT"):
            await Notifier(runtime.pool, bad).open()
