"""The stage functions of one crawl cycle: plan → crawl → store → index.

The Airflow DAG's tasks and ``edittrail crawl`` call exactly these functions, so a cycle run
by hand behaves as a scheduled one. Each stage takes the validated config and small,
JSON-friendly values, and returns a small dict (the DAG passes it on through XCom).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.config import Config, Outlet, store_for
from archive.config.outlet import origin
from archive.errors import ArchiveIndexError, CaptureError, ConfigError, StoreError
from archive.index import Index, utc_iso
from archive.index import quarantine as qx
from archive.index.aside import aside_index
from archive.index.objects import Progress, index_objects, quarantine_missing
from archive.index.quarantine import QuarantineError
from archive.mirrors.run import record_crawl_health, send_domain_alerts, with_accepted_mirrors
from archive.plan.carryover import carried_over
from archive.plan.crawljob import CrawlJob, Seed
from archive.runreports import (
    REPORT_SUFFIX,
    domain_failures,
    keep_report_with_warcs,
    report_object_key,
    spool_unfiled_reports,
)
from archive.storage.s3_settings import S3Credentials
from archive.warc import WARC_GLOB, SpoolRecovery, WarcName, WarcNameError, recover_spool
from archive.workers import Workers
from archive.writer_gc import collecting_less

log = logging.getLogger(__name__)

TERMINATE_GRACE_SECONDS = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class CrawlResult:
    run_id: str
    returncode: int
    report: dict[str, Any]
    log_file: str


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20261125T105500Z-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def safe_run_id(run_id: str) -> str:
    """Airflow run ids hold ':' and '+'; file names and object keys should not."""
    return _UNSAFE.sub("_", run_id).strip("_") or new_run_id()


# -- plan ---------------------------------------------------------------------------------


def plan_seeds(outlet: Outlet) -> tuple[Seed, ...]:
    """Every discovery path on every domain: a mirror may list what the primary no longer does."""
    seeds = []
    for host in outlet.domains:
        base = outlet.base_url(host)
        seeds += [Seed(base + path, "rss") for path in outlet.seeds.rss]
        seeds += [Seed(base + path, "sitemap") for path in outlet.seeds.sitemaps]
        seeds += [Seed(base + path, "section") for path in outlet.seeds.sections]
    return tuple(seeds)


def plan(
    config: Config,
    outlet_name: str,
    run_id: str | None = None,
    articles: tuple[str, ...] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the crawl job for one run; returns where it is.

    The job holds the discovery seeds, the known articles due for a revisit (archive.plan.revisit),
    the articles of dead runs not captured since (archive.plan.carryover), and ``articles``: URLs
    to fetch besides (an operator's ``edittrail crawl --url``), each of which must be an
    article URL on one of the outlet's domains.
    """
    outlet = config.outlet(outlet_name)
    for url in articles:
        problem = requested_url_problem(outlet, url)
        if problem is not None:
            raise ConfigError(f"{url} is not an article URL of outlet {outlet.name}: {problem}")
    run_id = safe_run_id(run_id) if run_id else new_run_id()
    now = now or datetime.now(UTC)
    due = revisits_due(config, outlet, now)
    carried = carried_over(config, outlet, now)
    requested = {url: utc_iso(now) for url in articles} | dict(carried)  # a carried URL keeps its first ask
    crawled = with_accepted_mirrors(config, outlet.name)
    run_dir = config.runs_dir(outlet.name) / run_id
    job = CrawlJob(
        outlet=outlet.name,
        run_id=run_id,
        config=config.path,
        config_digest=config.digest,
        warc_dir=config.spool_dir(outlet.name),
        # Short and unique per run: the file name adds the time and a serial.
        warc_prefix=f"{outlet.name}-{secrets.token_hex(4)}",
        report=run_dir / "report.json",
        seeds=plan_seeds(crawled),
        articles=tuple(dict.fromkeys((*requested, *due))),
        requested=tuple(requested.items()),
        extra_domains=crawled.mirrors[len(outlet.mirrors) :],
    )
    job_path = run_dir / "job.json"
    job.save(job_path)
    log.info(
        "planned outlet=%s run=%s seeds=%d revisits=%d carried_over=%d job=%s",
        outlet.name,
        run_id,
        len(job.seeds),
        len(due),
        len(carried),
        job_path,
    )
    return {
        "run_id": run_id,
        "job": str(job_path),
        "seeds": len(job.seeds),
        "revisits": len(due),
        "carried_over": len(carried),
    }


