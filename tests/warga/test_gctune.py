"""Every `warga` process sets the collector's thresholds from WARGA_GC_THRESHOLD and measures its pauses."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kernel import metrics
from kernel.settings import Settings
from warga import cli, gctune


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.set_threshold(*thresholds)
    gc.callbacks[:] = callbacks


def _pauses(generation: int) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        if family.name == "warga_gc_pause_seconds":
            for sample in family.samples:
                if sample.name.endswith("_count") and sample.labels == {"generation": str(generation)}:
                    return sample.value
    raise AssertionError("no warga_gc_pause_seconds series")


def test_parse_takes_three_positive_integers_or_python() -> None:
    assert gctune.parse(gctune.STORM) == (50_000, 20, 100)
    assert gctune.parse(" 700 , 10,10 ") == (700, 10, 10)
    assert gctune.parse("Python") is None
    for bad in ("", "50000", "1,2", "1,2,3,4", "0,10,10", "-1,10,10", "a,b,c", "1.5,2,3"):
        with pytest.raises(ValueError, match="three positive integers"):
            gctune.parse(bad)


def test_apply_sets_thresholds_and_every_collection_is_timed(collector_restored: None) -> None:
    gctune.apply("1234,5,6")
    assert gc.get_threshold() == (1234, 5, 6)
    gctune.apply("1234,5,6")  # a second call does not time each pause twice
    assert gc.callbacks.count(gctune._record_pause) == 1
    before = _pauses(2), _pauses(0)
    gc.collect()
    gc.collect(0)
    # At least: the suite's other threads (pgserver's, the metrics server's) may collect meanwhile.
    assert _pauses(2) >= before[0] + 1
    assert _pauses(0) >= before[1] + 1


def test_python_keeps_pythons_own_thresholds(collector_restored: None) -> None:
    gc.set_threshold(700, 10, 10)
    gctune.apply(Settings().gc_threshold)  # the default
    assert gc.get_threshold() == (700, 10, 10)
    gctune.apply("python")
    assert gc.get_threshold() == (700, 10, 10)


def test_the_command_applies_the_setting(
    collector_restored: None, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    settings = Settings(database_url=None, data_dir=tmp_path, gc_threshold="4321,7,8").with_(
        database_url=Settings.from_env({"DATABASE_URL": database_url}).database_url
    )
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, env=None: settings))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        cli.main(["migrate"])
    finally:  # main() points the root logger at this test's captured stderr
        root.handlers[:], root.level = handlers, level
    assert gc.get_threshold() == (4321, 7, 8)


def test_a_bad_setting_stops_the_command_and_names_it() -> None:
    env = {**os.environ, "WARGA_GC_THRESHOLD": "lots"}
    done = subprocess.run(
        [sys.executable, "-c", "from warga.cli import main; main()", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "WARGA_GC_THRESHOLD: three positive integers" in done.stderr
