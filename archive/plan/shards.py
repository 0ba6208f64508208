"""Split a planned crawl into one job per domain, so several workers crawl one outlet at once.

The crawl DAG maps its ``crawl`` task over the shard jobs (Airflow dynamic task mapping);
``edittrail crawl`` keeps running the whole job in one process. Each shard is an ordinary
crawl job (``archive.plan.crawljob``) holding the seeds and article URLs of one host, with:

- the WARC prefix ``<job.warc_prefix>-s<n>``: ``archive.warc.crawl_batch`` strips the
  ``-s<n>``, so the shards of one run stay one batch for detection and mirror divergence;
- its own directory ``<run>/s<n>/`` for ``job.json``, ``report.json`` and ``crawl.log``.

A shard's spider still knows every domain of the outlet, so a dead domain's requests fail
over to the next live one as in an unsharded crawl; ``crawl.max_articles`` then holds per
shard, not per run.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from archive.plan.crawljob import CrawlJob

log = logging.getLogger(__name__)


def shard_by_domain(job_path: str | Path) -> list[str]:
    """Write one job per host that has work and return their paths, in the outlet's domain order.

    Hosts come first in the order the plan listed their seeds (the outlet's failover order),
    then hosts that only article URLs name. A URL without a host goes to the first shard.
    A job with no work at all is returned unsplit, so the mapped crawl still runs once and
    the steps after it (store, which also recovers abandoned WARCs) are not skipped.
    """
    job_path = Path(job_path)
    job = CrawlJob.load(job_path)
    hosts = [h for h in dict.fromkeys(_host(u) for u in (*(s.url for s in job.seeds), *job.articles)) if h]
    if not hosts:
        return [str(job_path)]
    first = hosts[0]
    paths = []
    for n, host in enumerate(hosts):
        shard_dir = job_path.parent / f"s{n}"
        shard = replace(
            job,
            warc_prefix=f"{job.warc_prefix}-s{n}",
            report=shard_dir / "report.json",
            seeds=tuple(s for s in job.seeds if (_host(s.url) or first) == host),
            articles=tuple(u for u in job.articles if (_host(u) or first) == host),
            requested=tuple((u, at) for u, at in job.requested if (_host(u) or first) == host),
        )
        path = shard_dir / "job.json"
        shard.save(path)
        paths.append(str(path))
        log.info(
            "shard outlet=%s run=%s shard=s%d host=%s seeds=%d articles=%d job=%s",
            job.outlet,
            job.run_id,
            n,
            host,
            len(shard.seeds),
            len(shard.articles),
            path,
        )
    return paths


def run_jobs(run_dir: Path) -> list[Path]:
    """The jobs of a run that crawl and report: its shards' if it was sharded, else its own."""
    return sorted(run_dir.glob("s[0-9]*/job.json")) or [run_dir / "job.json"]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