def requested_url_problem(outlet: Outlet, url: str) -> str | None:
    """Why an operator's ``--url`` cannot be crawled, or None: it must be an article of one of
    the outlet's domains at the outlet's own scheme and port (the crawl's scope)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        return f"the URL is malformed ({exc})"
    if host not in outlet.domains:
        return f"{host or 'its host'} is not one of its domains ({', '.join(outlet.domains)})"
    if origin(url) != origin(outlet.base_url(host)):
        return f"the outlet is crawled at {outlet.base_url(host)} (scheme and port in the config)"
    if outlet.article_id(url) is None:
        return f"its path does not match article_pattern {outlet.article_pattern!r}"
    return None


def revisits_due(config: Config, outlet: Outlet, now: datetime) -> list[str]:
    """The known articles due for a revisit (archive.plan.revisit), read through the index's due moments.

    Opening a writer migrates the schema before anyone reads it (a new edittrail), and
    recomputes the due moments once when the configured schedule changed.
    """
    if not config.index_path.exists():
        return []
    with Index(config.index_path) as idx:
        idx.follow_schedule(outlet)
        return idx.due_articles(outlet, now)


# -- crawl --------------------------------------------------------------------------------


def crawl_command(job_path: Path, outlet: Outlet, index_path: Path | None = None) -> list[str]:
    """``scrapy crawl`` in a fresh interpreter: Twisted's reactor cannot restart in a reused worker.

    The index path lets the WARC middleware write a revisit record when a payload equals the
    last capture of the same URL.
    """
    command = [sys.executable, "-m", "scrapy", "crawl", "outlet", "-a", f"job={job_path}"]
    if index_path is not None:
        command += ["-s", f"EDITTRAIL_INDEX_PATH={index_path}"]
    if outlet.host_overrides:
        command += ["-s", f"EDITTRAIL_HOST_OVERRIDES={json.dumps(dict(outlet.host_overrides))}"]
    return command


def crawl_env() -> dict[str, str]:
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "spiders.settings"}


def crawl(config: Config, job_path: str | Path) -> dict[str, Any]:
    """Run the spider for one job; stream its log into ours; stop it gracefully if we are stopped."""
    job = CrawlJob.load(Path(job_path))
    outlet = config.outlet(job.outlet)
    job.warc_dir.mkdir(parents=True, exist_ok=True)
    log_file = job.report.parent / "crawl.log"
    env = crawl_env()
    timeout = outlet.crawl.timeout_minutes * 60 + 2 * TERMINATE_GRACE_SECONDS
    log.info("crawl starting outlet=%s run=%s log=%s", outlet.name, job.run_id, log_file)
    with open(log_file, "w") as sink:
        process = subprocess.Popen(
            crawl_command(Path(job_path), outlet, config.index_path),
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=config.root,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("crawl exceeded %d s, stopping it outlet=%s run=%s", timeout, outlet.name, job.run_id)
            returncode = stop_gracefully(process)
        except BaseException:
            stop_gracefully(process)
            raise
    _replay_log(log_file)
    if not job.report.exists():
        raise CaptureError(
            f"crawl of {outlet.name} (run {job.run_id}) exited with {returncode} and wrote no report; see {log_file}"
        )
    report = json.loads(job.report.read_text())
    keep_report_with_warcs(job, report)
    record_crawl_health(config, outlet.name, report)
    if returncode != 0:
        raise CaptureError(f"crawl of {outlet.name} (run {job.run_id}) exited with {returncode}; see {log_file}")
    if not report["exchanges_archived"] and (job.seeds or job.articles):
        raise NothingArchivedError(nothing_archived_message(outlet, job.run_id, report, log_file))
    result = CrawlResult(job.run_id, returncode, report, str(log_file))
    log.info(
        "crawl finished outlet=%s run=%s exchanges=%s errors=%s reason=%s",
        outlet.name,
        job.run_id,
        report["exchanges_archived"],
        report["errors"],
        report["finish_reason"],
    )
    return {k: v for k, v in asdict(result).items() if k != "report"} | {
        "exchanges": report["exchanges_archived"],
        "errors": report["errors"],
        "finish_reason": report["finish_reason"],
    }


class NothingArchivedError(CaptureError):
    """A crawl with work to do that archived no HTTP exchange from any domain: nothing answered."""


def nothing_archived_message(outlet: Outlet, run_id: str, report: dict[str, Any], log_file: Path) -> str:
    """The reason per domain, and where to look: the usual cause on a laptop is a stopped simulator."""
    reasons = "; ".join(domain_failures([report]))
    message = (
        f"crawl of {outlet.name} (run {run_id}) archived nothing from any domain: "
        f"{reasons or 'no domain answered'}; see {log_file}"
    )
    if outlet.served_locally:
        message += (
            f". The outlet's host_overrides point at this machine: is the simulated outlet running? "
            f"Start it with `edittrail simulate --outlet {outlet.name}` (it serves on the outlet's port)"
        )
    return message


def stop_gracefully(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM first so Scrapy closes its WARC files; SIGKILL only if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=TERMINATE_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _replay_log(log_file: Path) -> None:
    """Warnings and errors of the crawl reach the task log; the full log stays in the run directory."""
    with open(log_file, errors="replace") as fh:
        for line in fh:
            if "WARNING" in line or "ERROR" in line or "CRITICAL" in line:
                log.warning("crawl: %s", line.rstrip())


# -- store --------------------------------------------------------------------------------


def store(config: Config, outlet_name: str, credentials: S3Credentials | None = None) -> dict[str, Any]:
    """Move every closed WARC of the outlet's spool into the store; delete a spool copy only once verified.

    First the `.warc.gz.open` files a killed crawl left are recovered (archive.warc.recovery):
    a crawl's writer holds an exclusive flock on its open file until it has renamed it, and
    the kernel drops that lock when the process dies, even by SIGKILL; so a file whose lock
    can be taken is abandoned and one whose lock cannot is being written by a live crawl
    (another worker, an overlapping run) and is left alone, whatever its age. An abandoned
    file is cut after its last whole record and renamed, then stored and indexed like any
    other. Every capture whose record reached the file whole is therefore indexed; the one
    record a kill can tear (writes are sequential and flushed record by record) is lost, and
    its URL is fetched again by the next run: discovery pages are seeds of every run, listed
    articles are rediscovered from them, and known articles are re-planned by the revisit
    schedule, which counts only indexed captures.

    Files left by earlier failed runs are picked up too, and so are run reports no one put in
    the spool (``spool_unfiled_reports``: a crawl whose parent was killed). A file that cannot
    be stored stays in the spool, an open file damaged before its torn tail is renamed
    ``.warc.gz.damaged`` for an operator, and in both cases the step fails after trying the others.
    """
    outlet = config.outlet(outlet_name)
    target = store_for(config, outlet, credentials)
    spool = config.spool_dir(outlet.name)
    recovery = recover_spool(spool) if spool.exists() else SpoolRecovery()
    unfiled = spool_unfiled_reports(config, outlet.name)
    stored: list[str] = []
    reports: list[str] = []
    failed: list[str] = []
    files = [*spool.glob(WARC_GLOB), *spool.glob(f"*{REPORT_SUFFIX}")] if spool.exists() else []
    for path in sorted(files):
        is_report = path.name.endswith(REPORT_SUFFIX)
        try:
            if is_report:
                key = report_object_key(outlet.name, path.name)
            else:
                key = WarcName.parse(path.name).object_key(outlet.name)
            if key is None:
                raise StoreError(f"{path.name} is not a run report name (<prefix>-<YYYYMMDDHHMMSS>{REPORT_SUFFIX})")
            obj = target.put(path, key)
        except (StoreError, WarcNameError) as exc:
            log.error("store failed outlet=%s warc=%s: %s", outlet.name, path.name, exc)
            failed.append(path.name)
            continue
        path.unlink()
        (reports if is_report else stored).append(obj.key)
        if path in unfiled:
            unfiled[path].touch()
    if failed:
        raise StoreError(
            f"{len(failed)} WARC file(s) of {outlet.name} stay in {spool} and will be retried: {failed[0]}…"
        )
    if recovery.damaged:
        raise StoreError(
            f"{len(recovery.damaged)} unfinished WARC file(s) of {outlet.name} are damaged before their end and "
            f"were moved aside: {recovery.damaged[0]}; inspect with `warcio check`, then store the good part by hand"
        )
    if recovery.in_use:
        log.info(
            "spool holds WARC files a live crawl is writing outlet=%s files=%s",
            outlet.name,
            [p.name for p in recovery.in_use],
        )
    log.info(
        "stored outlet=%s objects=%d recovered=%d store=%s",
        outlet.name,
        len(stored),
        len(recovery.recovered),
        target.url,
    )
    return {
        "stored": stored,
        "reports": reports,
        "store": target.url,
        "recovered": [p.name for p in recovery.recovered],
        "in_use": [p.name for p in recovery.in_use],
        "discarded": [p.name for p in recovery.discarded],
    }


# -- index --------------------------------------------------------------------------------


SWAP_ATTEMPTS = 3
"""How often a rebuild catches up with objects indexed meanwhile before it gives up its swap."""


@collecting_less()
def index(
    config: Config, outlet_name: str, credentials: S3Credentials | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Index every stored WARC of the outlet that the index has not seen (the single writer).

    The SHA-256 and size recorded for each object are of the bytes read while indexing it,
    so the audit can later tell whether the stored object changed since.

    A damaged object never stops the step (archive.index.objects): its readable records are
    indexed, it is quarantined (archive.index.quarantine) and not read again until its size
    changes, and every other object is indexed. The step then fails once, at its end, naming
    it, so the task turns red for an operator; a retry or the next run passes while the
    object stays quarantined, and ``status`` and ``audit`` list it until it is repaired. An
    object the store cannot serve right now is left for the next run, and also fails the step
    at its end.
    """
    outlet = with_accepted_mirrors(config, outlet_name)  # captures on accepted mirrors are the outlet's
    target = store_for(config, outlet, credentials)
    with Index(config.index_path) as idx:
        run = index_objects(idx, outlet, target, progress=progress, recent_only=True)
        held = qx.entries(idx, outlet.name)
    for entry in held:
        if entry.key not in {q.key for q in run.quarantined}:
            log.warning("stays quarantined outlet=%s %s", outlet.name, entry.line())
    log.info(
        "index updated outlet=%s warcs=%d captures=%d quarantined=%d index=%s",
        outlet.name,
        run.indexed,
        run.captures,
        len(held),
        config.index_path,
    )
    run.raise_for_problems(outlet.name)
    return {
        "warcs_indexed": run.indexed,
        "captures_added": run.captures,
        "articles_touched": len(run.touched),
        "index": str(config.index_path),
        "quarantined": [{"key": e.key, "kind": e.kind, "error": e.error} for e in held],
    }


