"""WARC write speed: edittrail's writer against plain warcio and the deflate work itself.

Every variant handles the same exchanges: the simulated outlet's pages (the HTML the
crawler really archives) with the request head Scrapy sends under our settings and the
response head the simulated server sends, both turned into `HttpRequestData` /
`HttpResponseData` by the spider's own middleware functions. Per gzip level:

- edittrail: `WarcWriter.write_exchange`, building the exchange objects included (the
  middleware builds them per response, and their validation is part of the cost);
- edittrail with its stock-zlib fallback, to show what the deflate backend buys;
- plain warcio: `WARCWriter(gzip=True)` building and writing the same response + request
  pair (warcio's own gzip wrapper, at the same level);
- zlib over the exact record bytes edittrail writes, one gzip member per record: the most
  any writer of this format could reach with stock zlib;
- gzip of the bodies alone: what compressing the pages costs without any WARC.

Variants alternate within each round (their order rotating from round to round), and a
ratio is the median over rounds of the per-round ratio. Each run is timed twice: CPU time
of this process (user + system, so the writers' write(2) calls count) and wall time. The
ratios and targets are read on CPU time, because on a shared machine wall time also counts
the slices other jobs take, which lands on whichever variant was running (the wall ratios
are printed and stored beside them). Nothing timed waits on the disk: closing a file
(fsync, rename) is outside the timed part for both writers.
"""

from __future__ import annotations

import gc
import gzip
import io
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS
from scrapy.http import HtmlResponse, Request
from scrapy.settings.default_settings import DEFAULT_REQUEST_HEADERS
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.config.tables import Politeness
from archive.simulate import SimulatedOutlet
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter
from archive.warc.writer import Deflate, deflate_backend
from spiders.middlewares import request_data, response_data

LEVELS = (1, 6, 9)
TARGET_LEVEL = 6
"""The crawler's default level (EDITTRAIL_WARC_GZIP_LEVEL); the targets are read there."""
TARGETS = {"warcio": 1.0, "zlib_records": 0.6}
"""edittrail's speed over the variant's, at least."""
VARIANTS = ("edittrail", "edittrail_zlib", "warcio", "zlib_records", "gzip_bodies")
LABELS = {
    "edittrail": "edittrail WarcWriter",
    "edittrail_zlib": "edittrail, stock zlib fallback",
    "warcio": "plain warcio WARCWriter(gzip=True)",
    "zlib_records": "zlib, record bytes, member/record",
    "gzip_bodies": "gzip of the bodies only",
}
FETCHED_AT = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
IP_ADDRESS = "127.0.0.1"


def payloads(count: int) -> list[tuple[str, bytes]]:
    """(url, body) of every article id's page (retracted and redirected ones too), rendered without a server."""
    pages = []
    with SimulatedOutlet(articles=count, today=date(2026, 11, 20)) as sim:
        for article_id in sim.site.article_ids():
            path = sim.article_path(article_id)
            pages.append((f"http://www.presstv.ir{path}", sim.page_for("www.presstv.ir", path).body))
    return pages


@dataclass(frozen=True)
class Exchange:
    """The fields the middleware hands the writer for one page, before validation."""

    url: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    body: bytes


def exchanges(count: int) -> list[Exchange]:
    """Each page with the heads the spider would store for it (uncompressed bodies, as in `payloads`)."""
    sent = {
        **DEFAULT_REQUEST_HEADERS,
        "User-Agent": Politeness().user_agent,
        "Accept-Encoding": b", ".join(ACCEPTED_ENCODINGS),
    }
    server = (("Server", "BaseHTTP/0.6 Python/3.11"), ("Date", formatdate(FETCHED_AT.timestamp(), usegmt=True)))
    out = []
    for url, body in payloads(count):
        request = request_data(Request(url, headers=sent))
        headers = (
            *server,
            ("Content-Type", "text/html; charset=utf-8"),
            ("Vary", "Accept-Encoding"),
            ("Content-Length", str(len(body))),
        )
        response = response_data(HtmlResponse(url, status=200, headers=list(headers), body=body))
        out.append(Exchange(url, request.headers, response.status, response.reason, response.headers, body))
    return out


@dataclass(frozen=True)
class Timing:
    cpu_s: float
    wall_s: float
    size: int


class _Clock:
    """CPU and wall time from construction to `stop`."""

    def __init__(self) -> None:
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def stop(self, size: int = 0) -> Timing:
        return Timing(time.process_time() - self._cpu, time.perf_counter() - self._wall, size)


