"""The crawl's run report: what the spider and its middlewares saw, in one typed record.

``RunReportExtension`` owns the crawl's ``RunReport``; the components that see something worth
reporting find it on the crawler (``run_report(crawler)``) and record into it:
WarcCaptureMiddleware every archived exchange, the mirror failover each dead domain and each
failover, the scope guard each refusal, the spider its pages and outcomes. When the spider
closes it writes ``RunReport.as_json()`` as the job's ``report.json``, which the pipeline,
``edittrail status`` and the mirrors' history read. The extension also copies the figures
into Scrapy's stats as ``edittrail/...`` keys, for the stats dump at the end of the crawl log;
nothing reads those keys back.

There is no ``EDITTRAIL_REPORT_ENABLED``: without the report the pipeline cannot tell what a
crawl archived, so there is nothing to switch off.

Settings: EDITTRAIL_OUTLET (the outlet's name, for the report and its log lines).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlsplit

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)

ERROR_KINDS = frozenset({"fetch_error", "http_error", "not_text", "domain_dead"})
"""Outcomes counted as the report's ``errors``."""

QUIET_KINDS = frozenset({"redirect", "offsite", "skipped", "failover"})
"""Outcomes logged at INFO: the crawl did what it should. The others are warnings."""


@dataclass(frozen=True)
class Outcome:
    """Something the crawl could not do as asked, or did another way: one of the report's ``outcomes``."""

    url: str
    host: str
    kind: str
    detail: str
    status: int | None = None

    def as_json(self) -> OutcomeJson:
        return {"url": self.url, "host": self.host, "kind": self.kind, "detail": self.detail, "status": self.status}


@dataclass(frozen=True)
class DeadDomain:
    """A domain the failover gave up on for the rest of the crawl; ``state`` is the mirrors'
    vocabulary (unreachable, seized, error)."""

    reason: str
    state: str


@dataclass
class HostFigures:
    """The archived responses of one host: how many per status, body bytes as received, latency."""

    statuses: Counter[int] = field(default_factory=Counter)
    bytes: int = 0
    latency_ms: int = 0
    latency_max_ms: int = 0

    @property
    def responses(self) -> int:
        return sum(self.statuses.values())


class HostFiguresJson(TypedDict):
    responses: int
    bytes: int
    latency_mean_ms: int
    latency_max_ms: int


class OutcomeJson(TypedDict):
    url: str
    host: str
    kind: str
    detail: str
    status: int | None


class RunReportJson(TypedDict):
    """The shape of ``report.json``, as ``archive/`` reads it."""

    outlet: str
    run_id: str
    finish_reason: str
    started_at: str
    finished_at: str
    duration_s: float
    per_host: dict[str, HostFiguresJson]
    exchanges_archived: int
    status_per_host: dict[str, dict[str, int]]
    dead_domains: dict[str, str]
    dead_domain_states: dict[str, str]
    pages: dict[str, int]
    outcomes: list[OutcomeJson]
    errors: int


