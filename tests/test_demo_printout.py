"""`make demo` run again on the same archive prints only what its own run found: the WARC files
it stored and the changes it detected, not the earlier runs' (which it names as earlier).

The archive here is two real crawls of the simulated outlet; the second stands for a later demo
run, started at the moment ``since``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.demo import print_changes, print_summary
from archive.index import Index, utc_iso
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import wait_past
from tests.support import HOSTS, TWO_DOMAINS, write_config

FIRST_EDIT = "A headline edited before this run"
SECOND_EDIT = "A headline edited during this run"


@dataclass(frozen=True)
class TwoRuns:
    config: Config
    since: str
    """When the second run started."""
    first: str
    second: str
    """The articles edited before and during the second run."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    directory = tmp_path_factory.mktemp("demo-printout")
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=4) as sim:
        config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
        first, second = (str(i) for i in sim.site.article_ids()[1:3])
        pipeline.run_cycle(config, "demo")
        sim.edit_headline(int(first), FIRST_EDIT)
        wait_for_next_second(config)
        pipeline.run_cycle(config, "demo")
        wait_for_next_second(config)
        since = utc_iso(datetime.now(UTC))
        sim.edit_headline(int(second), SECOND_EDIT)
        pipeline.run_cycle(config, "demo")
        yield TwoRuns(config, since, first, second)


def wait_for_next_second(config: Config) -> None:
    with Index(config.index_path, readonly=True) as idx:
        wait_past(idx._db.execute("SELECT max(stored_at) FROM warc_objects").fetchone()[0])


def test_the_changes_printed_are_only_those_detected_in_this_run(runs):
    lines: list[str] = []
    print_changes(runs.config, lines.append, [], runs.since)
    text = "\n".join(lines)
    assert "Changes detected in this run (1):" in text
    assert f"* demo/{runs.second} on " in text and SECOND_EDIT in text
    assert f"demo/{runs.first}" not in text and FIRST_EDIT not in text
    assert "(and 1 change(s) from earlier runs: uv run edittrail changes --outlet demo)" in text
    assert f"  uv run edittrail diff demo/{runs.second}" in text


def test_the_summary_counts_this_runs_warc_files_and_names_the_totals_as_such(runs):
    lines: list[str] = []
    print_summary(runs.config, lines.append, runs.since)
    with Index(runs.config.index_path, readonly=True) as idx:
        mine = [k for (k,) in idx._db.execute("SELECT key FROM warc_objects WHERE stored_at >= ?", [runs.since])]
        total = idx.summary("demo")
    listed = [line.split()[0] for line in lines if line.startswith("  warcs/")]
    assert listed == sorted(mine) and 0 < len(mine) < len(total["warc_objects"])
    this_run = next(line for line in lines if line.startswith("Archived in this run: "))
    assert int(this_run.split(", ")[1].split()[0]) < total["captures"]
    assert any(line.startswith(f"With earlier runs the archive holds {total['articles']} articles") for line in lines)


def test_a_first_run_prints_everything_and_no_earlier_totals(runs):
    lines: list[str] = []
    print_summary(runs.config, lines.append, "2000-01-01T00:00:00Z")
    print_changes(runs.config, lines.append, [], "2000-01-01T00:00:00Z")
    text = "\n".join(lines)
    assert "Changes detected in this run (2):" in text and "earlier" not in text
