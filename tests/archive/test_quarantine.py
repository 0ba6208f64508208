"""A damaged WARC object never stops indexing nor empties the archive (reliability audit, defect 2).

The object sorted first in the store is damaged in each of the audit's three ways; the index
step and reindex must index every other object whole, keep what the damaged one still gives
back, quarantine it with why and where, and have ``status`` and ``audit`` list it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.errors import ArchiveIndexError, StoreError
from archive.index import Index
from archive.index import quarantine as qx
from archive.index.quarantine import QuarantineError
from archive.ops.audit import run_audit
from archive.ops.status import outlet_status
from archive.storage.local import LocalStore
from tests.archive.stored_warcs import (
    flip,
    members,
    path_of,
    record_ids,
    tamper,
    truncate,
    write_crawl,
    write_store,
)
from tests.support import write_config

CRAWLS, ARTICLES = 4, 5
DAMAGE: dict[str, Callable[[Path], set[str]]] = {
    "flip": lambda path: flip(path, 2),
    "truncate": truncate,
    "tamper": lambda path: tamper(path, 2),
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path, port=8765))


def captured(config: Config) -> set[str]:
    with Index(config.index_path, readonly=True) as idx:
        rows = list(idx.captures("demo"))
    assert len(rows) == len({r.record_id for r in rows}), "a record indexed twice"
    return {r.record_id for r in rows}


def held(config: Config) -> list[qx.Quarantined]:
    with Index(config.index_path, readonly=True) as idx:
        return qx.entries(idx, "demo")


def damaged_store(config: Config, damage: str) -> tuple[list[str], set[str]]:
    """The store with its first object damaged; returns the keys and the ids of every readable capture."""
    keys = write_store(config, CRAWLS, ARTICLES)
    intact = set().union(*(record_ids(path_of(config, k).read_bytes()) for k in keys[1:]))
    return keys, intact | DAMAGE[damage](path_of(config, keys[0]))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_the_index_step_quarantines_a_damaged_object_and_indexes_every_other(config, damage):
    keys, readable = damaged_store(config, damage)
    with pytest.raises(QuarantineError, match=rf"1 WARC object\(s\) of demo quarantined.*{keys[0]}"):
        pipeline.index(config, "demo")

    assert captured(config) == readable
    kept = len(readable) - (CRAWLS - 1) * ARTICLES
    assert 0 < kept < ARTICLES, "the records the damage leaves readable are indexed"
    (entry,) = held(config)
    assert (entry.key, entry.kind, entry.captures) == (keys[0], "damaged", kept)
    assert entry.offset is not None and f"at offset {entry.offset}" in entry.error
    assert entry.size == path_of(config, keys[0]).stat().st_size and entry.recorded_sha256 is None

    again = pipeline.index(config, "demo")  # the next run: not read again, not a failure again
    assert again["warcs_indexed"] == 0 and [q["key"] for q in again["quarantined"]] == [keys[0]]
    later = write_crawl(config, CRAWLS, ARTICLES)  # a new crawl sorted after the damaged object
    assert pipeline.index(config, "demo")["warcs_indexed"] == 1
    assert record_ids(path_of(config, later).read_bytes()) <= captured(config)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_status_and_audit_list_the_quarantined_object_with_its_reason(config, damage):
    keys, _ = damaged_store(config, damage)
    with pytest.raises(QuarantineError):
        pipeline.index(config, "demo")

    status = outlet_status(config, "demo")
    (line,) = [p for p in status.problems if keys[0] in p]
    assert "quarantined (damaged)" in line and "reindex --outlet demo" in line
    assert [q.key for q in status.quarantined] == [keys[0]]
    report = run_audit(config, "demo")
    assert not report.ok
    assert any(p.startswith(f"{keys[0]}: quarantined (damaged)") for p in report.problems)
    assert all(keys[0] in p for p in report.problems), "the intact objects pass the audit"


def test_a_quarantined_object_whose_size_changes_is_read_again_and_released(config):
    keys = write_store(config, CRAWLS, ARTICLES)
    path = path_of(config, keys[0])
    original = path.read_bytes()
    truncate(path)
    with pytest.raises(QuarantineError):
        pipeline.index(config, "demo")
    path.write_bytes(original)  # restored from a backup

    result = pipeline.index(config, "demo")
    assert result["warcs_indexed"] == 1 and result["quarantined"] == []
    assert captured(config) == set().union(*(record_ids(path_of(config, k).read_bytes()) for k in keys))
    assert held(config) == [] and run_audit(config, "demo").ok


def test_reindex_quarantines_a_damaged_object_and_keeps_every_intact_capture(config):
    keys = write_store(config, CRAWLS, ARTICLES)
    pipeline.index(config, "demo")
    pipeline.detect(config, "demo")
    path = path_of(config, keys[0])
    original = path.read_bytes()
    with Index(config.index_path, readonly=True) as idx:
        (recorded,) = idx._db.execute("SELECT sha256 FROM warc_objects WHERE key = ?", [keys[0]]).fetchone()
    intact = set().union(*(record_ids(path_of(config, k).read_bytes()) for k in keys[1:]))
    readable = intact | flip(path, 2)

    with pytest.raises(QuarantineError, match=r"reindex of demo done .*1 object\(s\) are quarantined"):
        pipeline.reindex(config, "demo")

    assert captured(config) == readable
    (entry,) = held(config)
    assert entry.kind == "damaged" and entry.recorded_sha256 == recorded and "SHA-256 is not the one" in entry.error
    problems = run_audit(config, "demo").problems
    assert any("SHA-256" in p and "differs from" in p for p in problems), "reindex did not launder the checksum"

    path.write_bytes(original)  # repaired in place: same size, so only reindex reads it again
    assert any("reads whole now" in p for p in run_audit(config, "demo").problems)
    result = pipeline.reindex(config, "demo")
    assert result["quarantined"] == [] and held(config) == []
    assert captured(config) == intact | record_ids(original)
    assert run_audit(config, "demo").ok


def test_reindex_quarantines_an_object_that_changed_but_reads_and_keeps_its_captures(config):
    keys = write_store(config, 2, ARTICLES)
    pipeline.index(config, "demo")
    path = path_of(config, keys[1])
    data = path.read_bytes()
    path.write_bytes(data + data[: members(data)[0].length])  # a valid warcinfo record appended

    with pytest.raises(QuarantineError):
        pipeline.reindex(config, "demo")
    (entry,) = held(config)
    assert entry.kind == "changed" and "the object changed in the store" in entry.error
    assert len(captured(config)) == 2 * ARTICLES


def test_reindex_drops_the_captures_of_a_missing_object_and_lists_it_until_it_is_back(config):
    keys = write_store(config, CRAWLS, ARTICLES)
    pipeline.index(config, "demo")
    path = path_of(config, keys[1])
    original = path.read_bytes()
    path.unlink()

    with pytest.raises(QuarantineError):
        pipeline.reindex(config, "demo")
    (entry,) = held(config)
    assert (entry.key, entry.kind) == (keys[1], "missing")
    assert not record_ids(original) & captured(config)
    assert any(p.startswith(f"{keys[1]}: missing from the store") for p in outlet_status(config, "demo").problems)
    assert any(p.startswith(f"{keys[1]}: missing from the store") for p in run_audit(config, "demo").problems)

    with Index(config.index_path) as idx, idx._db.conn:
        idx._db.execute("UPDATE quarantine SET quarantined_at = '2026-01-01T00:00:00Z'")
    with pytest.raises(QuarantineError, match="missing from the store since 2026-01-01T00:00:00Z"):
        pipeline.reindex(config, "demo")  # a later rebuild keeps saying since when

    path.write_bytes(original)
    assert pipeline.index(config, "demo")["warcs_indexed"] == 1
    assert held(config) == [] and record_ids(original) <= captured(config)


def test_reindex_told_to_drop_missing_objects_forgets_them(config):
    keys = write_store(config, 2, ARTICLES)
    pipeline.index(config, "demo")
    path_of(config, keys[0]).unlink()
    result = pipeline.reindex(config, "demo", drop_missing=True)
    assert result["quarantined"] == [] and held(config) == []
    assert captured(config) == record_ids(path_of(config, keys[1]).read_bytes())


def test_reindex_refuses_a_store_that_lists_none_of_the_indexed_objects(config, tmp_path):
    keys = write_store(config, 2, ARTICLES)
    pipeline.index(config, "demo")
    before = captured(config)
    for key in keys:
        path_of(config, key).rename(tmp_path / Path(key).name)
    with pytest.raises(ArchiveIndexError, match="lists no WARC object of demo, but the index knows 2"):
        pipeline.reindex(config, "demo")
    assert captured(config) == before and held(config) == []


def test_an_object_the_store_cannot_serve_now_is_retried_and_never_quarantined(config, monkeypatch):
    keys = write_store(config, 3, ARTICLES)
    real_open = LocalStore.open

    def flaky(store: LocalStore, key: str):
        if key == keys[0]:
            raise StoreError(f"{store.url}: connection reset reading {key} (simulated)")
        return real_open(store, key)

    monkeypatch.setattr(LocalStore, "open", flaky)
    with pytest.raises(StoreError, match=r"1 WARC object\(s\) of demo could not be read .* retried next run"):
        pipeline.index(config, "demo")
    assert len(captured(config)) == 2 * ARTICLES and held(config) == []

    with pytest.raises(StoreError, match="the index was left as it was"):
        pipeline.reindex(config, "demo")
    assert len(captured(config)) == 2 * ARTICLES

    monkeypatch.setattr(LocalStore, "open", real_open)
    assert pipeline.index(config, "demo")["warcs_indexed"] == 1
    assert len(captured(config)) == 3 * ARTICLES


def test_the_cli_passes_drop_missing_and_a_quarantine_exits_1_with_one_error_line(config):
    from click.testing import CliRunner

    from archive.cli.main import cli

    keys = write_store(config, 2, ARTICLES)
    pipeline.index(config, "demo")
    path_of(config, keys[0]).unlink()
    runner = CliRunner()
    kept = runner.invoke(cli, ["--config", str(config.path), "reindex", "--outlet", "demo"])
    assert kept.exit_code == 1 and "Traceback" not in kept.output
    assert [q.key for q in held(config)] == [keys[0]]
    dropped = runner.invoke(cli, ["--config", str(config.path), "reindex", "--outlet", "demo", "--drop-missing"])
    assert dropped.exit_code == 0, dropped.output
    assert held(config) == []