@dataclass
class RunReport:
    """Everything one crawl reports, recorded as it happens."""

    outlet: str = ""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    hosts: dict[str, HostFigures] = field(default_factory=dict)
    revisits: int = 0
    dead: dict[str, DeadDomain] = field(default_factory=dict)
    failovers: Counter[tuple[str, str]] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    def exchange(self, host: str, status: int, size: int, latency_ms: int, *, revisit: bool) -> None:
        """One request and response written to WARC (``revisit``: as a revisit record)."""
        figures = self.hosts.setdefault(host, HostFigures())
        figures.statuses[status] += 1
        figures.bytes += size
        figures.latency_ms += latency_ms
        figures.latency_max_ms = max(figures.latency_max_ms, latency_ms)
        self.revisits += revisit

    def domain_dead(self, host: str, reason: str, state: str) -> None:
        self.dead[host] = DeadDomain(reason, state)

    def failover(self, from_host: str, to_host: str) -> None:
        self.failovers[from_host, to_host] += 1

    def refusal(self, url: str, kind: str, detail: str) -> None:
        """A request the scope guard refused: counted, and an outcome."""
        self.refusals[kind] += 1
        self.outcome(url, kind, detail)

    def page(self, kind: str) -> None:
        """A page the spider parsed (``rss``, ``sitemap``, ``section``, ``articles``, ...)."""
        self.pages[kind] += 1

    def outcome(self, url: str, kind: str, detail: str, status: int | None = None) -> None:
        host = urlsplit(url).hostname or ""
        self.outcomes.append(Outcome(url, host, kind, detail, status))
        level = logging.INFO if kind in QUIET_KINDS else logging.WARNING
        log.log(level, "outcome=%s outlet=%s host=%s url=%s %s", kind, self.outlet, host, url, detail)

    @property
    def exchanges(self) -> int:
        return sum(figures.responses for figures in self.hosts.values())

    def as_json(self, run_id: str, finish_reason: str, finished_at: datetime) -> RunReportJson:
        """The report as ``report.json`` holds it."""
        return {
            "outlet": self.outlet,
            "run_id": run_id,
            "finish_reason": finish_reason,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "duration_s": round((finished_at - self.started_at).total_seconds(), 3),
            "per_host": {
                host: {
                    "responses": figures.responses,
                    "bytes": figures.bytes,
                    "latency_mean_ms": round(figures.latency_ms / figures.responses) if figures.responses else 0,
                    "latency_max_ms": figures.latency_max_ms,
                }
                for host, figures in self.hosts.items()
            },
            "exchanges_archived": self.exchanges,
            "status_per_host": {
                host: {str(status): count for status, count in figures.statuses.items()}
                for host, figures in self.hosts.items()
            },
            "dead_domains": {host: dead.reason for host, dead in self.dead.items()},
            "dead_domain_states": {host: dead.state for host, dead in self.dead.items()},
            "pages": dict(self.pages),
            "outcomes": [outcome.as_json() for outcome in self.outcomes],
            "errors": sum(1 for outcome in self.outcomes if outcome.kind in ERROR_KINDS),
        }

    def stats(self) -> dict[str, int | str]:
        """The figures as ``edittrail/...`` Scrapy stats, for the operator reading the crawl log."""
        found: dict[str, int | str] = {"edittrail/warc/exchanges": self.exchanges}
        if self.revisits:
            found["edittrail/warc/revisits"] = self.revisits
        for host, figures in self.hosts.items():
            for status, count in figures.statuses.items():
                found[f"edittrail/status/{host}/{status}"] = count
            found[f"edittrail/bytes/{host}"] = figures.bytes
            found[f"edittrail/latency_ms/{host}"] = figures.latency_ms
            found[f"edittrail/latency_max_ms/{host}"] = figures.latency_max_ms
        for host, dead in self.dead.items():
            found[f"edittrail/domain_dead/{host}"] = dead.reason
            found[f"edittrail/domain_state/{host}"] = dead.state
        for (from_host, to_host), count in self.failovers.items():
            found[f"edittrail/failover/{from_host}/{to_host}"] = count
        for kind, count in self.refusals.items():
            found[f"edittrail/scope/{kind}"] = count
        return found


class RunReportExtension:
    """Owns the crawl's ``RunReport`` and copies it into Scrapy's stats when the spider closes."""

    def __init__(self, report: RunReport, stats: StatsCollector) -> None:
        self.report = report
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        extension = cls(RunReport(outlet=crawler.settings.get("EDITTRAIL_OUTLET") or ""), crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        """Before Scrapy dumps its stats (the engine does that after the spider_closed signal)."""
        for key, value in self.report.stats().items():
            self.stats.set_value(key, value)


def run_report(crawler: Crawler) -> RunReport:
    """The crawl's report, to record into. Without RunReportExtension (a middleware built in a
    test from bare settings) a detached report, which nothing writes out."""
    extension = crawler.get_extension(RunReportExtension)
    if extension is None:
        log.info("RunReportExtension is not installed: these figures reach no run report")
        return RunReport()
    return extension.report