def _edittrail(pages: list[Exchange], directory: Path, level: int, backend: Deflate | None) -> Timing:
    writer = WarcWriter(directory, "bench", gzip_level=level, deflate=backend)
    clock = _Clock()
    for page in pages:
        writer.write_exchange(
            HttpRequestData("GET", page.url, page.request_headers),
            HttpResponseData(page.status, page.reason, page.response_headers, page.body),
            ip_address=IP_ADDRESS,
            fetched_at=FETCHED_AT,
        )
    timing = clock.stop()
    (path,) = writer.close()
    return Timing(timing.cpu_s, timing.wall_s, path.stat().st_size)


class _GzipAtLevel:
    """warcio's GzippingWrapper (warcio/warcwriter.py) with the level as a parameter: it hard-codes 9."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

    def write(self, buff: bytes) -> None:
        self.out.write(self.compressor.compress(buff))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class _WarcioAtLevel(WARCWriter):  # type: ignore[misc]  # warcio is untyped
    def __init__(self, out: BinaryIO, level: int) -> None:
        super().__init__(out, gzip=False, warc_version="WARC/1.1")
        self._level = level

    def _write_warc_record(self, out: BinaryIO, record: Any) -> None:
        super()._write_warc_record(_GzipAtLevel(out, self._level), record)


def _warcio(pages: list[Exchange], directory: Path, level: int) -> Timing:
    directory.mkdir()
    path = directory / "warcio.warc.gz"
    date_header = FETCHED_AT.replace(tzinfo=None).isoformat() + "Z"
    with path.open("wb") as out:
        clock = _Clock()
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1") if level == 9 else _WarcioAtLevel(out, level)
        for page in pages:
            common = {"WARC-Date": date_header, "WARC-IP-Address": IP_ADDRESS}
            response = writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(page.body),
                length=len(page.body),
                warc_headers_dict=common,
                http_headers=StatusAndHeaders(f"{page.status} {page.reason}", page.response_headers, "HTTP/1.1"),
            )
            request = writer.create_warc_record(
                page.url,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                warc_headers_dict=dict(common),
                http_headers=StatusAndHeaders(f"{urlsplit(page.url).path} HTTP/1.1", page.request_headers, "GET"),
            )
            writer.write_request_response_pair(request, response)
        timing = clock.stop()
    return Timing(timing.cpu_s, timing.wall_s, path.stat().st_size)


def _compress_each(items: list[bytes], level: int) -> Timing:
    clock = _Clock()
    size = sum(len(gzip.compress(item, compresslevel=level, mtime=0)) for item in items)
    return clock.stop(size)


def record_bytes(pages: list[Exchange], directory: Path) -> list[bytes]:
    """The uncompressed records edittrail writes for the exchanges, warcinfo left out."""
    _edittrail(pages, directory, 0, "zlib")
    (path,) = directory.glob("*.warc.gz")
    data, records = path.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        records.append(inflater.decompress(data))
        data = inflater.unused_data
    return records[1:]


def run(quick: bool = False) -> dict[str, Any]:
    count, rounds = (100, 3) if quick else (1000, 7)
    pages = exchanges(count)
    raw = sum(len(page.body) for page in pages)
    with tempfile.TemporaryDirectory() as tmp:
        records = record_bytes(pages, Path(tmp) / "records")
        bodies = [page.body for page in pages]
        runs = 0

        def fresh() -> Path:
            nonlocal runs
            runs += 1
            return Path(tmp) / f"run{runs}"

        tasks: dict[tuple[int, str], Callable[[], Timing]] = {}
        for level in LEVELS:
            tasks[level, "edittrail"] = lambda lv=level: _edittrail(pages, fresh(), lv, None)
            tasks[level, "edittrail_zlib"] = lambda lv=level: _edittrail(pages, fresh(), lv, "zlib")
            tasks[level, "warcio"] = lambda lv=level: _warcio(pages, fresh(), lv)
            tasks[level, "zlib_records"] = lambda lv=level: _compress_each(records, lv)
            tasks[level, "gzip_bodies"] = lambda lv=level: _compress_each(bodies, lv)
        for task in tasks.values():  # warm-up: imports, caches, first file
            task()
        timings: dict[tuple[int, str], list[Timing]] = {key: [] for key in tasks}
        order = list(tasks)
        for turn in range(rounds):
            for key in order[turn % len(order) :] + order[: turn % len(order)]:
                gc.collect()
                timings[key].append(tasks[key]())

    def ratio(theirs: tuple[int, str], ours: tuple[int, str], clock: str = "cpu_s") -> float:
        """Median over rounds of their time over ours: > 1 when ours is faster."""
        pairs = zip(timings[theirs], timings[ours], strict=True)
        return statistics.median(getattr(t, clock) / getattr(o, clock) for t, o in pairs)

    rows = []
    for level in LEVELS:
        variants = {}
        for name in VARIANTS:
            cpu = statistics.median(t.cpu_s for t in timings[level, name])
            wall = statistics.median(t.wall_s for t in timings[level, name])
            variants[name] = {
                "cpu_s": cpu,
                "wall_s": wall,
                "mb_s": raw / 1e6 / cpu,
                "us_per_page": 1e6 * cpu / len(pages),
                "bytes": timings[level, name][-1].size,
            }
        others = [name for name in VARIANTS if name != "edittrail"]
        rows.append(
            {
                "level": level,
                "variants": variants,
                "ratios": {name: ratio((level, name), (level, "edittrail")) for name in others},
                "wall_ratios": {name: ratio((level, name), (level, "edittrail"), "wall_s") for name in others},
            }
        )
    ours = (TARGET_LEVEL, "edittrail")
    targets: dict[str, dict[str, Any]] = {
        name: {
            "level": TARGET_LEVEL,
            "ratio": ratio((TARGET_LEVEL, name), ours),
            "wall_ratio": ratio((TARGET_LEVEL, name), ours, "wall_s"),
            "target": minimum,
        }
        for name, minimum in TARGETS.items()
    }
    targets["warcio_default"] = {
        "level": 9,
        "ratio": ratio((9, "warcio"), ours),
        "wall_ratio": ratio((9, "warcio"), ours, "wall_s"),
        "target": None,
    }
    return {
        "pages": len(pages),
        "payload_mb": raw / 1e6,
        "mean_page_kb": raw / len(pages) / 1e3,
        "records": len(records),
        "record_mb": sum(len(r) for r in records) / 1e6,
        "rounds": rounds,
        "backend": {str(level): deflate_backend(level) for level in LEVELS},
        "rows": rows,
        "targets": targets,
    }


def table(result: dict[str, Any]) -> str:
    backends = ", ".join(f"L{level} {name}" for level, name in result["backend"].items())
    lines = [
        f"WARC write: {result['pages']:,} simulated-outlet pages ({result['mean_page_kb']:.1f} KB mean, "
        f"{result['payload_mb']:.2f} MB) with the spider's request/response heads; {result['rounds']} rounds, "
        "variants alternating",
        f"edittrail deflate backend: {backends}; bytes vs zlib = edittrail's file against its zlib fallback's",
        "MB/s and us/page: payload per CPU second (median round); edittrail/x: median per-round ratio of",
        "the variant's time to edittrail's (> 1: edittrail faster), on CPU time and, beside it, wall time",
        f"{'level':>5}  {'variant':<36} {'MB/s':>6} {'us/page':>7} {'bytes':>11} {'vs zlib':>8} "
        f"{'edittrail/x':>11} {'(wall)':>7}",
    ]
    for row in result["rows"]:
        reference = row["variants"]["edittrail_zlib"]["bytes"]
        for name in VARIANTS:
            figures = row["variants"][name]
            ratio = f"{row['ratios'][name]:.2f}x" if name in row["ratios"] else ""
            wall = f"{row['wall_ratios'][name]:.2f}x" if name in row["wall_ratios"] else ""
            size = f"{100 * figures['bytes'] / reference - 100:+.2f}%" if name.startswith("edittrail") else ""
            lines.append(
                f"{row['level']:>5}  {LABELS[name]:<36} {figures['mb_s']:>6.1f} {figures['us_per_page']:>7.0f} "
                f"{figures['bytes']:>11,} {size:>8} {ratio:>11} {wall:>7}"
            )
    lines.append("targets (CPU time; wall time in brackets):")
    for name, target in result["targets"].items():
        ratio, wall, level = target["ratio"], target["wall_ratio"], target["level"]
        if target["target"] is None:
            lines.append(f"  edittrail L{TARGET_LEVEL} / warcio's default L{level} = {ratio:.2f}x ({wall:.2f}x)")
            continue
        label = "warcio" if name == "warcio" else "zlib(record bytes)"
        verdict = "met" if ratio >= target["target"] else "MISSED"
        lines.append(
            f"  edittrail / {label} = {ratio:.2f}x ({wall:.2f}x) at L{level} (target >= {target['target']}) {verdict}"
        )
    return "\n".join(lines)
