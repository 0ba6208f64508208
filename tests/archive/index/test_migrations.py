"""The index's schema steps: an index made by an earlier release opens with its data intact."""

from __future__ import annotations

import sqlite3

import pytest

from archive.errors import ArchiveIndexError
from archive.index import Index
from archive.index.schema import MIGRATIONS
from tests.archive.schema_fixtures import made_by_release, rows_of, schema_of, version_of


def test_a_new_index_ends_at_the_newest_version_with_the_schema_the_release_made(tmp_path):
    Index(tmp_path / "new.sqlite").close()
    assert version_of(tmp_path / "new.sqlite") == len(MIGRATIONS)
    assert schema_of(tmp_path / "new.sqlite") == schema_of(made_by_release("index-v7.sql", tmp_path / "release.sqlite"))


def test_an_index_made_by_the_current_release_opens_unchanged(tmp_path):
    path = made_by_release("index-v7.sql", tmp_path / "index.sqlite")
    schema, rows = schema_of(path), rows_of(path)
    Index(path).close()
    with Index(path, readonly=True) as idx:
        assert idx.schema_version() == len(MIGRATIONS)
    assert (schema_of(path), rows_of(path)) == (schema, rows)


def test_an_index_of_an_older_release_is_upgraded_with_its_data_intact(tmp_path):
    """Release 2f682a2 left version 4: steps 5 (quarantine) and 6 (queue, due moments, tallies) run."""
    path = made_by_release("index-v4.sql", tmp_path / "index.sqlite")
    before = rows_of(path)
    Index(path).close()
    after = rows_of(path)
    assert version_of(path) == len(MIGRATIONS)
    for table, rows in before.items():
        kept = [row[: len(rows[0])] for row in after[table]] if rows else []
        assert kept == rows, f"{table} lost or changed rows"
    assert [row[0] for row in after["detect_queue"]] == ["<urn:uuid:00000002>"], "the article capture not detected"
    assert sorted(after["tallies"]) == [("presstv", "presstv.tv", 200, 1), ("presstv", "www.presstv.ir", 200, 2)]
    conn = sqlite3.connect(path)
    found = conn.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH 'staged'").fetchall()
    conn.close()
    assert len(found) == 2, "full-text search still finds both versions"


def test_the_previous_release_s_index_gains_the_kind_index_with_its_rows_unchanged(tmp_path):
    """Release of 2026-12-04 (stop 19) left version 6: step 7 adds (outlet, kind, to_time) on changes."""
    path = made_by_release("index-v6.sql", tmp_path / "index.sqlite")
    schema, rows = schema_of(path), rows_of(path)
    Index(path).close()
    assert version_of(path) == len(MIGRATIONS) and rows_of(path) == rows
    added = {name for _, name, _ in schema_of(path) - schema}
    assert added == {"idx_changes_outlet_kind_to_time"}


def test_an_older_index_is_refused_by_a_reader_until_a_writer_opens_it(tmp_path):
    path = made_by_release("index-v4.sql", tmp_path / "index.sqlite")
    expects = f"version 4, this edittrail expects {len(MIGRATIONS)}; open it once with a writer"
    with pytest.raises(ArchiveIndexError, match=expects):
        Index(path, readonly=True)


@pytest.mark.parametrize("readonly", [False, True])
def test_an_index_from_a_newer_edittrail_is_refused_naming_the_file_and_the_fix(tmp_path, readonly):
    path = made_by_release("index-v7.sql", tmp_path / "index.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(ArchiveIndexError) as refused:
        Index(path, readonly=readonly)
    assert str(refused.value).startswith(f"{path}: schema version {len(MIGRATIONS) + 1} is newer than this edittrail")
    assert "upgrade edittrail" in str(refused.value)
    assert version_of(path) == len(MIGRATIONS) + 1
