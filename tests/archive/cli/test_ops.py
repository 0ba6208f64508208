"""`edittrail status`: the operator's table and its JSON, over a fabricated data directory."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result

from archive.cli.main import cli
from archive.cli.ops import status
from archive.config import load_config
from tests.archive.ops.test_status import HOST_A, HOST_B, Archive, report
from tests.support import write_config


@pytest.fixture
def archive(tmp_path) -> Archive:
    return Archive(load_config(write_config(tmp_path, port=8765)))


def run(archive: Archive, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(archive.config.path), "status", *args])


def crawled(archive: Archive) -> None:
    archive.run(
        "scheduled__2026-11-25T10_00_00_00_00",
        "demo-aaaa0001",
        [report("2026-11-25T10:00:05+00:00", 30, HOST_A), report("2026-11-25T10:00:02+00:00", 50, HOST_B)],
        sharded=True,
        age=timedelta(minutes=30),
    )
    archive.stored("warcs/demo/2026/11/25/demo-aaaa0001-s0-20261125100005-00000.warc.gz", 4000)


def test_status_table_shows_each_outlet_its_last_runs_store_and_problems(archive):
    crawled(archive)
    result = run(archive)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "presstv" in out and "no crawl run yet" in out  # every outlet of the config, even without runs
    line = next(x for x in out.splitlines() if "scheduled__2026-11-25T10_00_00_00_00" in x)
    for cell in ("ok", "2026-11-25 10:00:02", "50 s", "2/2", "20", "4.0 kB", "200:17 404:1 503:2"):
        assert cell in line, (cell, line)
    assert "store: 1 WARC object(s), 4.0 kB" in out
    assert "no problems" in out


def test_status_outlet_json_is_the_whole_status(archive):
    crawled(archive)
    result = run(archive, "--outlet", "demo", "--json")
    assert result.exit_code == 0, result.output
    (demo,) = json.loads(result.stdout)
    assert demo["outlet"] == "demo" and demo["problems"] == []
    (last,) = demo["runs"]
    assert (last["state"], last["captures"], last["bytes"], last["shards"]) == ("ok", 20, 4000, 2)
    assert last["per_host"] == HOST_A | HOST_B


def test_status_lists_problems_in_red_lines(archive):
    archive.spool("demo-00000009-20261125110000-00000.warc.gz", 100)
    result = run(archive, "--outlet", "demo")
    assert result.exit_code == 0, result.output
    assert "! no crawl run yet" in result.stdout
    assert "! 1 closed WARC file(s) wait in the spool for the store step" in result.stdout


def test_status_of_an_unknown_outlet_is_one_line_and_exit_1(archive):
    result = run(archive, "--outlet", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "no outlet named 'nope'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_status_help_ends_with_an_example():
    assert status.help is not None
    assert status.help.strip().splitlines()[-1].strip() == "Example: edittrail status --outlet demo"
    result = CliRunner().invoke(cli, ["status", "--help"])
    assert result.exit_code == 0 and "Example: edittrail status --outlet demo" in result.stdout
