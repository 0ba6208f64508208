"""The articles an operator asked for in a killed run come back in the next plan, unless captured since."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.index import Index
from archive.plan.carryover import CARRY_DAYS, MAX_CARRIES, carried_over
from archive.plan.crawljob import CrawlJob
from archive.plan.shards import shard_by_domain
from tests.support import write_config

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
NEVER_SEEN = "http://www.presstv.ir:8765/Detail/2026/11/25/777500/asked-for-by-an-operator"
RECOVERED = "http://www.presstv.co.uk:8765/Detail/2026/11/25/777501/its-record-reached-a-warc"
AFTER_GRACE = timedelta(hours=2)  # the shipped demo outlet's crawl timeout is well under that


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path, port=8765))


def killed_run(config: Config, *urls: str, at: datetime = T0) -> Path:
    """A planned run whose crawl died before its report: only its job is left."""
    job = Path(pipeline.plan(config, "demo", articles=urls, now=at)["job"])
    os.utime(job, (at.timestamp(), at.timestamp()))
    return job


def capture(config: Config, url: str, article_id: str, at: datetime) -> None:
    with Index(config.index_path) as idx, idx._db.conn:
        idx._db["captures"].insert(
            {
                "record_id": f"<urn:uuid:{article_id}>",
                "outlet": "demo",
                "url": url,
                "urlkey": "x",
                "host": "www.presstv.co.uk",
                "article_id": article_id,
                "fetched_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "record_type": "response",
                "warc": "warcs/demo/x.warc.gz",
                "offset": 0,
                "length": 10,
            }
        )


def test_a_dead_runs_uncaptured_articles_are_asked_for_again(config):
    killed_run(config, NEVER_SEEN, RECOVERED)
    capture(config, RECOVERED, "777501", T0 + timedelta(minutes=5))  # crash recovery kept this one

    planned = pipeline.plan(config, "demo", now=T0 + AFTER_GRACE)

    assert planned["carried_over"] == 1
    assert NEVER_SEEN in CrawlJob.load(Path(planned["job"])).articles
    assert RECOVERED not in CrawlJob.load(Path(planned["job"])).articles


def test_a_capture_from_before_the_run_does_not_count(config):
    capture(config, NEVER_SEEN, "777500", T0 - timedelta(days=1))
    killed_run(config, NEVER_SEEN)
    assert carried_over(config, config.outlet("demo"), T0 + AFTER_GRACE) == ((NEVER_SEEN, "2026-11-25T10:00:00Z"),)


def test_a_run_still_within_its_timeout_is_running_not_dead(config):
    killed_run(config, NEVER_SEEN)
    assert carried_over(config, config.outlet("demo"), T0 + timedelta(minutes=10)) == ()


def test_a_run_that_reported_is_not_carried(config):
    job = killed_run(config, NEVER_SEEN)
    (job.parent / "report.json").write_text(json.dumps({"finish_reason": "finished"}))
    assert carried_over(config, config.outlet("demo"), T0 + AFTER_GRACE) == ()


def test_runs_older_than_the_carry_window_are_left_alone(config):
    killed_run(config, NEVER_SEEN)
    late = T0 + timedelta(days=CARRY_DAYS, hours=1)
    assert carried_over(config, config.outlet("demo"), late) == ()


def test_of_a_sharded_run_only_the_shards_without_a_report_count(config):
    job = killed_run(config, NEVER_SEEN, RECOVERED)
    shard_jobs = [Path(p) for p in shard_by_domain(job)]
    for shard in shard_jobs:
        os.utime(shard, (T0.timestamp(), T0.timestamp()))
    finished = next(p for p in shard_jobs if RECOVERED in CrawlJob.load(p).articles)
    (finished.parent / "report.json").write_text(json.dumps({"finish_reason": "finished"}))

    assert carried_over(config, config.outlet("demo"), T0 + AFTER_GRACE) == ((NEVER_SEEN, "2026-11-25T10:00:00Z"),)


def test_an_unreadable_job_is_skipped_with_a_warning(config, caplog):
    job = killed_run(config, NEVER_SEEN)
    job.write_text("{not json")
    os.utime(job, (T0.timestamp(), T0.timestamp()))
    assert carried_over(config, config.outlet("demo"), T0 + AFTER_GRACE) == ()
    assert "carry-over skips an unreadable job" in caplog.text


def test_revisits_of_a_dead_run_are_not_carried_only_what_an_operator_asked_for(config):
    job_path = killed_run(config, NEVER_SEEN)
    replace(CrawlJob.load(job_path), requested=(), articles=(NEVER_SEEN, RECOVERED)).save(job_path)  # as revisits
    os.utime(job_path, (T0.timestamp(), T0.timestamp()))
    assert carried_over(config, config.outlet("demo"), T0 + AFTER_GRACE) == ()


def test_a_url_whose_runs_keep_dying_is_given_up_after_max_carries(config, caplog):
    killed_run(config, NEVER_SEEN)  # first asked at T0; the run died
    for n in range(1, MAX_CARRIES):  # each next run carries it, and dies too
        planned = pipeline.plan(config, "demo", now=T0 + timedelta(minutes=n) + AFTER_GRACE)
        assert planned["carried_over"] == 1, n
        died = (T0 + timedelta(minutes=n)).timestamp()
        os.utime(planned["job"], (died, died))
    assert carried_over(config, config.outlet("demo"), T0 + timedelta(minutes=MAX_CARRIES) + AFTER_GRACE) == ()
    assert f"{MAX_CARRIES} runs that asked for it died (first asked 2026-11-25T10:00:00Z)" in caplog.text


def test_the_carry_window_counts_from_the_first_ask_not_from_the_last_carrying_run(config):
    killed_run(config, NEVER_SEEN)
    carrying = pipeline.plan(config, "demo", now=T0 + timedelta(days=CARRY_DAYS - 1))["job"]
    died = (T0 + timedelta(days=CARRY_DAYS - 1)).timestamp()
    os.utime(carrying, (died, died))
    assert dict(CrawlJob.load(Path(carrying)).requested) == {NEVER_SEEN: "2026-11-25T10:00:00Z"}
    assert carried_over(config, config.outlet("demo"), T0 + timedelta(days=CARRY_DAYS, hours=1)) == ()
