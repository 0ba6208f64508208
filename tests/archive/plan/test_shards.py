"""A planned crawl splits into one job per domain; together the shards ask for exactly what the plan did."""

from __future__ import annotations

from pathlib import Path

from archive import pipeline
from archive.config import load_config
from archive.plan.crawljob import CrawlJob, Seed
from archive.plan.shards import shard_by_domain
from archive.warc import crawl_batch
from tests.support import HOSTS, write_config


def planned_job(tmp_path: Path, articles: tuple[str, ...] = ()) -> tuple[Path, CrawlJob]:
    config = load_config(write_config(tmp_path, port=8765))
    planned = pipeline.plan(config, "demo", "manual__2026-11-25T10:00:00+00:00", articles=articles)
    return Path(planned["job"]), CrawlJob.load(Path(planned["job"]))


def test_each_domain_of_the_outlet_gets_its_own_shard_in_failover_order(tmp_path):
    job_path, job = planned_job(tmp_path)
    shards = [CrawlJob.load(Path(p)) for p in shard_by_domain(job_path)]
    assert [{s.url.split("/")[2].split(":")[0] for s in shard.seeds} for shard in shards] == [{h} for h in HOSTS]
    assert [s for shard in shards for s in shard.seeds] == list(job.seeds)


def test_article_urls_go_to_the_shard_of_their_host(tmp_path):
    on_mirror = "http://www.presstv.co.uk:8765/Detail/2026/11/20/777400/x"
    on_primary = "http://www.presstv.ir:8765/Detail/2026/11/20/777401/y"
    job_path, _ = planned_job(tmp_path, articles=(on_mirror, on_primary))
    shards = [CrawlJob.load(Path(p)) for p in shard_by_domain(job_path)]
    assert [shard.articles for shard in shards] == [(on_primary,), (on_mirror,), (), ()]


def test_shards_are_one_crawl_batch_with_their_own_report_and_the_run_id_of_the_plan(tmp_path):
    job_path, job = planned_job(tmp_path)
    paths = shard_by_domain(job_path)
    shards = [CrawlJob.load(Path(p)) for p in paths]
    assert [s.warc_prefix for s in shards] == [f"{job.warc_prefix}-s{n}" for n in range(len(HOSTS))]
    assert {crawl_batch(f"warcs/demo/{s.warc_prefix}-20261125100000-00000.warc.gz") for s in shards} == {
        job.warc_prefix
    }
    assert [Path(p) for p in paths] == [job_path.parent / f"s{n}" / "job.json" for n in range(len(HOSTS))]
    assert len({s.report for s in shards}) == len(shards)
    assert all(s.report.parent == Path(p).parent for s, p in zip(shards, paths, strict=True))
    assert {(s.run_id, s.warc_dir, s.config_digest) for s in shards} == {(job.run_id, job.warc_dir, job.config_digest)}


def test_a_job_with_nothing_to_fetch_stays_one_shard_so_the_crawl_still_runs_once(tmp_path):
    job = CrawlJob(
        outlet="demo",
        run_id="r1",
        config=tmp_path / "outlets.toml",
        config_digest="0" * 64,
        warc_dir=tmp_path / "spool",
        warc_prefix="demo-00aa11bb",
        report=tmp_path / "runs" / "r1" / "report.json",
        seeds=(Seed("/rss.xml", "rss"),),  # no host: nothing to split by
    )
    path = tmp_path / "runs" / "r1" / "job.json"
    job.save(path)
    assert shard_by_domain(path) == [str(path)]
