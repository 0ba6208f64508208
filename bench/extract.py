"""Extraction + normalization + hash per article page: the Press TV extractor against
trafilatura (the generic extractor) on the same simulated-outlet pages.

This is the work the detect stage does for every capture (decoding aside), so its p95
bounds how fast a re-index of a whole archive can go.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from archive.detect.fingerprint import fingerprint
from archive.extract import extract
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS

EXTRACTORS = ("presstv", "generic")


def _pages(count: int) -> list[tuple[str, bytes]]:
    """``count`` article pages as the primary host serves them, with their URLs."""
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=count, today=date(2026, 11, 20)) as sim:
        return [(sim.article_url(i), sim.page_for(sim.primary, sim.article_path(i)).body) for i in sim.site.live_ids()]


def _timings(name: str, pages: list[tuple[str, bytes]], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for url, html in pages:
            start = time.perf_counter()
            fingerprint(extract(name, html, url, content_type="text/html; charset=utf-8"))
            samples.append(time.perf_counter() - start)
    return samples


def run(quick: bool = False) -> dict:
    pages = _pages(60 if quick else 300)
    rounds = 1 if quick else 3
    for name in EXTRACTORS:  # warm-up: imports, caches, lazily compiled patterns
        _timings(name, pages[:5], 1)
    result: dict = {
        "pages": len(pages),
        "rounds": rounds,
        "mean_page_bytes": round(statistics.fmean(len(html) for _, html in pages)),
        "extractors": {},
    }
    for name in EXTRACTORS:
        samples = _timings(name, pages, rounds)
        cuts = statistics.quantiles(samples, n=100)
        result["extractors"][name] = {
            "p50_ms": round(1000 * statistics.median(samples), 3),
            "p95_ms": round(1000 * cuts[94], 3),
            "pages_s": round(len(samples) / sum(samples), 1),
        }
    return result


def table(result: dict) -> str:
    lines = [
        f"Extraction + normalization + hash per page ({result['pages']} simulated article pages of "
        f"{result['mean_page_bytes']} bytes on average, {result['rounds']} round(s))",
        f"{'extractor':<12} {'p50 ms':>8} {'p95 ms':>8} {'pages/s':>8}",
    ]
    for name, row in result["extractors"].items():
        lines.append(f"{name:<12} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['pages_s']:>8.1f}")
    return "\n".join(lines)