@collecting_less()
def reindex(
    config: Config,
    outlet_name: str,
    credentials: S3Credentials | None = None,
    progress: Progress | None = None,
    *,
    drop_missing: bool = False,
    detect_progress: Progress | None = None,
) -> dict[str, Any]:
    """Rebuild the outlet's rows from the WARCs alone: the index holds nothing the WARCs cannot give back.

    Captures, articles, versions and changes are all rebuilt in a fresh index file aside
    (archive.index.aside), then swapped in, in one transaction (``Index.swap_outlet``):
    readers see the old rows until the commit and the rebuilt ones after it, never an
    empty or half-built archive. If the rebuild fails, nothing changes. Detection follows the
    index step a crawl or so behind (archive.detect.following), so the workers extract one
    crawl's pages while this process indexes the next, and detects what detecting after the
    whole index step would.

    A damaged object is quarantined and what of it reads is indexed; the others are all
    rebuilt. An object whose bytes no longer have the SHA-256 recorded when it was indexed
    whole is quarantined as changed (a rebuild does not launder it). An object the index
    knew and the store no longer lists has its captures dropped and stays in the quarantine
    as missing, unless ``drop_missing`` says to forget it; a store that lists none of them
    is refused (the wrong store, not a lost archive). An object the store cannot serve now
    stops the rebuild before the swap. The step fails at the end, after the swap, when
    anything is quarantined. Alerts already delivered are not sent again (their bookkeeping
    is keyed by the changes' stable keys).
    """
    from archive.detect.following import Following

    outlet = with_accepted_mirrors(config, outlet_name)
    target = store_for(config, outlet, credentials)
    with Index(config.index_path) as live:  # migrated before the rebuild, which has the newest schema
        recorded = qx.recorded_sha256s(live, outlet.name)
        since = {entry.key: entry.quarantined_at for entry in qx.entries(live, outlet.name)}
    with aside_index(config.index_path, outlet.name) as path, Workers() as workers:
        workers.start()  # the workers boot while the index step reads
        rebuilt = index_path_at(config, path)
        with Index(path) as aside:
            aside.make_disposable()  # no WAL, no syncs: a rebuild that dies leaves it to be removed
            aside.stop_full_text()  # searched in the live index only, which fills its own on the swap
            detecting = config.outlet(outlet_name)  # as detect sees it (accepted mirrors are not configured ones)
            following = Following(aside, detecting, target, workers, detect_progress)  # behind indexing
            run = index_objects(
                aside,
                outlet,
                target,
                recorded=recorded,
                progress=progress,
                workers=workers,
                after_crawl=following.crawl_indexed,
            )
            run.raise_for_unreadable(outlet.name, action="the index was left as it was; run reindex again")
            missing = set(recorded) - run.listed
            if missing and not run.listed and not drop_missing:
                raise ArchiveIndexError(
                    f"{target.url} lists no WARC object of {outlet.name}, but the index knows {len(recorded)}: is "
                    f"the outlet's store right in {config.path}? The index was left as it was"
                )
            if not drop_missing:
                quarantine_missing(aside, outlet.name, recorded, missing)
            with aside.transaction():
                qx.keep_first_seen(aside, since)
            detected = following.finish()
        swap_rebuilt(config, rebuilt, outlet, credentials, recorded, ignore=missing if drop_missing else set())
    with Index(config.index_path, readonly=True) as live:
        summary = live.summary(outlet.name)
        held = qx.entries(live, outlet.name)
    log.info(
        "reindexed outlet=%s warcs=%d captures=%d quarantined=%d", outlet.name, run.indexed, run.captures, len(held)
    )
    if held:
        raise QuarantineError(
            f"reindex of {outlet.name} done ({summary['captures']} captures from {run.indexed} WARC objects), but "
            f"{len(held)} object(s) are quarantined; `edittrail status` and `edittrail audit` list them. "
            f"First: {held[0].line()}"
        )
    return {
        "warcs_indexed": run.indexed,
        "captures_added": run.captures,
        "articles": summary["articles"],
        "index": str(config.index_path),
        "quarantined": [],
        "detect": detected,
    }


