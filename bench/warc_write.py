"""WARC write throughput against raw gzip at the same level over the same payloads.

The payloads are the simulated outlet's own pages (the HTML the crawler really archives),
so the ratio tells what the WARC framing, digests and per-record gzip members cost beyond
compression itself, and the levels tell what a gzip level costs in time and bytes.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from datetime import date
from pathlib import Path

from archive.simulate import SimulatedOutlet
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter

LEVELS = (1, 6, 9)


def payloads(count: int) -> list[tuple[str, bytes]]:
    """(url, body) of every article id's page (retracted and redirected ones too), rendered without a server."""
    pages = []
    with SimulatedOutlet(articles=count, today=date(2026, 11, 20)) as sim:
        for article_id in sim.site.article_ids():
            path = sim.article_path(article_id)
            pages.append((f"http://www.presstv.ir{path}", sim.page_for("www.presstv.ir", path).body))
    return pages


def _warc(pages: list[tuple[str, bytes]], level: int, directory: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with WarcWriter(directory, f"bench-l{level}", gzip_level=level) as writer:
        for url, body in pages:
            request = HttpRequestData("GET", url, (("Host", "www.presstv.ir"),))
            response = HttpResponseData(
                200, "OK", (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))), body
            )
            writer.write_exchange(request, response)
    elapsed = time.perf_counter() - start
    return elapsed, sum(p.stat().st_size for p in directory.glob(f"bench-l{level}*.warc.gz"))


def _gzip(pages: list[tuple[str, bytes]], level: int) -> tuple[float, int]:
    start = time.perf_counter()
    size = sum(len(gzip.compress(body, compresslevel=level)) for _, body in pages)
    return time.perf_counter() - start, size


def run(quick: bool = False, repeat: int = 3) -> dict:
    pages = payloads(100 if quick else 1000)
    raw = sum(len(body) for _, body in pages)
    rows = []
    for level in LEVELS:
        with tempfile.TemporaryDirectory() as tmp:
            warc_s, warc_bytes = min(
                (_warc(pages, level, Path(tmp) / str(i)) for i in range(repeat)), key=lambda r: r[0]
            )
        gzip_s, gzip_bytes = min((_gzip(pages, level) for _ in range(repeat)), key=lambda r: r[0])
        rows.append(
            {
                "level": level,
                "pages": len(pages),
                "payload_mb": raw / 1e6,
                "warc_mb_s": raw / 1e6 / warc_s,
                "gzip_mb_s": raw / 1e6 / gzip_s,
                "warc_bytes": warc_bytes,
                "gzip_bytes": gzip_bytes,
            }
        )
    return {"rows": rows}


def table(result: dict) -> str:
    lines = [
        "WARC write vs raw gzip (payload MB/s, best of 3; size as % of level 9's WARC)",
        f"{'level':>5} {'WARC MB/s':>10} {'gzip MB/s':>10} {'WARC/gzip':>10} {'WARC bytes':>12} {'vs L9':>7}",
    ]
    l9 = next(r["warc_bytes"] for r in result["rows"] if r["level"] == 9)
    for r in result["rows"]:
        lines.append(
            f"{r['level']:>5} {r['warc_mb_s']:>10.1f} {r['gzip_mb_s']:>10.1f} "
            f"{r['warc_mb_s'] / r['gzip_mb_s']:>10.2f} {r['warc_bytes']:>12,} {100 * r['warc_bytes'] / l9:>6.1f}%"
        )
    return "\n".join(lines)
