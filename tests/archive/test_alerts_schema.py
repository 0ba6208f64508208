"""alerts.sqlite's schema steps: the bookkeeping of an earlier release is kept, never sent again."""

from __future__ import annotations

import sqlite3

import pytest

from archive.alerts.store import STEPS, Deliveries
from archive.migrations import SchemaError
from tests.archive.schema_fixtures import made_by_release, rows_of, schema_of, version_of


def test_a_new_file_ends_at_the_newest_version_with_the_schema_the_release_made(tmp_path):
    Deliveries(tmp_path / "alerts.sqlite").close()
    assert version_of(tmp_path / "alerts.sqlite") == len(STEPS)
    release = made_by_release("alerts-unversioned.sql", tmp_path / "release.sqlite")
    assert schema_of(tmp_path / "alerts.sqlite") == schema_of(release)


def test_an_unversioned_file_of_the_current_release_is_marked_version_1_unchanged(tmp_path):
    path = made_by_release("alerts-unversioned.sql", tmp_path / "alerts.sqlite")
    schema, rows = schema_of(path), rows_of(path)
    deliveries = Deliveries(path)
    assert deliveries.sent("change:presstv:777256:1", "ops")
    assert deliveries.read_up_to("presstv") == "2026-11-20T08:30:00Z"
    deliveries.close()
    assert version_of(path) == 1
    assert (schema_of(path), rows_of(path)) == (schema, rows)


def test_a_file_of_an_older_release_gains_the_watermark_and_keeps_its_deliveries(tmp_path):
    path = made_by_release("alerts-unversioned-2f682a2.sql", tmp_path / "alerts.sqlite")
    before = rows_of(path)
    deliveries = Deliveries(path)
    assert deliveries.status("change:presstv:777255:1", "ops") == "skipped"
    assert [row["change_key"] for row in deliveries.failed("presstv")] == ["change:presstv:777257:1"]
    assert deliveries.read_up_to("presstv") is None
    deliveries.close()
    assert version_of(path) == len(STEPS)
    assert rows_of(path) == before | {"read_up_to": []}
    assert schema_of(path) == schema_of(made_by_release("alerts-unversioned.sql", tmp_path / "release.sqlite"))


def test_a_file_from_a_newer_edittrail_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = made_by_release("alerts-unversioned.sql", tmp_path / "alerts.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(STEPS) + 1}")
    conn.close()
    with pytest.raises(SchemaError, match=f"^{path}: schema version 2 is newer than this edittrail.*upgrade edittrail"):
        Deliveries(path)
