"""mirrors.sqlite's schema steps: the domains' history and operators' decisions of an earlier release are kept."""

from __future__ import annotations

import sqlite3

import pytest

from archive.migrations import SchemaError
from archive.mirrors.history import HistoryError, read_history
from archive.mirrors.state import STEPS, MirrorState
from tests.archive.schema_fixtures import made_by_release, rows_of, schema_of, version_of


def test_a_new_file_ends_at_the_newest_version_with_the_schema_the_release_made(tmp_path):
    MirrorState(tmp_path / "mirrors.sqlite").close()
    assert version_of(tmp_path / "mirrors.sqlite") == len(STEPS)
    release = made_by_release("mirrors-unversioned.sql", tmp_path / "release.sqlite")
    assert schema_of(tmp_path / "mirrors.sqlite") == schema_of(release)


def test_an_unversioned_file_of_the_current_release_is_marked_version_1_unchanged(tmp_path):
    path = made_by_release("mirrors-unversioned.sql", tmp_path / "mirrors.sqlite")
    schema, rows = schema_of(path), rows_of(path)
    with MirrorState(path) as state:
        assert state.accepted("presstv") == ("presstv.co.uk",)
        assert [t.after for t in state.transitions("presstv")] == ["serving", "serving", "seized"]
    assert version_of(path) == 1
    assert (schema_of(path), rows_of(path)) == (schema, rows)


def test_a_file_of_an_older_release_gains_the_summaries_filled_from_its_history(tmp_path):
    """Release 2f682a2 kept observations and candidates only; the summaries come out as the
    current release, recording the same probes, keeps them."""
    path = made_by_release("mirrors-unversioned-2f682a2.sql", tmp_path / "mirrors.sqlite")
    before = rows_of(path)
    MirrorState(path).close()
    current = made_by_release("mirrors-unversioned.sql", tmp_path / "release.sqlite")
    after = rows_of(path)
    assert version_of(path) == len(STEPS)
    assert {table: after[table] for table in before} == before
    assert after == rows_of(current)
    assert schema_of(path) == schema_of(current)


def test_a_file_from_a_newer_edittrail_is_refused_by_the_writer_and_the_domains_page(tmp_path):
    path = made_by_release("mirrors-unversioned.sql", tmp_path / "mirrors.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(STEPS) + 1}")
    conn.close()
    with pytest.raises(SchemaError, match=f"^{path}: schema version 2 is newer than this edittrail.*upgrade edittrail"):
        MirrorState(path)
    with pytest.raises(HistoryError, match="upgrade edittrail"):
        read_history(path, "presstv")
