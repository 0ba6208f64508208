"""Articles an earlier run was asked for but never reported on, carried into the next plan.

A crawl killed before it wrote its report (a lost worker, SIGKILL, a machine gone) may have
fetched none, some or all of its articles; crash recovery keeps whatever reached a WARC, and
revisits re-plan the articles the index knows. An article nobody has captured yet (an
operator's ``edittrail crawl --url`` for a story the listings never showed) would be lost
with the run, so the next plan asks for it again: every article URL of a dead run's job that
has no capture in the index since that job was written.

A run is dead when its job (or one of its shards' jobs) has no report and is older than the
crawl timeout and some, the rule ``edittrail status`` uses to call a run failed. Runs older
than ``CARRY_DAYS`` are left alone: a URL no domain serves any more is not asked for forever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.config import Config, Outlet
from archive.crawljob import CrawlJob
from archive.errors import EdittrailError
from archive.index import Index, utc_iso

log = logging.getLogger(__name__)

CARRY_DAYS = 7


def dead_jobs(runs_dir: Path, now: datetime, grace_seconds: float) -> Iterator[tuple[Path, datetime]]:
    """(job path, when it was written) of each job without a report, past its grace, within CARRY_DAYS."""
    if not runs_dir.is_dir():
        return
    oldest = (now - timedelta(days=CARRY_DAYS)).timestamp()
    newest = now.timestamp() - grace_seconds
    for run_dir in sorted(runs_dir.iterdir()):
        jobs = sorted(run_dir.glob("s[0-9]*/job.json")) or [run_dir / "job.json"]
        for job_path in jobs:
            if not job_path.is_file() or (job_path.parent / "report.json").exists():
                continue
            written = job_path.stat().st_mtime
            if oldest <= written <= newest:
                yield job_path, datetime.fromtimestamp(written, UTC)


def carried_over(config: Config, outlet: Outlet, now: datetime | None = None) -> tuple[str, ...]:
    """Article URLs of dead runs with no capture since their job was written, oldest run first."""
    now = now or datetime.now(UTC)
    grace = outlet.crawl.timeout_minutes * 60 + 120
    wanted: dict[str, datetime] = {}
    for job_path, written in dead_jobs(config.runs_dir(outlet.name), now, grace):
        try:
            job = CrawlJob.load(job_path)
        except EdittrailError as exc:
            log.warning("carry-over skips an unreadable job=%s: %s", job_path, exc)
            continue
        for url in job.articles:
            if outlet.article_id(url) is not None:
                wanted.setdefault(url, written)
    if not wanted or not config.index_path.exists():
        return tuple(wanted)
    with Index(config.index_path, readonly=True) as idx:
        return tuple(url for url, since in wanted.items() if not _captured_since(idx, outlet, url, since))


def _captured_since(idx: Index, outlet: Outlet, url: str, since: datetime) -> bool:
    """Any capture of the article (on any domain, any status) at or after ``since``."""
    row = idx.db.execute(
        "SELECT 1 FROM captures WHERE outlet = ? AND article_id = ? AND fetched_at >= ? LIMIT 1",
        [outlet.name, outlet.article_id(url), utc_iso(since)],
    ).fetchone()
    return row is not None
