"""docs/benchmarks.md, written from one ``make bench`` run (bench/results/latest.json).

The document is the run: a summary of every comparison as a ratio beside its peer, then
each section's own table as the run printed it, and what it measured (the section module's
docstring). Nothing in it is typed by hand, so it cannot drift from the figures.
"""

from __future__ import annotations

import importlib
import inspect
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

INTRO = """\
# Benchmarks

What the archive costs where, each figure beside the tool of the field doing the same work on
the same input: WARC writing (warcio, zlib), crawling (plain Scrapy), extraction
(trafilatura), S3 uploads (boto3), reindexing (cdxj-indexer), CDX and Memento serving (pywb),
and how detection's cost per capture holds as the archive grows (docs/scaling.md).

This file is written by `make bench` (`bench/report.py`) from the run it records in
`bench/results/latest.json`; `make test` never runs the benchmarks (a quick form of each
runs in `tests/bench/`, with no timing threshold).

```
make bench                                   # every section; rewrites this file
uv run --frozen python -m bench SECTION ...  # some sections (warc_write crawl extract upload
                                             # reindex cdx serve scale); rewrites this file
uv run --frozen python -m bench --quick      # small workloads, bench/results/quick.json only
```

Each section runs in a fresh Python process of its own (`--in-process` runs them all in one),
so that none pays for the heap, caches and garbage collector of the sections before it: until
2026-12-05 they shared one, and the reindex section ran about 15% slower at the end of
`make bench` than on its own.

The machine is a shared 2-core VM: absolute figures are its order of magnitude. Every
comparison alternates the variants within one run, so drift hits them alike; read the
ratios.
"""


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _x(value: Any) -> str:
    return f"{value:.2f}x" if isinstance(value, int | float) else "not run"


def _met(value: Any, target: float, *, at_most: bool = False) -> str:
    if not isinstance(value, int | float):
        return ""
    return "met" if (value <= target if at_most else value >= target) else "**not met**"


