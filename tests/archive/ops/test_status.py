"""The operator's view of an outlet, read from a small fabricated data directory."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.alerts import Deliveries
from archive.config import Config, load_config
from archive.index import Index
from archive.mirrors.probe import ProbeResult
from archive.mirrors.run import mirror_state
from archive.ops.status import outlet_status
from archive.plan.crawljob import CrawlJob, Seed
from tests.support import write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def report(start: str, seconds: float, per_host: dict[str, dict[str, int]], **extra: Any) -> dict[str, Any]:
    began = datetime.fromisoformat(start)
    return {
        "outlet": "demo",
        "finish_reason": "finished",
        "started_at": began.isoformat(),
        "finished_at": (began + timedelta(seconds=seconds)).isoformat(),
        "exchanges_archived": sum(n for counts in per_host.values() for n in counts.values()),
        "status_per_host": per_host,
        "dead_domains": {},
        "outcomes": [],
        "errors": 0,
    } | extra


@dataclass
class Archive:
    """A data directory written the way the crawl, store, index, detect and alert steps write it."""

    config: Config

    def run(self, run_id: str, prefix: str, reports: list[dict | None], *, sharded: bool, age: timedelta) -> None:
        run_dir = self.config.runs_dir("demo") / run_id
        job = CrawlJob(
            outlet="demo",
            run_id=run_id,
            config=self.config.path,
            config_digest=self.config.digest,
            warc_dir=self.config.spool_dir("demo"),
            warc_prefix=prefix,
            report=run_dir / "report.json",
            seeds=(Seed("http://www.presstv.ir:8765/rss.xml", "rss"),),
        )
        jobs = [run_dir / "job.json"]
        job.save(jobs[0])
        if sharded:
            jobs = [run_dir / f"s{n}" / "job.json" for n in range(len(reports))]
            for n, path in enumerate(jobs):
                replace(job, warc_prefix=f"{prefix}-s{n}", report=path.parent / "report.json").save(path)
        for path, body in zip(jobs, reports, strict=True):
            if body is not None:
                (path.parent / "report.json").write_text(json.dumps(body))
        stamp = (NOW - age).timestamp()
        for path in {run_dir / "job.json", *jobs}:
            os.utime(path, (stamp, stamp))

    def stored(self, key: str, size: int, captures: list[dict[str, Any]] = ()) -> None:
        with Index(self.config.index_path) as idx:
            idx._db.table("warc_objects").insert({"key": key, "outlet": "demo", "size": size, "records": len(captures)})
            for n, capture in enumerate(captures):
                idx._db.table("captures").insert(
                    {
                        "record_id": capture["record_id"],
                        "outlet": "demo",
                        "url": "http://www.presstv.ir:8765/Detail/2026/11/25/1/x",
                        "urlkey": "ir,presstv)/detail/2026/11/25/1/x",
                        "host": "www.presstv.ir",
                        "fetched_at": capture["fetched_at"],
                        "status": 200,
                        "record_type": "response",
                        "warc": key,
                        "offset": n * 100,
                        "length": 100,
                        "article_id": "1",
                    }
                )

    def version(self, record_id: str, fetched_at: str, number: int) -> None:
        with Index(self.config.index_path) as idx:
            idx._db.table("versions").insert(
                {
                    "outlet": "demo",
                    "article_id": "1",
                    "version": number,
                    "record_id": record_id,
                    "fetched_at": fetched_at,
                    "whole_hash": f"h{number}",
                }
            )

    def change(self, record_id: str, to_time: str) -> None:
        with Index(self.config.index_path) as idx:
            idx._db.table("changes").insert(
                {
                    "change_key": f"k-{record_id}",
                    "outlet": "demo",
                    "article_id": "1",
                    "kind": "headline",
                    "to_record": record_id,
                    "to_time": to_time,
                }
            )

    def spool(self, name: str, size: int) -> None:
        spool = self.config.spool_dir("demo")
        spool.mkdir(parents=True, exist_ok=True)
        (spool / name).write_bytes(b"x" * size)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(load_config(write_config(tmp_path, port=8765)))


HOST_A = {"www.presstv.ir": {"200": 10, "404": 1}}
HOST_B = {"www.presstv.co.uk": {"200": 7, "503": 2}}


def test_a_sharded_run_is_one_run_with_its_shards_reports_summed(archive):
    archive.run(
        "scheduled__2026-11-25T10_00_00_00_00",
        "demo-aaaa0001",
        [report("2026-11-25T10:00:05+00:00", 30, HOST_A), report("2026-11-25T10:00:02+00:00", 50, HOST_B)],
        sharded=True,
        age=timedelta(hours=2),
    )
    archive.stored("warcs/demo/2026/11/25/demo-aaaa0001-s0-20261125100005-00000.warc.gz", 4000)
    archive.stored("warcs/demo/2026/11/25/demo-aaaa0001-s1-20261125100002-00000.warc.gz", 3000)
    archive.spool("demo-aaaa0001-s1-20261125100002-00001.warc.gz", 500)
    archive.stored("warcs/demo/2026/11/25/demo-other-20261125090000-00000.warc.gz", 99)

    (run,) = outlet_status(archive.config, "demo", now=NOW).runs
    assert (run.state, run.shards, run.reports) == ("ok", 2, 2)
    assert run.started_at == "2026-11-25T10:00:02+00:00" and run.duration_seconds == 50
    assert run.captures == 20
    assert run.status_codes == {"200": 17, "404": 1, "503": 2}
    assert run.per_host == HOST_A | HOST_B
    assert run.bytes == 4000 + 3000 + 500


def test_runs_are_newest_first_and_limited(archive):
    for n in range(4):
        archive.run(
            f"r{n}",
            f"demo-{n:08x}",
            [report("2026-11-25T10:00:00+00:00", 1, HOST_A)],
            sharded=False,
            age=timedelta(hours=5 - n),
        )
    status = outlet_status(archive.config, "demo", runs=3, now=NOW)
    assert [r.run_id for r in status.runs] == ["r3", "r2", "r1"]


def test_a_shard_that_stopped_early_fails_the_run_and_is_listed_as_a_problem(archive):
    stopped = report(
        "2026-11-25T10:00:00+00:00",
        600,
        HOST_B,
        finish_reason="shutdown",
        errors=1,
        outcomes=[{"url": "http://www.presstv.co.uk:8765/", "host": "x", "kind": "fetch_error", "detail": "timeout"}],
        dead_domains={"www.presstv.co.uk": "timeout"},
    )
    archive.run(
        "r1",
        "demo-0000000a",
        [report("2026-11-25T10:00:00+00:00", 5, HOST_A), stopped],
        sharded=True,
        age=timedelta(hours=1),
    )
    status = outlet_status(archive.config, "demo", now=NOW)
    (run,) = status.runs
    assert run.state == "failed" and run.finish_reasons == ("finished", "shutdown")
    assert run.errors == 1 and run.error_samples == ("fetch_error http://www.presstv.co.uk:8765/: timeout",)
    assert run.dead_domains == ("www.presstv.co.uk",)
    assert status.problems == ("last run r1 failed (finished, shutdown)",)


def test_a_shard_without_a_report_is_running_within_the_crawl_timeout_and_failed_after_it(archive):
    ok = report("2026-11-25T11:59:00+00:00", 5, HOST_A)
    archive.run("young", "demo-0000000b", [ok, None], sharded=True, age=timedelta(minutes=1))
    (run,) = outlet_status(archive.config, "demo", now=NOW).runs
    assert (run.state, run.reports, run.shards, run.duration_seconds) == ("running", 1, 2, None)

    timeout = timedelta(minutes=archive.config.outlet("demo").crawl.timeout_minutes + 3)
    (run,) = outlet_status(archive.config, "demo", now=NOW + timeout).runs
    assert run.state == "failed"


def test_new_versions_and_changes_belong_to_the_run_whose_warc_files_held_their_captures(archive):
    archive.run(
        "r1", "demo-00000001", [report("2026-11-25T10:00:00+00:00", 5, HOST_A)], sharded=False, age=timedelta(hours=2)
    )
    archive.run(
        "r2",
        "demo-00000002",
        [report("2026-11-25T11:00:00+00:00", 5, HOST_A)] * 2,
        sharded=True,
        age=timedelta(hours=1),
    )
    archive.stored(
        "warcs/demo/2026/11/25/demo-00000001-20261125100000-00000.warc.gz",
        10,
        [{"record_id": "a", "fetched_at": "2026-11-25T10:00:01Z"}],
    )
    archive.stored(
        "warcs/demo/2026/11/25/demo-00000002-s1-20261125110000-00000.warc.gz",
        10,
        [
            {"record_id": "b", "fetched_at": "2026-11-25T11:00:01Z"},
            {"record_id": "c", "fetched_at": "2026-11-25T11:00:02Z"},
        ],
    )
    archive.version("a", "2026-11-25T10:00:01Z", 1)
    archive.version("b", "2026-11-25T11:00:01Z", 2)
    archive.version("c", "2026-11-25T11:00:02Z", 3)
    archive.change("b", "2026-11-25T11:00:01Z")
    archive.change("c", "2026-11-25T11:00:02Z")

    newest, oldest = outlet_status(archive.config, "demo", now=NOW).runs
    assert (newest.run_id, newest.new_versions, newest.changes) == ("r2", 2, 2)
    assert (oldest.run_id, oldest.new_versions, oldest.changes) == ("r1", 1, 0)


def test_spool_backlog_store_usage_domain_states_and_failed_alerts(archive):
    archive.run(
        "r1", "demo-00000001", [report("2026-11-25T10:00:00+00:00", 5, HOST_A)], sharded=False, age=timedelta(hours=2)
    )
    archive.stored("warcs/demo/2026/11/25/demo-00000001-20261125100000-00000.warc.gz", 1234)
    archive.spool("demo-00000009-20261125110000-00000.warc.gz", 100)
    archive.spool("demo-00000009-20261125110000-00001.warc.gz.open", 50)
    archive.spool("demo-00000008-20261125090000-00000.warc.gz.damaged", 7)
    with mirror_state(archive.config) as state:
        state.record_probe(ProbeResult("demo", "www.presstv.ir", "2026-11-25T11:00:00Z", "serving", "200"))
        state.record_probe(ProbeResult("demo", "www.presstv.com", "2026-11-25T10:00:00Z", "serving", "200"))
        state.record_probe(ProbeResult("demo", "www.presstv.com", "2026-11-25T11:00:00Z", "seized", "seizure banner"))
    deliveries = Deliveries(archive.config.alerts_db)
    deliveries.record("change:1", "demo-webhook", "demo", ok=False, error="connection refused")
    deliveries.record("change:2", "demo-webhook", "demo", ok=True)
    deliveries.close()

    status = outlet_status(archive.config, "demo", now=NOW)
    assert (status.spool.files, status.spool.open_files, status.spool.damaged_files) == (1, 1, 1)
    assert status.spool.bytes == 157
    assert (status.store_objects, status.store_bytes) == (1, 1234)
    assert {d["host"]: d["state"] for d in status.domains} == {"www.presstv.ir": "serving", "www.presstv.com": "seized"}
    assert [(a["change_key"], a["last_error"]) for a in status.alerts] == [("change:1", "connection refused")]
    assert status.problems == (
        "1 closed WARC file(s) wait in the spool for the store step",
        "1 damaged WARC file(s) in the spool need an operator",
        "www.presstv.com is seized since 2026-11-25T11:00:00Z",
        "1 alert delivery(ies) failed, retried next run: demo-webhook",
    )


def test_a_new_archive_reads_as_no_run_yet_and_creates_nothing(archive):
    status = outlet_status(archive.config, "demo", now=NOW)
    assert status.runs == () and status.store_objects == 0 and status.domains == () and status.alerts == ()
    assert status.problems == ("no crawl run yet",)
    assert not archive.config.data_dir.exists()


def test_the_run_report_reaches_the_log_with_timings_statuses_per_host_and_errors(archive, caplog):
    from archive.ops.status import log_run_report

    failed = {"url": "http://www.presstv.co.uk:8765/x", "host": "x", "kind": "http_error", "detail": "HTTP 503"}
    body = report("2026-11-25T10:00:00+00:00", 12, HOST_B, errors=1, outcomes=[failed])
    archive.run("r1", "demo-00000001", [body], sharded=True, age=timedelta(minutes=1))
    with caplog.at_level("INFO", logger="archive.ops.status"):
        log_run_report(archive.config.runs_dir("demo") / "r1" / "s0" / "job.json")
    text = caplog.text
    assert "finish_reason=finished" in text and "seconds=12.0" in text and "exchanges=9" in text
    assert 'host=www.presstv.co.uk statuses={"200": 7, "503": 2}' in text
    assert "http_error url=http://www.presstv.co.uk:8765/x: HTTP 503" in text


def test_learned_noise_is_listed_with_what_it_ignores(archive):
    from archive.detect import learned as learned_noise
    from archive.detect.noise import Evidence

    evidence = [Evidence("shape", "body", "\x00 views", -1, f"a{i}") for i in range(3)]
    with Index(archive.config.index_path) as idx:
        assert learned_noise.record_evidence(idx, "demo", evidence, articles=3) == 1
    (entry,) = outlet_status(archive.config, "demo", now=NOW).noise
    assert (entry["kind"], entry["field"], entry["articles"]) == ("shape", "body", 3)
    assert entry["description"] == "body: “# views” (any number) is site template, in many articles"


def test_a_run_that_archived_nothing_failed_and_says_why_per_domain(archive):
    """Every domain unreachable: the spider finishes normally, and archived nothing (audit, area 1)."""
    refused = "ConnectionRefusedError: Connection was refused by other side: 111: Connection refused."
    nothing = report(
        "2026-11-25T11:00:00+00:00",
        3,
        {},
        errors=2,
        dead_domains={"www.presstv.ir": refused, "www.presstv.co.uk": "HTTP 503 on 3 pages in a row"},
        dead_domain_states={"www.presstv.ir": "unreachable", "www.presstv.co.uk": "error"},
    )
    assert nothing["exchanges_archived"] == 0 and nothing["finish_reason"] == "finished"
    archive.run("r1", "demo-0000000c", [nothing], sharded=False, age=timedelta(minutes=5))

    status = outlet_status(archive.config, "demo", now=NOW)
    (run,) = status.runs
    assert run.state == "failed"
    assert run.domain_failures == (
        "www.presstv.co.uk: error (HTTP 503 on 3 pages in a row)",
        f"www.presstv.ir: unreachable ({refused})",
    )
    assert status.problems == (
        "last run r1 failed (archived nothing: www.presstv.co.uk: error (HTTP 503 on 3 pages in a row); "
        f"www.presstv.ir: unreachable ({refused}))",
    )


def test_a_run_that_archived_nothing_without_a_dead_domain_still_failed(archive):
    archive.run(
        "r1", "demo-0000000d", [report("2026-11-25T11:00:00+00:00", 3, {})], sharded=False, age=timedelta(minutes=5)
    )
    (run,) = outlet_status(archive.config, "demo", now=NOW).runs
    assert (run.state, run.failure) == ("failed", "archived nothing: no domain answered")


def test_quarantined_warc_objects_are_problems_with_their_reason(archive):
    from archive.index import quarantine as qx

    archive.run(
        "r1", "demo-00000001", [report("2026-11-25T10:00:00+00:00", 5, HOST_A)], sharded=False, age=timedelta(hours=2)
    )
    key = "warcs/demo/2026/11/25/demo-00000001-20261125100000-00000.warc.gz"
    archive.stored(key, 1234)
    at = "2026-11-25T11:00:00Z"
    error = "at offset 136775: the gzip member is corrupt"
    entry = qx.Quarantined(key, "demo", "damaged", error, at, at, size=1234, offset=136775, captures=12)
    with Index(archive.config.index_path) as idx, idx._db.conn:
        qx.put(idx, entry)

    status = outlet_status(archive.config, "demo", now=NOW)
    assert status.quarantined == (entry,)
    assert status.problems == (
        f"{key}: quarantined (damaged) since 2026-11-25T11:00:00Z: at offset 136775: the gzip member is corrupt; "
        "12 capture(s) from its readable records are indexed; once it is restored from a backup of the store, run "
        "`edittrail reindex --outlet demo`",
    )


def test_status_renders_the_failure_and_the_quarantine(archive):
    from click.testing import CliRunner

    from archive.cli.main import cli

    dead = {"dead_domains": {"www.presstv.ir": "refused"}, "dead_domain_states": {"www.presstv.ir": "unreachable"}}
    nothing = report("2026-11-25T11:00:00+00:00", 3, {}, **dead)
    archive.run("r1", "demo-0000000c", [nothing], sharded=False, age=timedelta(minutes=5))
    result = CliRunner().invoke(cli, ["--config", str(archive.config.path), "status", "--outlet", "demo"])
    assert result.exit_code == 0, result.output
    assert "run r1 failed: archived nothing: www.presstv.ir: unreachable (refused)" in result.output
