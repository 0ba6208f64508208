"""Reindex speed against cdxj-indexer on the same WARC files.

The WARCs are the simulated outlet's article pages written by edittrail's own writer as
``CRAWLS`` crawls of all four demo hosts, straight into a ``file://`` store (the second
crawl's pages are the first's, as an unedited site gives). Two things run over them,
alternating, for ``ROUNDS`` rounds:

- ``cdxj-indexer -s`` (its ``main``, in this process): the field's index of WARCs, sorted CDXJ
  to /dev/null;
- edittrail's **index step** (``pipeline.index`` into an empty index): read each object once,
  verify every record's block and payload digests, hash the object (SHA-256), and write the
  captures and articles to SQLite, objects read ahead on worker processes of its own, started
  cold as in a fresh process, while this process writes the index: it uses both cores,
  cdxj-indexer one. It is the index step a rebuild runs; in a rebuild, detection runs beside it
  (a crawl or so behind, ``archive.detect.following``), so the rebuild's own index step cannot be
  timed apart any more (until 2026-12-04 this row was the rebuild's time to its last object);
- edittrail's **reindex** (``pipeline.reindex``: index + detect into a file aside, then the
  swap): what an operator's ``edittrail reindex`` does, detection included.

Both run in this process, so neither pays for starting an interpreter; figures are MB of WARC
per second, and each ratio is the median of the per-round ratios. The reindex's CPU time in
this process is kept too: this process is the index's single writer (the workers only read
objects and records and extract pages), so MB per CPU second of it is the most a rebuild can reach on
any number of cores, where the wall-clock figure is also bound by the two cores of this machine.

A second corpus holds the same pages with every fetch's bytes differing (a comment naming the
fetch, as a page counter or a cache-buster gives): no capture is a revisit and no extraction can
be shared between mirrors or crawls, so every page is extracted, as on most real sites. Its
figures have no target; they say what a rebuild costs where extraction decides it.

Each reindex round starts with no page extraction remembered (``remembered.forget``) and no
noise model kept (``learned.forget``), as a fresh ``edittrail reindex`` does: rounds before
2026-12-04 found the earlier round's pages remembered, which flattered them. Caches of pure
functions (SURT keys, normalized items) still stay warm from one round to the next, as they did
before: the first round is a fresh process's.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive import pipeline
from archive.config import Config, load_config
from archive.detect import learned as learned_noise
from archive.extract import remembered
from archive.warc import WARC_GLOB, HttpRequestData, HttpResponseData, WarcName, WarcWriter
from bench.warc_write import payloads
from tests.support import HOSTS, write_config

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench"
GENERATOR = 1
"""Bump when the WARCs written here change, so a cached set is rebuilt."""


def build(directory: Path, pages: int, crawls: int, *, noisy: bool = False) -> tuple[Config, list[Path]]:
    """``crawls`` crawls of ``pages`` article pages on every demo host, stored; cached by size.

    ``noisy``: every fetch's bytes differ (a comment naming the fetch before ``</body>``, as a
    page counter or a cache-buster gives), so no page is a revisit and no extraction is shared."""
    marker = directory / "complete"
    config = load_config(write_config(directory, port=38765)) if marker.exists() else None
    if config is None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        config = load_config(write_config(directory, port=38765))
        _write_crawls(config, directory, payloads(pages), crawls, noisy)
        marker.touch()
    store = directory / "data" / "store"
    return config, sorted(store.rglob(WARC_GLOB))


def _write_crawls(config: Config, directory: Path, pages: list[tuple[str, bytes]], crawls: int, noisy: bool) -> None:
    store = directory / "data" / "store"
    for crawl in range(crawls):
        moment = datetime(2026, 11, 20, 8, tzinfo=UTC) + timedelta(hours=3 * crawl)
        with WarcWriter(directory / "spool", f"demo-{secrets.token_hex(4)}", max_size=100_000_000) as writer:
            for second, (url, body) in enumerate(pages):
                path = url.split("www.presstv.ir", 1)[1]
                for host in HOSTS:
                    page = f"http://{host}:38765{path}"
                    if noisy:
                        body = _fetched(body, f"{crawl}-{second}-{host}")
                    head = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))))
                    writer.write_exchange(
                        HttpRequestData("GET", page, (("Host", f"{host}:38765"),)),
                        HttpResponseData(200, "OK", head, body),
                        fetched_at=moment + timedelta(seconds=second),
                    )
        for closed in writer.closed_files:
            target = store / WarcName.parse(closed.name).object_key("demo")
            target.parent.mkdir(parents=True, exist_ok=True)
            closed.rename(target)


def _fetched(body: bytes, fetch: str) -> bytes:
    """The page as one fetch served it: a comment of its own before ``</body>`` (the previous
    fetch's comment replaced, so pages do not grow)."""
    page, marker, rest = body.partition(b"<!-- fetch ")
    if marker:
        rest = rest.partition(b" -->")[2]
    head, close, tail = (page + rest).rpartition(b"</body>")
    return head + f"<!-- fetch {fetch} -->".encode() + close + tail


def _cold_workers() -> None:
    """Stop multiprocessing's forkserver, which outlives each rebuild's workers in this process:
    every round's workers then start as those of a fresh `edittrail reindex` do, imports and all."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # no public way to stop it
    if stop is not None:
        stop()


def _fresh(config: Config) -> None:
    """No index and no rebuild aside: each run starts from the WARCs alone."""
    for path in config.index_path.parent.glob(config.index_path.name + "*"):
        path.unlink()


def _cdxj(files: list[Path]) -> float:
    from cdxj_indexer.main import main as cdxj_main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        cdxj_main([*map(str, files), "-s", "-o", os.devnull])
    return time.perf_counter() - start


def _index(config: Config) -> float:
    """The index step (``pipeline.index``) into a fresh index: from ``PARALLEL_BYTES`` of WARC, as
    here, on workers of its own, started cold as in an Airflow task or ``edittrail reindex``."""
    _fresh(config)
    _cold_workers()
    start = time.perf_counter()
    pipeline.index(config, "demo")
    return time.perf_counter() - start


def _reindex(config: Config) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, this process's CPU seconds, what the rebuild returned)."""
    _fresh(config)
    _cold_workers()
    remembered.forget()  # as `edittrail reindex` starts: no page extracted yet in this process
    learned_noise.forget()  # nor a noise model's fingerprints
    start, cpu = time.perf_counter(), time.process_time()
    result = pipeline.reindex(config, "demo")
    return time.perf_counter() - start, time.process_time() - cpu, result


def run(quick: bool = False) -> dict[str, Any]:
    pages, crawls, rounds = (100, 2, 2) if quick else (1000, 2, 3)
    result = _measure(CACHE / f"reindex-{pages}x{crawls}-g{GENERATOR}", pages, crawls, rounds, noisy=False)
    noisy = _measure(CACHE / f"reindex-{pages}x{crawls}-noisy-g{GENERATOR}", pages, crawls, rounds, noisy=True)
    return result | {"noisy": noisy}


def _measure(directory: Path, pages: int, crawls: int, rounds: int, *, noisy: bool) -> dict[str, Any]:
    """cdxj-indexer and the reindex over one corpus, alternating for ``rounds`` rounds."""
    config, files = build(directory, pages, crawls, noisy=noisy)
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    seconds: dict[str, list[float]] = {"cdxj-indexer": [], "index": [], "reindex": []}
    writer_cpu: list[float] = []
    captures = 0
    detected: dict[str, Any] = {}
    for _ in range(rounds):
        seconds["cdxj-indexer"].append(_cdxj(files))
        seconds["index"].append(_index(config))
        reindex_s, cpu_s, result = _reindex(config)
        seconds["reindex"].append(reindex_s)
        writer_cpu.append(cpu_s)
        captures, detected = int(result["captures_added"]), result["detect"]
    ratios = {
        name: statistics.median(c / s for c, s in zip(seconds["cdxj-indexer"], seconds[name], strict=True))
        for name in ("index", "reindex")
    }
    return {
        "warc_mb": megabytes,
        "files": len(files),
        "captures": captures,
        "rounds": rounds,
        "seconds": seconds,
        "mb_s": {name: megabytes / statistics.median(values) for name, values in seconds.items()},
        "vs_cdxj": ratios,
        "writer_cpu_s": writer_cpu,
        "detect": {k: v for k, v in detected.items() if isinstance(v, int)},
    }


def table(result: dict[str, Any]) -> str:
    mb_s, ratios = result["mb_s"], result["vs_cdxj"]
    per_capture = statistics.median(result["seconds"]["reindex"]) / max(result["captures"], 1) * 1000
    return "\n".join(
        [
            f"Reindex vs cdxj-indexer: {result['warc_mb']:.1f} MB of WARC in {result['files']} file(s), "
            f"{result['captures']:,} captures; in process, median of {result['rounds']} alternating rounds",
            f"{'':24} {'MB/s':>8} {'vs cdxj-indexer':>16}",
            f"{'cdxj-indexer -s':24} {mb_s['cdxj-indexer']:>8.1f} {'1.00x':>16}",
            f"{'edittrail index step':24} {mb_s['index']:>8.1f} {ratios['index']:>15.2f}x   (target >= 1.0; "
            "pipeline.index into an empty index, objects read on its own workers, their start included)",
            f"{'edittrail reindex':24} {mb_s['reindex']:>8.1f} {ratios['reindex']:>15.2f}x   (target >= 0.5; "
            f"index + detect, {per_capture:.2f} ms per capture)",
            *_writer_lines(result),
            *_noisy_lines(result.get("noisy")),
        ]
    )


def _noisy_lines(noisy: dict[str, Any] | None) -> list[str]:
    """The same pages with every fetch's bytes differing: no revisit and no shared extraction,
    as on a site whose pages carry a counter or a cache-buster; extraction then decides a rebuild."""
    if not noisy:
        return []  # a result file from before this corpus was measured
    mb_s, ratios = noisy["mb_s"], noisy["vs_cdxj"]
    per_capture = statistics.median(noisy["seconds"]["reindex"]) / max(noisy["captures"], 1) * 1000
    return [
        f"Same pages, every fetch's bytes differing (a per-fetch comment): {noisy['warc_mb']:.1f} MB, "
        f"{noisy['captures']:,} captures, {noisy['detect'].get('versions', 0):,} versions, "
        f"{noisy['detect'].get('changes', 0)} changes",
        f"{'cdxj-indexer -s':24} {mb_s['cdxj-indexer']:>8.1f} {'1.00x':>16}",
        f"{'edittrail index step':24} {mb_s['index']:>8.1f} {ratios['index']:>15.2f}x",
        f"{'edittrail reindex':24} {mb_s['reindex']:>8.1f} {ratios['reindex']:>15.2f}x   (no target; "
        f"{per_capture:.2f} ms per capture, every page extracted)",
        *_writer_lines(noisy),
    ]


def _writer_lines(result: dict[str, Any]) -> list[str]:
    """The rebuild's own process (the index's single writer): its CPU bounds a rebuild on any
    number of cores, since reading records back and extracting pages are all the workers take off it."""
    if not result.get("writer_cpu_s"):
        return []  # a result file from before this figure was kept
    cpu = statistics.median(result["writer_cpu_s"])
    bound = result["warc_mb"] / cpu
    return [
        f"{'  its writer process':24} {bound:>8.1f} {bound / result['mb_s']['cdxj-indexer']:>15.2f}x   "
        f"(MB per CPU second of the process that indexes and detects: the most any number of cores "
        f"gives; {cpu / max(result['captures'], 1) * 1000:.2f} ms CPU per capture)"
    ]
