"""The store step on a local store: one unreadable spool file does not hold up the others."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import pipeline, runreports
from archive.config import load_config, store_for
from archive.errors import StoreError
from tests.archive.stored_warcs import report as finished_report
from tests.support import write_config

GOLDEN = Path(__file__).parents[1] / "fixtures" / "warc" / "golden-20240506070809-00000.warc.gz"


def test_an_unreadable_spool_file_stays_in_the_spool_and_the_others_are_stored(tmp_path, caplog):
    config = load_config(write_config(tmp_path, port=8765))
    spool = config.spool_dir("demo")
    spool.mkdir(parents=True)
    good = Path(shutil.copy(GOLDEN, spool / "demo-aaaa-20261125105501-00001.warc.gz"))
    bad = spool / "demo-aaaa-20261125105501-00000.warc.gz"  # sorted first: the others come after it
    bad.mkdir()  # a directory where a WARC file should be: reading it is an OSError, even for root
    with pytest.raises(StoreError, match=r"1 WARC file\(s\) of demo stay in .*: demo-aaaa-20261125105501-00000"):
        pipeline.store(config, "demo")
    assert not good.exists() and bad.exists()
    stored = [o.key for o in store_for(config, config.outlet("demo")).list("warcs/demo/")]
    assert stored == ["warcs/demo/2026/11/25/demo-aaaa-20261125105501-00001.warc.gz"]
    assert f"could not read the local file {bad}" in caplog.text


def test_a_run_report_is_filed_under_reports_by_the_day_of_its_warcs(tmp_path):
    from archive import pipeline
    from archive.config import load_config
    from tests.support import write_config

    config = load_config(write_config(tmp_path, port=8765))
    spool = config.spool_dir("demo")
    spool.mkdir(parents=True)
    (spool / "demo-1a2b3c4d-20261124093000.report.json").write_text('{"run_id": "r1"}')
    result = pipeline.store(config, "demo")
    assert result["reports"] == ["reports/demo/2026/11/24/demo-1a2b3c4d-20261124093000.report.json"]
    assert result["stored"] == []  # warcs/ holds WARC files only
    assert not list(spool.iterdir())
    assert runreports.report_object_key("demo", "no-time.report.json") is None


def orphan_run(config, run_id: str, prefix: str, *, report: str | None, shards: int = 0) -> list[Path]:
    """A run directory as a crawl leaves it when its parent was killed: job(s), and the report(s)
    the scrapy child wrote on its own, never copied into the spool. Returns the report paths."""
    from archive.plan.crawljob import CrawlJob, Seed

    run_dir = config.runs_dir("demo") / run_id
    job = CrawlJob(
        outlet="demo",
        run_id=run_id,
        config=config.path,
        config_digest=config.digest,
        warc_dir=config.spool_dir("demo"),
        warc_prefix=prefix,
        report=run_dir / "report.json",
        seeds=(Seed("http://www.presstv.ir:8765/rss.xml", "rss"),),
    )
    job.save(run_dir / "job.json")
    jobs = [job]
    if shards:
        jobs = [
            replace(job, warc_prefix=f"{prefix}-s{n}", report=run_dir / f"s{n}" / "report.json") for n in range(shards)
        ]
        for shard in jobs:
            shard.save(shard.report.parent / "job.json")
    if report is not None:
        for shard in jobs:
            shard.report.write_text(report)
    return [shard.report for shard in jobs]


STARTED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_the_report_of_a_crawl_whose_parent_was_killed_is_filed_by_the_next_store_once(tmp_path):
    config = load_config(write_config(tmp_path, port=8765))
    (report,) = orphan_run(config, "r1", "demo-0a0b0c0d", report=finished_report(STARTED))

    first = pipeline.store(config, "demo")
    assert first["reports"] == ["reports/demo/2026/11/24/demo-0a0b0c0d-20261124093000.report.json"]
    stored = store_for(config, config.outlet("demo")).root / first["reports"][0]  # type: ignore[attr-defined]
    assert stored.read_bytes() == report.read_bytes()
    assert (report.parent / "report.filed").exists()
    assert pipeline.store(config, "demo")["reports"] == []  # filed once
    assert not list(config.spool_dir("demo").iterdir())


def test_a_report_copied_by_the_parent_is_filed_once_and_marked(tmp_path):
    from archive.plan.crawljob import CrawlJob

    config = load_config(write_config(tmp_path, port=8765))
    (report,) = orphan_run(config, "r1", "demo-0a0b0c0d", report=finished_report(STARTED))
    config.spool_dir("demo").mkdir(parents=True)
    runreports.keep_report_with_warcs(CrawlJob.load(report.parent / "job.json"), json.loads(report.read_text()))

    assert len(pipeline.store(config, "demo")["reports"]) == 1
    assert (report.parent / "report.filed").exists()
    assert pipeline.store(config, "demo")["reports"] == []


def test_a_crawl_still_running_or_still_writing_its_report_is_left_alone(tmp_path):
    config = load_config(write_config(tmp_path, port=8765))
    (running,) = orphan_run(config, "r1", "demo-0000000a", report=None)
    (writing,) = orphan_run(config, "r2", "demo-0000000b", report=finished_report(STARTED)[:40])

    assert pipeline.store(config, "demo")["reports"] == []
    assert not list(config.runs_dir("demo").rglob("report.filed"))
    assert not config.spool_dir("demo").exists() or not list(config.spool_dir("demo").iterdir())

    running.write_text(finished_report(STARTED))  # the orphan finished
    writing.write_text(finished_report(STARTED + timedelta(minutes=1)))
    assert len(pipeline.store(config, "demo")["reports"]) == 2


def test_every_shards_report_of_an_orphaned_run_is_filed(tmp_path):
    config = load_config(write_config(tmp_path, port=8765))
    reports = orphan_run(config, "r1", "demo-0000000e", report=finished_report(STARTED), shards=2)
    filed = pipeline.store(config, "demo")["reports"]
    assert sorted(Path(k).name for k in filed) == [
        "demo-0000000e-s0-20261124093000.report.json",
        "demo-0000000e-s1-20261124093000.report.json",
    ]
    assert all((r.parent / "report.filed").exists() for r in reports)
