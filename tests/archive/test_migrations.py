"""The schema steps runner every SQLite file of the archive shares (archive.migrations)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from archive import alerts
from archive.index import schema
from archive.migrations import SchemaError, Step, migrate
from archive.mirrors import state


@pytest.mark.parametrize(
    ("steps", "prefix"), [(schema.MIGRATIONS, "_migration_"), (alerts.STEPS, "_step_"), (state.STEPS, "_step_")]
)
def test_the_steps_are_numbered_1_to_n_without_gaps(steps, prefix):
    assert [step.__name__ for step in steps] == [f"{prefix}{n}" for n in range(1, len(steps) + 1)]


def table(name: str) -> Step:
    def step(db: sqlite_utils.Database) -> None:
        db.table(name).create({"id": int}, pk="id")

    return step


def fail(db: sqlite_utils.Database) -> None:
    db.table("half").create({"id": int}, pk="id")
    raise ValueError("step 3 broke")


def open_db(path):
    return sqlite_utils.Database(sqlite3.connect(path))


def test_each_step_runs_once_in_order_and_a_current_file_runs_none(tmp_path):
    db = open_db(tmp_path / "f.sqlite")
    assert migrate(db, tmp_path / "f.sqlite", (table("a"), table("b"))) == 2
    assert migrate(db, tmp_path / "f.sqlite", (table("a"), table("b"))) == 0
    assert migrate(db, tmp_path / "f.sqlite", (table("a"), table("b"), table("c"))) == 1
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    assert db.table_names() == ["a", "b", "c"]


def test_a_failing_step_leaves_the_file_at_the_step_before_it(tmp_path):
    db = open_db(tmp_path / "f.sqlite")
    with pytest.raises(ValueError, match="step 3 broke"):
        migrate(db, tmp_path / "f.sqlite", (table("a"), table("b"), fail))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.table_names() == ["a", "b"]


def test_a_file_another_writer_migrated_part_way_is_finished_not_redone(tmp_path):
    steps = (table("a"), table("b"))
    first, second = open_db(tmp_path / "f.sqlite"), open_db(tmp_path / "f.sqlite")
    migrate(first, tmp_path / "f.sqlite", steps[:1])
    assert migrate(second, tmp_path / "f.sqlite", steps) == 1
    assert migrate(first, tmp_path / "f.sqlite", steps) == 0


def test_a_newer_file_is_refused_naming_the_file_and_the_fix(tmp_path):
    db = open_db(tmp_path / "f.sqlite")
    migrate(db, tmp_path / "f.sqlite", (table("a"), table("b")))
    with pytest.raises(SchemaError) as refused:
        migrate(db, tmp_path / "f.sqlite", (table("a"),))
    assert str(refused.value) == (
        f"{tmp_path / 'f.sqlite'}: schema version 2 is newer than this edittrail, which knows versions up to 1; "
        "a newer edittrail wrote it: upgrade edittrail to open it (or restore a backup made by this version)"
    )
