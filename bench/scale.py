"""Months of archive: does a crawl cycle's work per capture stay flat as the archive grows?

For archives of 10k, 100k and 1M captures (bench/synthetic.py: a year of the demo outlet,
with everything detect would have made of it, cached under ``data/bench/``):

- **index + detect of a new crawl batch**: a real WARC of one crawl (~490 exchanges: hub
  pages, articles published since, known articles fetched again on their hosts, unchanged
  (half as revisit records), edited, retracted, redirected or diverging on a mirror) is put
  in the ``file://`` store of a fresh copy of the archive, then the real stages
  ``pipeline.index`` and ``pipeline.detect`` are timed one after the other, in a fresh
  interpreter per round as a DAG task runs them, wall clock and CPU. Per capture: index and
  both by the batch's captures, detect by the captures detect settled (the batch's article
  captures). Each stage then runs once more with nothing new ("idle"): the part of a run
  that would grow with the archive if a stage walked it. Rounds alternate between sizes, so
  the load of a shared machine falls on all of them alike;
- **lookups** in process, as the routes run them (bench/cdx.py's way): CDX exact, CDX
  prefix (``/Detail/Y/M/D/`` on one host, limit 100) and the article-wide TimeMap, over the
  sampled URLs, and the queries the home and changes pages make before rendering;
- **pages** through the app (FastAPI's TestClient): the outlet's home (recent changes and
  counts), the changes list (all kinds, and headline changes only), article pages and
  search. A request the app fails is counted with its error, not timed.

The verdict is the ratio of detect's wall-clock cost per capture at the largest archive to
the smallest: the issue's acceptance is at most 1.2 (a run costs what its new captures cost,
not what the archive holds). The CPU ratio beside it tells a slower disk or a busy machine
from work that grows with the archive.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archive import pipeline
from archive.api import articles as articles_api
from archive.api import cdx, memento
from archive.config import Config, load_config
from archive.index import Index
from bench import synthetic
from bench.cdx import SEED
from tests.archive.api.support import api_client
from tests.support import write_config

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench"
SIZES = {10_000: 3, 100_000: 3, 1_000_000: 2}
"""Captures in the archive → rounds (each on a fresh copy)."""
QUICK_SIZES = {2_000: 2, 10_000: 2}
TARGET = 1.2
LOOKUPS, QUICK_LOOKUPS = 1000, 200
PAGES = {"home": 20, "changes": 20, "article": 200, "search": 20}
QUICK_PAGES = {"home": 5, "changes": 5, "article": 30, "search": 5}
SEARCH_WORDS = ("sanctions", "Hezbollah", "ceasefire", "Tehran", "minister", "summit", "Gaza", "protest")


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def _progress(size: int) -> Callable[[str], None]:
    def say(message: str) -> None:
        print(f"[scale] {label(size)}: {message}", flush=True)

    return say


def run(quick: bool = False, *, cache: Path | None = None, sizes: dict[int, int] | None = None) -> dict[str, Any]:
    """Every size's archive, then the rounds, alternating sizes (the machine's load then falls on all
    sizes alike), then lookups and pages on each archive as its last round left it; the ratios
    compare the largest archive with the smallest."""
    chosen = dict(sorted((sizes or (QUICK_SIZES if quick else SIZES)).items()))
    root = cache or CACHE
    archives = {size: synthetic.cached(size, root, _progress(size)) for size in chosen}
    measured: dict[int, list[dict[str, Any]]] = {size: [] for size in chosen}
    configs: dict[int, Config] = {}
    for number in range(1, max(chosen.values()) + 1):
        for size, rounds in chosen.items():
            if number > rounds:
                continue
            configs[size] = _fresh_copy(archives[size], root / f"work-{size}")
            measured[size].append(_cycle(configs[size], archives[size]))
            last = measured[size][-1]
            _progress(size)(
                f"round {number}/{rounds}: index {last['index_ms']:.2f}, detect {last['detect_ms']:.2f} ms per capture "
                f"(CPU {last['detect_cpu_ms']:.2f})"
            )
    results = []
    for size, archive in archives.items():
        _progress(size)("lookups and pages")
        reads = _reads(configs[size], archive, quick)
        shutil.rmtree(root / f"work-{size}", ignore_errors=True)
        history = archive.meta["history"]
        results.append(
            {
                "size": size,
                "label": label(size),
                "archive": {k: v for k, v in history.items() if k != "sample"} | {"db_mb": archive.meta["db_mb"]},
                "previous_crawl": archive.meta["crawls"]["previous"],
                "batch": archive.meta["crawls"]["batch"],
                "rounds": measured[size],
                "median": {
                    key: round(statistics.median(r[key] for r in measured[size]), 4)
                    for key in (
                        *("index_ms", "detect_ms", "both_ms", "detect_cpu_ms"),
                        *("index_s", "detect_s", "idle_index_s", "idle_detect_s"),
                    )
                },
                **reads,
            }
        )
    small, large = results[0], results[-1]
    return {
        "generator": synthetic.GENERATOR,
        "sizes": results,
        "ratio": {
            "of": [large["label"], small["label"]],
            "detect": round(large["median"]["detect_ms"] / small["median"]["detect_ms"], 2),
            "index": round(large["median"]["index_ms"] / small["median"]["index_ms"], 2),
            "both": round(large["median"]["both_ms"] / small["median"]["both_ms"], 2),
            "detect_cpu": round(large["median"]["detect_cpu_ms"] / small["median"]["detect_cpu_ms"], 2),
            "target": TARGET,
        },
    }


def _fresh_copy(archive: synthetic.Archive, work: Path) -> Config:
    """The cached archive copied (the cache stays as built), with the batch's WARC in the spool.

    Synced to disk before the round: otherwise the first commit's fsync waits for the writeback of
    the whole fresh copy (2 s of a 3 s index step at a million captures), which a live index never pays.
    """
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = load_config(write_config(work, port=synthetic.PORT))
    source = archive.config
    config.index_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.index_path, config.index_path)
    shutil.copytree(source.data_dir / "store", config.data_dir / "store")
    spool = config.spool_dir("demo")
    spool.mkdir(parents=True)
    shutil.copyfile(archive.batch_warc, spool / archive.batch_warc.name)
    os.sync()
    return config


def _cycle(config: Config, archive: synthetic.Archive) -> dict[str, Any]:
    """One round's stages in a fresh interpreter, as a DAG task runs them: memoized work from an
    earlier round (the same batch, detected again) must not make a later round look cheaper."""
    code = "import json, sys; from bench.scale import stages; print(json.dumps(stages(sys.argv[1])))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(config.path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the timed stages failed ({done.returncode}):\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.splitlines()[-1])
    batch = archive.meta["crawls"]["batch"]
    captures, settled = found["index"]["captures_added"], found["detect"]["captures"]
    if captures != batch["exchanges"] or settled != batch["article_captures"] or found["idle_detect"]["captures"]:
        raise RuntimeError(
            f"the batch has {batch['exchanges']} captures ({batch['article_captures']} of articles); index added "
            f"{captures}, detect settled {settled}, and {found['idle_detect']['captures']} more when run again"
        )
    wall, cpu = found["wall"], found["cpu"]
    return {
        "index_s": wall[0],
        "detect_s": wall[1],
        "index_cpu_s": cpu[0],
        "detect_cpu_s": cpu[1],
        "idle_index_s": wall[2],
        "idle_detect_s": wall[3],
        "captures": captures,
        "detected": settled,
        "index_ms": round(1000 * wall[0] / captures, 3),
        "detect_ms": round(1000 * wall[1] / settled, 3),
        "both_ms": round(1000 * (wall[0] + wall[1]) / captures, 3),
        "detect_cpu_ms": round(1000 * cpu[1] / settled, 3),
        "detect": found["detect"],
    }


def stages(config_path: str) -> dict[str, Any]:
    """Store the batch (untimed), time the index and detect stages (wall and this process's CPU), then
    each once more with nothing new: what a run costs before it has any work, the part that grows
    with the archive when a stage walks it. Run by ``_cycle`` in its own interpreter."""
    config = load_config(Path(config_path))
    pipeline.store(config, "demo")
    gc.collect()
    clocks = [(time.perf_counter(), time.process_time())]
    results = {}
    for name, stage in (
        ("index", pipeline.index),
        ("detect", pipeline.detect),
        ("idle_index", pipeline.index),
        ("idle_detect", pipeline.detect),
    ):
        results[name] = stage(config, "demo")
        clocks.append((time.perf_counter(), time.process_time()))
    return results | {
        "wall": [round(later[0] - earlier[0], 4) for earlier, later in itertools.pairwise(clocks)],
        "cpu": [round(later[1] - earlier[1], 4) for earlier, later in itertools.pairwise(clocks)],
    }


def _reads(config: Config, archive: synthetic.Archive, quick: bool) -> dict[str, Any]:
    """Lookups in process and pages through the app, on the archive as the batch left it."""
    outlet = config.outlet("demo")
    rng = random.Random(SEED)
    urls = rng.sample(archive.meta["history"]["sample"], min(QUICK_LOOKUPS if quick else LOOKUPS, synthetic.SAMPLE))
    articles = [u for u in urls if outlet.article_id(u)]
    prefixes = [
        u.split("/Detail/")[0] + "/Detail/" + "/".join(u.split("/Detail/")[1].split("/")[:3]) + "/" for u in articles
    ]
    links = memento.Links(f"http://127.0.0.1:{synthetic.PORT}/demo/")
    with Index(config.index_path, readonly=True) as idx:

        def cdx_lines(params: dict[str, list[str]]) -> int:
            query = cdx.build_query(outlet, params)
            return len("".join(cdx.render(query, cdx.run_query(idx, outlet.name, query))).splitlines())

        lookups = {
            "cdx_exact": _timed(lambda u: cdx_lines({"url": [u]}), urls),
            "cdx_prefix": _timed(
                lambda p: cdx_lines({"url": [p], "matchType": ["prefix"], "limit": ["100"]}), prefixes
            ),
            "timemap": _timed(
                lambda u: len(memento.timemap(links, u, memento.mementos(idx, outlet, u)).splitlines()) - 3, urls
            ),
        }
        queries = (QUICK_PAGES if quick else PAGES)["home"]

        def home_queries(_: str) -> int:
            return len(articles_api.changes(idx, outlet.name, limit=20)) + len(idx.summary(outlet.name))

        # What the home and changes pages query before they render (timed apart: the pages may fail to render).
        lookups["home_queries"] = _timed(home_queries, [""] * queries, warm=2)
        lookups["changes_query"] = _timed(
            lambda _: len(articles_api.changes(idx, outlet.name, limit=200)), [""] * queries, warm=2
        )
    counts = QUICK_PAGES if quick else PAGES
    ids = [outlet.article_id(u) for u in articles]
    words = [rng.choice(SEARCH_WORDS) for _ in range(counts["search"])]
    client = api_client(config)
    try:

        def get(path: str) -> int:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
            return len(response.content)

        pages = {
            "home": _timed(lambda _: get("/demo/"), [""] * counts["home"], warm=2),
            "changes": _timed(lambda _: get("/demo/changes"), [""] * counts["changes"], warm=2),
            "changes_headline": _timed(lambda _: get("/demo/changes?kind=headline"), [""] * counts["changes"], warm=2),
            "article": _timed(lambda a: get(f"/demo/article/{a}"), ids[: counts["article"]], warm=5),
            "search": _timed(lambda w: get(f"/demo/search?q={quote(w)}"), words, warm=2),
        }
    finally:
        client.close()
    return {"lookups": lookups, "pages": pages}


def _timed(call: Callable[[str], int], items: Sequence[str], warm: int = 50) -> dict[str, Any]:
    """p50 and p99 (ms) of ``call`` over ``items`` after a warm-up on the first ``warm``, and the mean
    size it returned. A call that fails (a page the app cannot render) is counted with its error, not timed."""
    for item in items[:warm]:
        with contextlib.suppress(Exception):
            call(item)
    samples, sizes, errors = [], [], []
    for item in items:
        start = time.perf_counter()
        try:
            size = call(item)
        except Exception as exc:  # the app's own failure: reported in the results and the table
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            continue
        samples.append(time.perf_counter() - start)
        sizes.append(size)
    found: dict[str, Any] = {"n": len(samples), "failed": len(errors)}
    if errors:
        found["error"] = errors[0]
    if samples:
        cuts = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else samples * 99
        found |= {
            "p50_ms": round(1000 * statistics.median(samples), 3),
            "p99_ms": round(1000 * cuts[98], 3),
            "mean_size": round(statistics.fmean(sizes), 1),
        }
    return found


COLUMNS = (
    ("captures", 8), ("articles", 8), ("DB MB", 6), ("rounds", 6),
    ("index", 6), ("detect", 6), ("both", 6), ("det CPU", 7), ("idle idx", 8), ("idle det", 8),
    ("CDX exact", 11), ("CDX prefix", 11), ("TimeMap", 11), ("home SQL", 11), ("changes SQL", 11),
    ("home", 11), ("changes", 11), ("headline ch", 11), ("article", 12), ("search", 12),
)  # fmt: skip
"""The table's columns and widths: per capture (ms) for the batch, per run (ms) for the idle
stages, p50/p99 (ms) for lookups and pages."""


def table(result: dict[str, Any]) -> str:
    batch = result["sizes"][0]["batch"]
    lines = [
        f"Scale: one crawl batch ({batch['exchanges']} captures, {batch['article_captures']} of articles, "
        f"{batch['revisits']} revisits) indexed and detected on archives of growing size, medians of rounds on "
        "fresh copies. index/detect/both: ms per capture (detect per article capture; det CPU: this process's "
        "CPU); idle idx/det: ms for the same stage run again with nothing new; lookups and pages: p50/p99 ms; "
        "home/changes SQL: what those pages query before rendering "
        "(* some requests failed, listed below)",
        " ".join(name.rjust(width) for name, width in COLUMNS),
    ]
    for row in result["sizes"]:
        median, lookups, pages = row["median"], row["lookups"], row["pages"]
        cells = [
            row["label"], f"{row['archive']['articles']:,}", f"{row['archive']['db_mb']:.0f}", str(len(row["rounds"])),
            *(f"{median[k]:.2f}" for k in ("index_ms", "detect_ms", "both_ms", "detect_cpu_ms")),
            *(f"{1000 * median[k]:.0f}" for k in ("idle_index_s", "idle_detect_s")),
            *(_pair(lookups[k]) for k in ("cdx_exact", "cdx_prefix", "timemap", "home_queries", "changes_query")),
            *(_pair(pages[k]) for k in ("home", "changes", "changes_headline", "article", "search")),
        ]  # fmt: skip
        lines.append(" ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True)))
    for row in result["sizes"]:
        lines += [
            f"* {row['label']} {name} page: {cell['failed']} of {cell['failed'] + cell['n']} requests fail: "
            + cell["error"]
            for name, cell in row["pages"].items()
            if cell["failed"]
        ]
    ratio = result["ratio"]
    large, small = ratio["of"]
    lines += [
        f"scale: index per capture at {large} / at {small} = {ratio['index']:.2f}",
        f"scale: detect CPU per capture at {large} / at {small} = {ratio['detect_cpu']:.2f}",
        f"scale: detect per capture at {large} / at {small} = {ratio['detect']:.2f} (target <= {ratio['target']})",
    ]
    return "\n".join(lines)


def _pair(cell: dict[str, Any]) -> str:
    text = "fails" if not cell["n"] else f"{cell['p50_ms']:.1f}/{cell['p99_ms']:.1f}"
    return text + ("*" if cell["failed"] else "")
