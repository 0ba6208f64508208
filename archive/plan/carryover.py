"""Articles an operator asked for in a run that died before its report, asked for again.

A crawl killed before it wrote its report (a lost worker, SIGKILL, a machine gone) may have
fetched none, some or all of its articles; crash recovery keeps whatever reached a WARC, and
revisits re-plan the articles the index knows. An article nobody has captured yet (an
operator's ``edittrail crawl --url`` for a story the listings never showed) would be lost
with the run, so each job keeps the operator's URLs with when they were first asked for
(``CrawlJob.requested``), and the next plan asks again for those of dead runs that have no
capture in the index since.

A run is dead when its job (or one of its shards' jobs) has no report and is older than the
crawl timeout and some, the rule ``edittrail status`` uses to call a run failed. A URL is
carried for ``CARRY_DAYS`` after it was first asked for and through at most ``MAX_CARRIES``
dead runs: one that kills every crawl that fetches it must not stop the outlet's crawls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.config import Config, Outlet
from archive.errors import EdittrailError
from archive.index import Index
from archive.index import captures as cx
from archive.plan.crawljob import CrawlJob, report_grace_seconds
from archive.plan.shards import run_jobs

log = logging.getLogger(__name__)

CARRY_DAYS = 7
MAX_CARRIES = 3


@dataclass
class _Asked:
    first_asked: str
    dead_runs: int = 0


def dead_jobs(runs_dir: Path, now: datetime, grace_seconds: float) -> Iterator[Path]:
    """Each job without a report, past its grace, written within CARRY_DAYS."""
    if not runs_dir.is_dir():
        return
    oldest = (now - timedelta(days=CARRY_DAYS)).timestamp()
    newest = now.timestamp() - grace_seconds
    for run_dir in sorted(runs_dir.iterdir()):
        if run_dir.stat().st_mtime < oldest:
            continue  # a run directory is never older than the jobs in it: the old ones cost one stat
        for job_path in run_jobs(run_dir):
            if not job_path.is_file() or (job_path.parent / "report.json").exists():
                continue
            if oldest <= job_path.stat().st_mtime <= newest:
                yield job_path


def carried_over(config: Config, outlet: Outlet, now: datetime | None = None) -> tuple[tuple[str, str], ...]:
    """(URL, first asked) of the operator's articles in dead runs, not captured since they were asked for."""
    now = now or datetime.now(UTC)
    grace = report_grace_seconds(outlet.crawl.timeout_minutes)
    window_start = (now - timedelta(days=CARRY_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    asked: dict[str, _Asked] = {}
    for job_path in dead_jobs(config.runs_dir(outlet.name), now, grace):
        try:
            job = CrawlJob.load(job_path)
        except EdittrailError as exc:
            log.warning("carry-over skips an unreadable job=%s: %s", job_path, exc)
            continue
        for url, first_asked in job.requested:
            entry = asked.setdefault(url, _Asked(first_asked))
            entry.first_asked = min(entry.first_asked, first_asked)
            entry.dead_runs += 1
    wanted = {}
    for url, entry in asked.items():
        if outlet.article_id(url) is None or entry.first_asked < window_start:
            continue
        if entry.dead_runs >= MAX_CARRIES:
            log.warning(
                "not asking again for url=%s: %d runs that asked for it died (first asked %s)",
                url,
                entry.dead_runs,
                entry.first_asked,
            )
            continue
        wanted[url] = entry.first_asked
    if not wanted or not config.index_path.exists():
        return tuple(wanted.items())
    with Index(config.index_path, readonly=True) as idx:
        return tuple((url, at) for url, at in wanted.items() if not _captured_since(idx, outlet, url, at))


def _captured_since(idx: Index, outlet: Outlet, url: str, since: str) -> bool:
    """Any capture of the article (on any domain, any status) at or after ``since``."""
    return cx.captured_since(idx, outlet.name, outlet.article_id(url), since)