def swap_rebuilt(
    config: Config,
    rebuilt: Config,
    outlet: Outlet,
    credentials: S3Credentials | None,
    recorded: dict[str, str | None],
    ignore: set[str],
) -> None:
    """Swap the rebuilt rows in; first add to them any object a concurrent index step took meanwhile."""
    target = store_for(config, outlet, credentials)
    for _ in range(SWAP_ATTEMPTS):
        with Index(config.index_path) as live:
            behind = live.swap_outlet(rebuilt.index_path, outlet.name, ignore=ignore)
        if not behind:
            return
        log.info("rebuild catches up outlet=%s objects=%d", outlet.name, len(behind))
        with Index(rebuilt.index_path) as aside:
            caught = index_objects(aside, outlet, target, recorded=recorded)
        caught.raise_for_unreadable(outlet.name, action="the index was left as it was; run reindex again")
        detect(rebuilt, outlet.name, credentials)
    raise ArchiveIndexError(
        f"reindex of {outlet.name} could not catch up with the objects indexed while it ran; the index was left as it "
        "was: run it again when fewer crawls are running"
    )


def index_path_at(config: Config, path: Path) -> Config:
    """The same config with its index at ``path``: the stages then read and write that file."""
    return config.model_copy(update={"settings": config.settings.model_copy(update={"index": path})})


