"""`edittrail audit` and `edittrail backup` on a small real archive (tests.archive.test_audit's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from tests.archive.test_audit import Archive


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)


def run(archive: Archive, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(archive.config.path), *args])


def test_audit_of_a_clean_archive_prints_what_it_checked_and_exits_0(archive):
    result = run(archive, "audit", "--outlet", "demo")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"audit of demo in {archive.store.url}: 1 WARC objects, 7 records, 3 index rows checked: OK"
    )


def test_audit_json_is_the_whole_report(archive):
    result = run(archive, "audit", "--outlet", "demo", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == [] and (report["objects"], report["rows"]) == (1, 3)


def test_audit_of_a_corrupted_object_names_it_and_exits_1(archive):
    data = bytearray(archive.file.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.file.write_bytes(bytes(data))
    result = run(archive, "audit", "--outlet", "demo")
    assert result.exit_code == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM ")]
    assert problems and all(archive.key in line for line in problems)
    assert any("SHA-256" in line and "differs from" in line for line in problems)
    assert result.stderr.startswith(f"error: audit of demo in {archive.store.url} found {len(problems)} problem(s)")
    assert "Traceback" not in result.output


def test_audit_json_of_a_corrupted_object_lists_the_problems_and_exits_1(archive):
    archive.file.unlink()
    result = run(archive, "audit", "--outlet", "demo", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and archive.key in report["problems"][0]


def test_audit_of_an_unknown_outlet_is_one_line_and_exit_1(archive):
    result = run(archive, "audit", "--outlet", "nope")
    assert result.exit_code == 1 and "no outlet named 'nope'" in result.stderr


def test_backup_stores_a_snapshot_under_the_outlets_key(archive):
    result = run(archive, "backup", "--outlet", "demo")
    assert result.exit_code == 0, result.output
    (stored,) = json.loads(result.stdout)  # the archive has no alerts or mirrors file yet
    assert stored["key"].startswith("backups/demo/index-") and stored["key"].endswith("Z.sqlite")
    assert [o.key for o in archive.store.list("backups/")] == [stored["key"]]
    assert archive.store.verify(stored["key"], stored["sha256"])


def test_backup_without_an_index_is_one_line_and_exit_1(tmp_path, archive):
    archive.config.index_path.unlink()
    result = run(archive, "backup", "--outlet", "demo")
    assert result.exit_code == 1 and "no index to back up" in result.stderr


def test_mirrors_lists_each_domain_with_its_state_as_a_table_and_as_json(archive):
    from archive.mirrors.probe import ProbeResult
    from archive.mirrors.run import mirror_state

    with mirror_state(archive.config) as state:
        state.record_probe(ProbeResult("demo", "www.presstv.ir", "2026-11-01T00:00:00Z", "serving", "HTTP 200"))
        state.record_probe(ProbeResult("demo", "www.presstv.com", "2026-11-01T00:00:00Z", "seized", "seizure notice"))
        state.add_candidate("demo", "presstv.news", "2026-11-01T00:00:00Z", "www.presstv.ir: footer")
    table = run(archive, "mirrors", "--outlet", "demo")
    assert table.exit_code == 0, table.output
    assert "www.presstv.com" in table.output and "seized" in table.output
    assert "candidate presstv.news (candidate)" in table.output
    data = json.loads(run(archive, "mirrors", "--outlet", "demo", "--json").output)
    assert {r["host"]: r["state"] for r in data["demo"]["domains"]} == {
        "www.presstv.ir": "serving",
        "www.presstv.com": "seized",
    }


def test_accepting_a_host_that_is_no_candidate_is_one_line_and_exit_1(archive):
    result = run(archive, "mirrors", "accept", "example.org", "--outlet", "demo")
    assert result.exit_code == 1
    assert "example.org is not a candidate mirror of demo" in result.output


def test_rejecting_a_candidate_keeps_it_out_of_the_probes(archive):
    from archive.mirrors.run import hosts_to_probe, mirror_state

    with mirror_state(archive.config) as state:
        state.add_candidate("demo", "presstv.example", "2026-11-01T00:00:00Z", "footer")
    assert run(archive, "mirrors", "reject", "presstv.example", "--outlet", "demo").exit_code == 0
    with mirror_state(archive.config) as state:
        assert "presstv.example" not in hosts_to_probe(archive.config.outlet("demo"), state)


def test_progress_bar_draws_only_on_a_terminal(monkeypatch, capsys):
    import io

    from archive.cli_context import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with ProgressBar("auditing objects") as bar:
        bar.update(1, 2, "warcs/demo/2026/11/24/a.warc.gz")
    assert capsys.readouterr().err == ""
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with ProgressBar("auditing objects") as bar:
        bar.update(1, 2, "warcs/demo/2026/11/24/a.warc.gz")
        bar.update(2, 2, "warcs/demo/2026/11/24/b.warc.gz")
    assert "auditing objects" in terminal.getvalue() and "100%" in terminal.getvalue()
