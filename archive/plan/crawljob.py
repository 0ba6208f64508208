"""The crawl job: what the plan step hands to the crawl subprocess, as a small JSON file.

A file rather than command-line arguments because it is also the record of what a run was
asked to do: it stays in the run directory beside the run report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.errors import CaptureError


@dataclass(frozen=True)
class Seed:
    """A discovery URL and how to read it: ``rss``, ``sitemap`` or ``section``."""

    url: str
    kind: str


@dataclass(frozen=True)
class CrawlJob:
    outlet: str
    run_id: str
    config: Path
    config_digest: str
    warc_dir: Path
    warc_prefix: str
    report: Path
    seeds: tuple[Seed, ...] = ()
    articles: tuple[str, ...] = field(default=())
    extra_domains: tuple[str, ...] = ()
    """Accepted mirrors (``edittrail mirrors accept``) crawled besides the configured domains."""
    requested: tuple[tuple[str, str], ...] = ()
    """(URL, when first asked for) of the articles an operator asked for (``crawl --url``), in
    ``articles`` too: a run that dies hands them on to the next (archive.plan.carryover)."""

    def save(self, path: Path) -> None:
        data = asdict(self)
        for key in ("config", "warc_dir", "report"):
            data[key] = str(data[key])
        data["requested"] = dict(self.requested)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> CrawlJob:
        try:
            data = json.loads(path.read_text())
            return cls(
                outlet=data["outlet"],
                run_id=data["run_id"],
                config=Path(data["config"]),
                config_digest=data["config_digest"],
                warc_dir=Path(data["warc_dir"]),
                warc_prefix=data["warc_prefix"],
                report=Path(data["report"]),
                seeds=tuple(Seed(**seed) for seed in data.get("seeds", ())),
                articles=tuple(data.get("articles", ())),
                extra_domains=tuple(data.get("extra_domains", ())),
                requested=tuple((str(url), str(at)) for url, at in dict(data.get("requested", {})).items()),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CaptureError(f"{path}: unreadable crawl job ({exc}); re-run the plan step") from exc


def report_grace_seconds(timeout_minutes: int) -> int:
    """How long a job may go without a report and still be running: the crawl timeout and two
    minutes for stopping and closing WARCs. After that the run died (``edittrail status`` calls
    it failed, archive.plan.carryover hands its requested articles on)."""
    return timeout_minutes * 60 + 120