def redetect(config: Config, outlet_name: str, credentials: S3Credentials | None = None) -> dict[str, Any]:
    """Rebuild the outlet's versions, changes and learned noise from the stored captures.

    For when extraction or normalization changed: the captures stay, everything detect made of
    them is made again. Detection runs twice: the first pass learns the outlet's noise from the
    whole archive, the second detects with all of it from the first capture on (an early crawl
    then gains from what later crawls taught). Rebuilt changes are never alerted: they are
    marked as history on every channel already in use; ``changes`` and the feed show them.
    """
    from archive.alerts import Deliveries
    from archive.detect.run import detect as run_detect

    outlet = config.outlet(outlet_name)
    target = store_for(config, outlet, credentials)
    from archive.index import versions as vx

    with Index(config.index_path) as idx:
        vx.clear_derived(idx, outlet.name)
    learning = run_detect(config, outlet.name, target)
    with Index(config.index_path) as idx:
        vx.clear_derived(idx, outlet.name, keep_noise=True)
    counts = run_detect(config, outlet.name, target)
    with Index(config.index_path, readonly=True) as idx:
        keys = [c.change_key for c in vx.changes(idx, outlet=outlet.name)]
    deliveries = Deliveries(config.alerts_db)
    try:
        skipped = deliveries.skip_history(outlet.name, keys, "rebuilt by redetect: history, not a new change")
    finally:
        deliveries.close()
    log.info(
        "redetect done outlet=%s changes=%d noise_learned=%d", outlet.name, counts["changes"], learning["noise_learned"]
    )
    return counts | {"noise_learned": learning["noise_learned"], "alerts_skipped": skipped}