def _summary(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(benchmark, edittrail vs peer, ratio, target, verdict) rows."""
    rows: list[tuple[str, str, str, str, str]] = []
    warc = _get(results, "warc_write", "targets")
    if warc:
        for name, label in (
            ("warcio", "plain warcio, same records and level"),
            ("zlib_records", "raw zlib, same record bytes"),
        ):
            target = warc[name]
            rows.append(
                (
                    "WARC write (L6)",
                    label,
                    _x(target["ratio"]),
                    f">= {target['target']}",
                    _met(target["ratio"], target["target"]),
                )
            )
    plain = _get(results, "crawl", "vs_plain_scrapy")
    if plain:
        rows.append(
            ("crawl", "plain Scrapy fetching the same pages (pages/s)", _x(plain["pipeline"]), "", "whole pipeline")
        )
        rows.append(
            (
                "crawl",
                "plain Scrapy fetching the same pages (pages/s)",
                _x(plain["capture_off"]),
                "",
                "spider, capture off",
            )
        )
    extractors = _get(results, "extract", "extractors")
    if extractors:
        ratio = extractors["generic"]["p50_ms"] / extractors["presstv"]["p50_ms"]
        rows.append(("extraction", "trafilatura on the same pages (p50 time)", _x(ratio), "", "presstv extractor"))
    uploads = _get(results, "upload", "best_mb_s")
    if uploads:
        ours, theirs = uploads["S3Store.put sha256"], uploads["boto3 upload_file"]
        ratio = statistics.median(ours[size] / theirs[size] for size in ours if size in theirs)
        rows.append(
            ("S3 upload", "boto3 upload_file (MiB/s, median over sizes)", _x(ratio), "", "verified, create-only")
        )
    reindex = _get(results, "reindex", "vs_cdxj")
    if reindex:
        rows.append(
            (
                "index step (as a rebuild runs it)",
                "cdxj-indexer, same WARCs (MB/s)",
                _x(reindex["index"]),
                ">= 1.0",
                _met(reindex["index"], 1.0),
            )
        )
        rows.append(
            (
                "reindex with detection",
                "cdxj-indexer, same WARCs (MB/s)",
                _x(reindex["reindex"]),
                ">= 0.5",
                _met(reindex["reindex"], 0.5),
            )
        )
        noisy = results["reindex"].get("noisy")
        if noisy:
            rows.append(
                (
                    "reindex with detection, every fetch's bytes differing",
                    "cdxj-indexer, same WARCs (MB/s)",
                    _x(noisy["vs_cdxj"]["reindex"]),
                    "",
                    "every page extracted (no revisit, nothing shared)",
                )
            )
        section = results["reindex"]
        if section.get("writer_cpu_s"):
            bound = section["warc_mb"] / statistics.median(section["writer_cpu_s"])
            rows.append(
                (
                    "reindex, writer process",
                    "cdxj-indexer (MB/s), against MB per CPU second of the writer",
                    _x(bound / section["mb_s"]["cdxj-indexer"]),
                    "",
                    "the most any number of cores gives",
                )
            )
    rows += _serve_rows(results)
    ratio = _get(results, "scale", "ratio")
    if ratio:
        of = " / ".join(ratio["of"])
        rows.append(
            (
                f"scale ({of})",
                "detect per capture, same batch",
                f"{ratio['detect']:.2f}",
                "<= 1.2",
                _met(ratio["detect"], 1.2, at_most=True),
            )
        )
    return rows


def _serve_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Per configuration (as shipped; ``--workers 2``): the worst c=16 p99 of CDX exact and TimeMap,
    and the lowest requests/s ratio to pywb over every query type, concurrency and connection mode."""
    cells = _get(results, "serve", "cells")
    if not cells:
        return []
    rows = []
    for server, label in (("edittrail", "as shipped"), ("edittrail-w2", "--workers 2")):
        p99 = [
            c[server]["p99_ms"]
            for c in cells
            if c["concurrency"] == 16 and c["kind"] in ("exact", "timemap") and server in c
        ]
        ratios = [c["ratio"][server] for c in cells if server in c.get("ratio", {})]
        if p99:
            rows.append(
                (
                    "serve 1M, c=16",
                    f"p99 of CDX exact and TimeMap, worst ({label})",
                    f"{max(p99):.0f} ms",
                    "<= 50 ms",
                    _met(max(p99), 50, at_most=True),
                )
            )
        if ratios:
            rows.append(
                (
                    "serve 1M",
                    f"pywb's cdx server, req/s, lowest of every query ({label})",
                    _x(min(ratios)),
                    ">= 1.0",
                    _met(min(ratios), 1.0),
                )
            )
    return rows


def _section(name: str, result: dict[str, Any], when: str | None) -> str:
    module = importlib.import_module(f"bench.{name}")
    table: Callable[[dict[str, Any]], str] = module.table
    about = inspect.getdoc(module) or ""
    stamp = f" (run {when})" if when else ""
    try:
        shown = table(result)
    except (KeyError, TypeError, ValueError) as exc:  # figures recorded by an older form of the section
        shown = f"(figures of an older form of this benchmark ({exc!r}); run `python -m bench {name}`)"
    return f"## {name}{stamp}\n\n{about}\n\n```\n{shown}\n```\n"


def render(results: dict[str, Any]) -> str:
    """The whole document for one results file."""
    machine = results.get("machine", {})
    load = machine.get("load_average")
    parts = [
        INTRO,
        f"Run of **{results.get('when', '?')}** on Python {machine.get('python', '?')}, "
        f"{machine.get('cores', '?')} cores" + (f", load average {load[0]:.1f} when it began" if load else "") + ".\n",
        "## Summary: edittrail beside its peers\n",
        "| benchmark | compared with | edittrail / peer | target | |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in _summary(results)),
        "\nA ratio above 1 means edittrail is faster (or does more per second); the scale row is "
        "a cost ratio (1M captures over 10k), where 1 is flat.\n",
    ]
    sections = [
        name
        for name in ("warc_write", "crawl", "extract", "upload", "reindex", "cdx", "serve", "scale")
        if name in results
    ]
    for name in sections:
        parts.append(_section(name, results[name], _get(results, "section_when", name)))
    return "\n".join(parts)


def write(results: dict[str, Any], path: Path = DOC) -> Path:
    path.write_text(render(results))
    return path
