"""The one emitter (#18): every event goes through feed.core.outbox.emit, and every event type it can write is
declared in its registry with the audiences that may receive it. These tests read the code itself, so an
event added anywhere without a declaration, or written around the emitter, fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from feed.core import outbox
from kernel.visibility import AUDIENCES, STAFF

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("feed", "realtime", "media", "db", "warga")


def _modules() -> list[tuple[Path, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.append((path, ast.parse(path.read_text(), str(path))))
    return found


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    """Calls of `name(...)` or `<anything>.name(...)`."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


def test_every_registered_type_declares_who_may_receive_it() -> None:
    assert outbox.REGISTRY
    for name, kind in outbox.REGISTRY.items():
        assert kind.name == name
        assert kind.audiences and kind.audiences <= set(AUDIENCES), name
        assert kind.withdraws is None or kind.withdraws[0] in ("post", "comment"), name
        if kind.staff_only:
            assert kind.audiences == {STAFF}, name


def test_only_the_emitter_writes_the_outbox() -> None:
    writers = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path, tree in _modules()
        for call in _calls(tree, "append")
        if isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "events_db"
    ]
    assert writers == ["feed/core/outbox.py:" + writers[0].split(":")[1]], writers
    assert "INSERT INTO events" not in "".join(
        p.read_text() for p, _ in _modules() if p.name != "events.py"
    ), "an event written around db.events.append"


def test_every_literal_event_name_in_the_code_is_registered_and_every_registered_one_is_used() -> None:
    literal_names: set[str] = set()
    dynamic_calls: list[str] = []
    for path, tree in _modules():
        if path.name == "outbox.py":
            continue
        for call in _calls(tree, "emit"):
            if len(call.args) < 3:
                continue
            name = call.args[2]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                literal_names.add(name.value)
            else:
                dynamic_calls.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert literal_names <= outbox.REGISTRY.keys(), literal_names - outbox.REGISTRY.keys()
    # A name chosen at run time (`event`, `type_`) is one of these strings too, and emit() refuses any
    # undeclared one (test_an_undeclared_event_cannot_be_written); a declared type no code names is dead.
    strings = {
        node.value
        for path, tree in _modules()
        if path.name != "outbox.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert outbox.REGISTRY.keys() <= strings | literal_names, "a declared type nothing emits"
    assert dynamic_calls, "the check above would be vacuous"


async def test_an_undeclared_event_cannot_be_written() -> None:
    with pytest.raises(KeyError):
        await outbox.emit(None, None, "post.teleported", 1)  # type: ignore[arg-type]
