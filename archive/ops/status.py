"""What an operator needs in one screen, per outlet: recent runs, backlog, store, domains, alerts.

Pure reading: the run reports under ``data/runs/<outlet>/``, the spool directory, the index
(read-only: captures, detections and the quarantine of damaged WARC objects), the domain
history and the alert bookkeeping. Nothing is created or migrated; a part of the archive
that does not exist yet reads as empty. ``edittrail status`` (archive.cli.ops) renders the
result as a table or JSON.

A run whose reports all say it finished but that archived nothing while it had pages to
fetch failed (every domain unreachable, seized or erroring): it says so with the reason per
domain, as the failover judged it.

A run is one directory ``data/runs/<outlet>/<run>/``: its ``job.json``, and either its own
``report.json`` (``edittrail crawl``) or one per domain shard in ``s<n>/`` (the crawl DAG,
archive.plan.shards). Its new versions and changes are those detected from captures in the WARC
files it wrote (``archive.warc.crawl_batch`` of the WARC key is the job's WARC prefix).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.config import Config
from archive.errors import EdittrailError
from archive.index import Index, quarantine, stored, utc_iso
from archive.index import changes as index_changes
from archive.index.quarantine import Quarantined
from archive.plan.crawljob import CrawlJob, report_grace_seconds
from archive.plan.shards import run_jobs
from archive.runreports import domain_failures
from archive.warc.names import DAMAGED_SUFFIX, OPEN_SUFFIX, SUFFIX, crawl_batch, is_closed

log = logging.getLogger(__name__)

ERROR_KINDS = frozenset({"fetch_error", "http_error", "not_text", "domain_dead"})
"""Outcomes that count as errors in a run report (the spider's own ``errors`` count)."""
SAMPLE_ERRORS = 3
SPOOL_SUFFIXES = (SUFFIX, SUFFIX + OPEN_SUFFIX, DAMAGED_SUFFIX)


@dataclass(frozen=True)
class RunStatus:
    """One crawl run, from its job and report(s)."""

    run_id: str
    batch: str
    """The job's WARC prefix: the crawl batch its WARC files belong to."""
    state: str
    """``ok``; ``failed`` (a shard stopped early, or wrote no report in its time, or the run
    archived nothing); ``running`` (a shard has no report yet but may still be crawling)."""
    started_at: str | None
    finished_at: str | None
    duration_seconds: float | None
    shards: int
    reports: int
    captures: int
    status_codes: dict[str, int]
    per_host: dict[str, dict[str, int]]
    errors: int
    error_samples: tuple[str, ...]
    finish_reasons: tuple[str, ...]
    dead_domains: tuple[str, ...]
    bytes: int = 0
    """WARC bytes the run wrote: its stored objects known to the index plus its spool files."""
    new_versions: int = 0
    changes: int = 0
    failure: str | None = None
    """Why the run failed, one phrase; None unless ``state`` is ``failed``."""
    domain_failures: tuple[str, ...] = ()
    """Each domain the crawl gave up on: ``host: state (reason)``."""


@dataclass(frozen=True)
class Backlog:
    """The outlet's spool: closed WARCs waiting for the store step, open and damaged ones."""

    files: int = 0
    bytes: int = 0
    open_files: int = 0
    damaged_files: int = 0


@dataclass(frozen=True)
class OutletStatus:
    outlet: str
    runs: tuple[RunStatus, ...]
    """Newest first."""
    spool: Backlog
    store_objects: int
    store_bytes: int
    domains: tuple[dict[str, Any], ...]
    alerts: tuple[dict[str, Any], ...]
    problems: tuple[str, ...] = ()
    noise: tuple[dict[str, Any], ...] = ()
    """What detection learned to ignore for this outlet (archive.detect.noise), oldest first."""
    quarantined: tuple[Quarantined, ...] = ()
    """Stored WARC objects the index could not take whole (archive.index.quarantine)."""


def outlet_status(config: Config, outlet_name: str, *, runs: int = 5, now: datetime | None = None) -> OutletStatus:
    """Everything ``edittrail status`` shows for one outlet, with the ``runs`` newest runs."""
    outlet = config.outlet(outlet_name)
    now = now or datetime.now(UTC)
    grace = report_grace_seconds(outlet.crawl.timeout_minutes)
    found = [r for d in run_dirs(config, outlet.name)[-runs:] if (r := read_run(d, now, grace)) is not None]
    objects = warc_objects(config.index_path, outlet.name)
    spool_files = _spool_files(config.spool_dir(outlet.name))
    written: Counter[str] = Counter()
    for key, size in (*objects.items(), *((p.name, p.stat().st_size) for p in spool_files)):
        written[crawl_batch(key)] += size
    found = [replace(r, bytes=written[r.batch]) for r in found]
    found = with_detections(config.index_path, outlet.name, found)
    status = OutletStatus(
        outlet=outlet.name,
        runs=tuple(reversed(found)),
        spool=spool_backlog(spool_files),
        store_objects=len(objects),
        store_bytes=sum(objects.values()),
        domains=tuple(domain_states(config, outlet.name)),
        alerts=tuple(open_alerts(config, outlet.name)),
        noise=tuple(learned_noise(config.index_path, outlet.name)),
        quarantined=tuple(quarantined(config.index_path, outlet.name)),
    )
    return replace(status, problems=tuple(problems(status)))


def learned_noise(index_path: Path, outlet_name: str) -> list[dict[str, Any]]:
    """The outlet's learned noise, each entry with a sentence saying what it is."""
    if not index_path.exists():
        return []
    from archive.detect.noise import describe
    from archive.index import Index
    from archive.index import noise as noise_index

    try:
        with Index(index_path, readonly=True) as idx:
            learned = noise_index.learned(idx, outlet_name)
            return [entry.as_row() | {"description": describe(entry)} for entry in learned]
    except EdittrailError as exc:
        log.warning("learned noise unreadable index=%s: %s", index_path, exc)
        return []


def run_dirs(config: Config, outlet_name: str) -> list[Path]:
    """The outlet's run directories, oldest first (by when their job was written)."""
    root = config.runs_dir(outlet_name)
    if not root.is_dir():
        return []
    dirs = [d for d in root.iterdir() if (d / "job.json").is_file()]
    return sorted(dirs, key=lambda d: ((d / "job.json").stat().st_mtime, d.name))


def read_run(run_dir: Path, now: datetime, grace_seconds: float) -> RunStatus | None:
    """A run's job and its shards' reports, summed; None when its job is unreadable.

    A shard without a report is running while its job is younger than ``grace_seconds``
    (the crawl timeout and some), failed after that: killed, or stopped before closing.
    """
    try:
        job = CrawlJob.load(run_dir / "job.json")
    except EdittrailError as exc:
        log.warning("status skips an unreadable run dir=%s: %s", run_dir, exc)
        return None
    shard_jobs = run_jobs(run_dir)
    reports: list[dict[str, Any]] = []
    unreported: list[float] = []
    for job_path in shard_jobs:
        try:
            reports.append(json.loads((job_path.parent / "report.json").read_text()))
        except (OSError, ValueError):
            unreported.append(job_path.stat().st_mtime)
    statuses: Counter[str] = Counter()
    per_host: dict[str, Counter[str]] = {}
    for report in reports:
        for host, counts in report.get("status_per_host", {}).items():
            per_host.setdefault(host, Counter()).update(counts)
            statuses.update(counts)
    reasons = sorted({str(r.get("finish_reason", "unknown")) for r in reports})
    captures = sum(int(r.get("exchanges_archived") or 0) for r in reports)
    dead = domain_failures(reports)
    failure = None
    if unreported and max(unreported) > now.timestamp() - grace_seconds:
        state = "running"
    elif unreported:
        state, failure = "failed", f"{len(unreported)} of {len(shard_jobs)} shard(s) wrote no report in time"
        failure = failure if len(shard_jobs) > 1 else "no report in time: killed, or stopped before closing"
    elif reasons != ["finished"]:
        state, failure = "failed", ", ".join(reasons)
    elif not captures and (job.seeds or job.articles):
        state, failure = "failed", "archived nothing: " + ("; ".join(dead) or "no domain answered")
    else:
        state = "ok"
    started = min((r["started_at"] for r in reports if r.get("started_at")), default=None)
    finished = None if unreported else max((r["finished_at"] for r in reports if r.get("finished_at")), default=None)
    samples = [
        f"{o.get('kind')} {o.get('url')}: {o.get('detail')}"
        for r in reports
        for o in r.get("outcomes", ())
        if o.get("kind") in ERROR_KINDS
    ]
    return RunStatus(
        run_id=job.run_id,
        batch=job.warc_prefix,
        state=state,
        started_at=started,
        finished_at=finished,
        duration_seconds=_seconds(started, finished),
        shards=len(shard_jobs),
        reports=len(reports),
        captures=captures,
        status_codes=dict(sorted(statuses.items())),
        per_host={host: dict(sorted(c.items())) for host, c in sorted(per_host.items())},
        errors=sum(int(r.get("errors", 0)) for r in reports),
        error_samples=tuple(samples[:SAMPLE_ERRORS]),
        finish_reasons=tuple(reasons),
        dead_domains=tuple(sorted({d for r in reports for d in r.get("dead_domains", {})})),
        failure=failure,
        domain_failures=tuple(dead),
    )


def log_run_report(job_path: str | Path) -> None:
    """Put a crawl's run report in the log (the Airflow task log): timings, per host its HTTP
    statuses, and each error outcome. The full report stays beside the job."""
    job = CrawlJob.load(Path(job_path))
    try:
        report = json.loads(job.report.read_text())
    except (OSError, ValueError) as exc:
        log.warning("no run report outlet=%s run=%s report=%s: %s", job.outlet, job.run_id, job.report, exc)
        return
    log.info(
        "run report outlet=%s run=%s warc_prefix=%s finish_reason=%s started=%s finished=%s seconds=%s "
        "exchanges=%s errors=%s dead_domains=%s report=%s",
        job.outlet,
        job.run_id,
        job.warc_prefix,
        report.get("finish_reason"),
        report.get("started_at"),
        report.get("finished_at"),
        _seconds(report.get("started_at"), report.get("finished_at")),
        report.get("exchanges_archived"),
        report.get("errors"),
        sorted(report.get("dead_domains", {})),
        job.report,
    )
    for host, counts in sorted(report.get("status_per_host", {}).items()):
        log.info("run report host=%s statuses=%s", host, json.dumps(counts, sort_keys=True))
    for outcome in report.get("outcomes", ()):
        if outcome.get("kind") in ERROR_KINDS:
            log.warning("run report %s url=%s: %s", outcome.get("kind"), outcome.get("url"), outcome.get("detail"))


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


def _spool_files(spool: Path) -> list[Path]:
    if not spool.is_dir():
        return []
    return [p for p in spool.iterdir() if p.is_file() and p.name.endswith(SPOOL_SUFFIXES)]


def spool_backlog(files: list[Path]) -> Backlog:
    names = [p.name for p in files]
    return Backlog(
        files=sum(is_closed(n) for n in names),
        bytes=sum(p.stat().st_size for p in files),
        open_files=sum(n.endswith(OPEN_SUFFIX) for n in names),
        damaged_files=sum(n.endswith(DAMAGED_SUFFIX) for n in names),
    )


def _read_only(path: Path) -> Index | None:
    """The index, read-only and of whatever release (the callers check the tables they read);
    None when there is none yet."""
    if not path.is_file():
        return None
    return Index(path, readonly=True, any_schema=True)


def warc_objects(index_path: Path, outlet_name: str) -> dict[str, int]:
    """The outlet's stored WARC objects the index knows: key → size."""
    idx = _read_only(index_path)
    if idx is None:
        return {}
    with idx:
        if "warc_objects" not in stored.tables(idx):
            return {}
        return stored.object_sizes(idx, outlet_name)


def quarantined(index_path: Path, outlet_name: str) -> list[Quarantined]:
    """The outlet's quarantined WARC objects; none before the index has a quarantine."""
    idx = _read_only(index_path)
    if idx is None:
        return []
    with idx:
        if "quarantine" not in stored.tables(idx):
            return []
        return quarantine.entries(idx, outlet_name)


def with_detections(index_path: Path, outlet_name: str, runs: list[RunStatus]) -> list[RunStatus]:
    """Each run's new versions and changes: those detected from captures in its WARC files."""
    since = min((r.started_at for r in runs if r.started_at), default=None)
    idx = _read_only(index_path)
    if idx is None or since is None:
        return runs
    since_iso = utc_iso(datetime.fromisoformat(since))[:-1].rsplit(":", 1)[0]  # to the minute, so never after
    versions: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    with idx:
        if not {"versions", "changes", "captures"} <= stored.tables(idx):
            return runs
        for counter, per_warc in (
            (versions, index_changes.new_versions_per_warc),
            (changes, index_changes.changes_per_warc),
        ):
            for warc, n in per_warc(idx, outlet_name, since_iso):
                counter[crawl_batch(warc)] += n
    return [replace(r, new_versions=versions[r.batch], changes=changes[r.batch]) for r in runs]


def domain_states(config: Config, outlet_name: str) -> list[dict[str, Any]]:
    """Each domain's current state (archive.mirrors.state.MirrorState.current), if any was recorded."""
    from archive.mirrors.run import mirror_state
    from archive.mirrors.state import mirrors_db_path

    if not mirrors_db_path(config.data_dir).is_file():
        return []
    with mirror_state(config) as state:
        return state.current(outlet_name)


def open_alerts(config: Config, outlet_name: str) -> list[dict[str, Any]]:
    """Deliveries that failed and will be retried next run (archive.alerts.Deliveries.failed)."""
    from archive.alerts import Deliveries

    if not config.alerts_db.is_file():
        return []
    deliveries = Deliveries(config.alerts_db)
    try:
        return deliveries.failed(outlet_name)
    finally:
        deliveries.close()


def problems(status: OutletStatus) -> list[str]:
    """What an operator should look at, one line each; empty when all is well."""
    found = []
    if not status.runs:
        found.append("no crawl run yet")
    elif status.runs[0].state == "failed":
        last = status.runs[0]
        found.append(f"last run {last.run_id} failed ({last.failure})")
    running = bool(status.runs) and status.runs[0].state == "running"
    if status.spool.files and not running:
        found.append(f"{status.spool.files} closed WARC file(s) wait in the spool for the store step")
    if status.spool.damaged_files:
        found.append(f"{status.spool.damaged_files} damaged WARC file(s) in the spool need an operator")
    found += [entry.line() for entry in status.quarantined]
    for domain in status.domains:
        if domain["state"] != "serving":
            found.append(f"{domain['host']} is {domain['state']} since {domain['since']}")
    if status.alerts:
        channels = sorted({a["channel"] for a in status.alerts})
        found.append(f"{len(status.alerts)} alert delivery(ies) failed, retried next run: {', '.join(channels)}")
    return found
