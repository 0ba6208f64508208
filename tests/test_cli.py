"""The command line on a small real archive (tests.archive.ops.test_audit's): `audit`, `backup`,
`mirrors`, `show`, and how bad arguments are refused (tests/test_cli_fuzz.py tries many more)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli.main import cli
from archive.index import Index
from archive.warc import iter_records
from tests.archive.ops.test_audit import URL, Archive


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

    from archive.cli.context import ProgressBar

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


def test_a_reindex_bar_shows_its_rate_and_ends_its_line_before_the_next_bar(monkeypatch):
    import io

    from archive.cli.context import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with ProgressBar("indexing WARCs", unit="MB") as bar, ProgressBar("detecting edits", unit="captures") as seen:
        bar.update(3_000_000, 6_000_000, "warcs/demo/2026/11/24/a.warc.gz")
        bar.update(6_000_000, 6_000_000, "warcs/demo/2026/11/24/b.warc.gz")
        drawn = terminal.getvalue()
        seen.update(40, 40, "demo-1a2b")
    assert "indexing WARCs" in drawn and " MB/s " in drawn and drawn.endswith("\n"), drawn
    rest = terminal.getvalue()[len(drawn) :]
    assert "detecting edits" in rest and " captures/s " in rest and "indexing" not in rest


def test_a_bar_s_rate_counts_the_work_done_since_it_appeared(monkeypatch):
    # A rebuild detects most crawls while it indexes: its detect bar appears with most captures done.
    import io

    from archive.cli import context

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, now = Terminal(), [100.0]
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(context.time, "monotonic", lambda: now[0])
    with context.ProgressBar("detecting edits", unit="captures") as seen:
        seen.update(3000, 4000, "demo-1a2b")
        now[0] = 102.0
        seen.update(4000, 4000, "demo-3c4d")
    assert "500.0 captures/s" in terminal.getvalue(), terminal.getvalue()


def assert_usage_error(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and all(word in result.output for word in words), result.output


@pytest.mark.parametrize("limit", ["99999999999999999999999", "-1", "0", "x"])
def test_changes_refuses_a_limit_out_of_range_before_any_query(archive, limit):
    assert_usage_error(run(archive, "changes", "--limit", limit), "--limit")


def test_changes_since_an_out_of_range_moment_is_a_usage_error_naming_it(archive):
    result = run(archive, "changes", "--since", "0001-01-01T00:00+05:00")
    assert_usage_error(result, "Error: Invalid value: --since '0001-01-01T00:00+05:00' is not an ISO 8601 time")


def test_export_into_a_file_or_under_a_file_is_refused(archive, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert_usage_error(run(archive, "export", "--outlet", "demo", "--out", str(afile)), "is a file")
    result = run(archive, "export", "--outlet", "demo", "--out", str(afile / "sub"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {afile / 'sub'}: {afile} is a file, so no directory can be made in it\n"


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1", "99999999999999999999999"])
def test_serve_refuses_a_port_outside_1_to_65535_instead_of_wrapping_around(archive, port):
    assert_usage_error(run(archive, "serve", "--port", port), "--port", "1<=x<=65535")


def test_simulate_refuses_ports_and_article_counts_out_of_range(archive):
    assert_usage_error(run(archive, "simulate", "--port", "65536"), "--port")
    assert_usage_error(run(archive, "simulate", "--articles", "99999999"), "--articles")


def test_a_config_path_that_is_a_directory_is_a_usage_error(archive, tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path), "check-config"])
    assert_usage_error(result, "--config", "is a directory")


def test_a_crawl_url_must_be_http_or_https(archive):
    result = run(archive, "crawl", "--outlet", "demo", "--url", "ftp://www.presstv.ir/Detail/2026/1/1/1")
    assert_usage_error(result, "--url", "is not an http(s) URL")


@pytest.mark.parametrize("args", [["show", "\udcff"], ["versions", "caf\udce9"], ["audit", "--outlet", "\udcff"]])
def test_an_argument_that_is_not_utf8_is_a_usage_error(archive, args):
    assert_usage_error(run(archive, *args), "is not valid UTF-8 text")


def show_warc(archive: Archive, at: str, *extra: str) -> Result:
    return run(archive, "show", URL, "--at", at, "--format", "warc", *extra)


def test_show_warc_writes_the_checked_records_to_output(archive, tmp_path):
    out = tmp_path / "shown.warc.gz"
    result = show_warc(archive, "2026-11-25T12:00Z", "--output", str(out))
    assert result.exit_code == 0, result.output
    with open(out, "rb") as fh:
        assert [r.record_type for r in iter_records(fh, verify_digests=True)] == ["revisit", "response"]


def test_show_warc_refuses_to_write_binary_to_a_terminal(archive, monkeypatch):
    monkeypatch.setattr("archive.cli.research.stdout_is_terminal", lambda: True)
    result = show_warc(archive, "2026-11-25T12:00Z")
    assert result.exit_code == 1 and result.stdout_bytes == b""
    assert "can mess up your terminal; use --output FILE.warc.gz" in result.stderr


def test_show_warc_of_a_tampered_record_is_an_error_not_bytes(archive):
    """The record re-compressed with a header changed and the index altered to match: only the
    record's own WARC-Block-Digest tells, and it must be checked before anything is printed."""
    with Index(archive.config.index_path, readonly=True) as idx:
        (row,) = idx._db.query("SELECT * FROM captures WHERE url = ? AND record_type = 'response'", [URL])
    data = archive.file.read_bytes()
    start, end = row["offset"], row["offset"] + row["length"]
    record = gzip.decompress(data[start:end])
    assert b"text/html" in record
    altered = gzip.compress(record.replace(b"text/html", b"TEXT/HTML"))
    archive.file.write_bytes(data[:start] + altered + data[end:])
    archive.sql("UPDATE captures SET length = ? WHERE record_id = ?", len(altered), row["record_id"])
    result = show_warc(archive, "2026-11-25T10:30Z")
    assert result.exit_code == 1 and result.stdout_bytes == b""
    assert "WARC-Block-Digest" in result.stderr and "does not match its content" in result.stderr
    assert result.stderr.startswith(f"error: {archive.key} at offset {row['offset']}")


def test_show_warc_of_an_offset_into_a_record_is_an_error_not_bytes(archive):
    archive.sql("UPDATE captures SET offset = offset + 1")
    for at in ("2026-11-25T10:30Z", "2026-11-25T12:00Z"):
        result = show_warc(archive, at)
        assert result.exit_code == 1 and result.stdout_bytes == b"" and result.stderr.startswith("error: ")


@pytest.mark.parametrize(
    "url", ["ftp://archive.example.org", "archive.example.org", "https://a.example:99999", "https://a.example/?q=1"]
)
def test_serve_refuses_a_public_url_that_is_not_an_http_origin(archive, url):
    assert_usage_error(run(archive, "serve", "--public-url", url), "--public-url", "")
