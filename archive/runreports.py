"""Run reports on their way into the store: a copy beside the run's WARCs in the spool, filed
under ``reports/`` by the store step, including the reports of crawls whose parent was killed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.config import Config
from archive.errors import EdittrailError
from archive.plan.crawljob import CrawlJob

log = logging.getLogger(__name__)


def domain_failures(reports: list[dict[str, Any]]) -> list[str]:
    """``host: state (reason)`` for each domain the crawl gave up on, as the failover judged it
    (``dead_domain_states``: unreachable, seized, error; "dead" in a report from before them)."""
    found: dict[str, str] = {}
    for report in reports:
        states = report.get("dead_domain_states") or {}
        for host, reason in (report.get("dead_domains") or {}).items():
            found.setdefault(host, f"{host}: {states.get(host, 'dead')} ({reason})")
    return [found[host] for host in sorted(found)]


REPORT_SUFFIX = ".report.json"


def keep_report_with_warcs(job: CrawlJob, report: dict[str, Any]) -> Path:
    """A copy of the run report in the spool, so the store step files it with the run's WARCs.

    Named like the run's WARC files (``<prefix>-<start time>.report.json``) and partitioned by
    the same day, under ``reports/`` rather than ``warcs/``: whatever reads ``warcs/`` (the
    index, the audit, a researcher's ``warcio index warcs/...``) finds only WARC files there.
    """
    path = report_spool_path(job, report)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # whole or absent: the store step may be reading
    shutil.copyfile(job.report, partial)
    partial.replace(path)
    return path


def report_spool_path(job: CrawlJob, report: dict[str, Any]) -> Path:
    """Where ``keep_report_with_warcs`` puts the run report's copy for the store step."""
    started = datetime.fromisoformat(str(report["started_at"])).astimezone(UTC)
    return job.warc_dir / f"{job.warc_prefix}-{started.strftime('%Y%m%d%H%M%S')}{REPORT_SUFFIX}"


def report_object_key(outlet: str, filename: str) -> str | None:
    """``reports/<outlet>/YYYY/MM/DD/<prefix>-<time>.report.json``, the day the crawl started.

    WARC files are filed by the day each was opened, so a crawl that runs past midnight UTC
    has its report under the first day and its later WARCs under the next.
    """
    stem = filename.removesuffix(REPORT_SUFFIX)
    stamp = stem.rsplit("-", 1)[-1]
    if len(stamp) != 14 or not (stamp.isascii() and stamp.isdigit()):
        return None
    return f"reports/{outlet}/{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}/{filename}"


FILED_SUFFIX = ".filed"
"""Beside a run's ``report.json``: ``report.filed`` says the store step has filed it."""


def spool_unfiled_reports(config: Config, outlet_name: str) -> dict[Path, Path]:
    """Put in the spool every finished run report of the outlet that was never filed; returns,
    for each report copy in the spool, the marker to write once it is stored.

    ``edittrail crawl`` copies the report into the spool after its scrapy child exits; when
    the parent is killed first, the child finishes on its own (its WARCs reach the spool),
    but its report would never be filed. A run without a ``report.json`` is still running
    (or died without one) and is left alone, as is one that does not parse yet (being
    written). A report already filed by the usual path is put again, which the store's
    create-only ``put`` takes as the same object, and is then marked: no report is ever
    filed twice, and each is looked at until marked.
    """
    from archive.plan.shards import run_jobs

    root = config.runs_dir(outlet_name)
    runs = sorted(d for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
    unfiled: dict[Path, Path] = {}
    for job_path in (job for run_dir in runs for job in run_jobs(run_dir) if job.is_file()):
        marker = job_path.parent / f"report{FILED_SUFFIX}"
        report_path = job_path.parent / "report.json"
        if marker.exists() or not report_path.is_file():
            continue
        try:
            job = CrawlJob.load(job_path)
            report = json.loads(job.report.read_text())
            spooled = report_spool_path(job, report)
        except (EdittrailError, OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("run report not filed yet outlet=%s job=%s: %s", outlet_name, job_path, exc)
            continue
        if spooled.parent != config.spool_dir(outlet_name):
            continue  # a job of another data directory (a copied config): not this store's to file
        if not spooled.exists():
            spooled.parent.mkdir(parents=True, exist_ok=True)
            keep_report_with_warcs(job, report)
            log.info("run report put in the spool to be filed outlet=%s run=%s", outlet_name, job.run_id)
        unfiled[spooled] = marker
    return unfiled
