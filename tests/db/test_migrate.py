"""Migrations: a clean numbered sequence, or nothing runs."""

from __future__ import annotations

import re

import pytest

from db.migrate import MigrationError, available, pending


def test_the_shipped_migrations_are_numbered_once_each() -> None:
    numbers = [number for number, _, _ in available()]
    assert numbers and len(set(numbers)) == len(numbers)  # (gaps are history: 003, 004 and 008 never landed)
    assert pending(available(), set()) == available()


def test_pending_keeps_the_order_and_skips_what_is_applied() -> None:
    found = [(1, "001_a.sql", ""), (2, "002_b.sql", ""), (3, "003_c.sql", "")]
    assert [name for _, name, _ in pending(found, {1})] == ["002_b.sql", "003_c.sql"]
    assert pending(found, {1, 2, 3}) == []


def test_two_migrations_with_one_number_are_refused() -> None:
    found = [(1, "001_a.sql", ""), (2, "002_b.sql", ""), (2, "002_c.sql", "")]
    with pytest.raises(MigrationError, match=re.escape("002_b.sql, 002_c.sql")):
        pending(found, {1})


def test_a_new_migration_numbered_below_an_applied_one_is_refused() -> None:
    found = [(1, "001_a.sql", ""), (2, "002_late.sql", ""), (3, "003_c.sql", "")]
    with pytest.raises(MigrationError, match=re.escape("002_late.sql is numbered below 3")):
        pending(found, {1, 3})