# -- detect and alert ---------------------------------------------------------------------


@collecting_less()
def detect(
    config: Config,
    outlet_name: str,
    credentials: S3Credentials | None = None,
    progress: Progress | None = None,
    workers: Workers | None = None,
) -> dict[str, Any]:
    """New versions and changes from the captures indexed since the last run (single writer).

    ``progress``: (captures done, captures pending, crawl batch) after each batch;
    ``workers``: worker processes already started (see :func:`archive.detect.run.detect`).
    """
    from archive.detect.run import detect as run_detect

    outlet = config.outlet(outlet_name)
    return run_detect(config, outlet.name, store_for(config, outlet, credentials), progress, workers)


def alert(config: Config, outlet_name: str) -> dict[str, Any]:
    """Send each change and each domain event once per channel, retry failed deliveries, rewrite the Atom feed."""
    from archive.alerts import send_alerts

    return send_alerts(config, outlet_name) | {"domains": send_domain_alerts(config, outlet_name)}


def run_cycle(
    config: Config, outlet_name: str, run_id: str | None = None, articles: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One whole cycle without Airflow, through the same stage functions."""
    planned = plan(config, outlet_name, run_id, articles)
    crawled = crawl(config, planned["job"])
    stored = store(config, outlet_name)
    indexed = index(config, outlet_name)
    detected = detect(config, outlet_name)
    alerted = alert(config, outlet_name)
    return {
        "plan": planned,
        "crawl": crawled,
        "store": stored,
        "index": indexed,
        "detect": detected,
        "alert": alerted,
    }
