"""Pages per second crawling the simulated outlet: the whole pipeline against the same spider
with WARC capture off and against plain Scrapy fetching the same pages, same run
(alternating, so drift hits them alike).

The plain-Scrapy variant (``bench.plain_scrapy``) requests exactly the URLs the pipeline's
crawl of the round archived, with no middleware, parsing or capture: the floor a Scrapy
crawl of these pages costs on this machine, start-up included like the others."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from archive.plan.crawljob import CrawlJob
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, write_config

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY_PER_DOMAIN = 4
"""The demo outlet's ``concurrency_per_domain`` in the shipped outlets.toml."""


def _pages(report: dict) -> int:
    return sum(v for k, v in report["pages"].items() if k != "articles_over_limit")


def _whole_pipeline(config_path: Path, urls: Path) -> tuple[float, int]:
    config = load_config(config_path)
    start = time.perf_counter()
    result = pipeline.run_cycle(config, "demo")
    elapsed = time.perf_counter() - start
    report = json.loads((Path(result["plan"]["job"]).parent / "report.json").read_text())
    with Index(config.index_path, readonly=True) as idx:  # what this crawl fetched, for plain Scrapy
        urls.write_text("\n".join(row.url for row in idx.captures("demo")) + "\n")
    return elapsed, _pages(report)


def _plain_scrapy(port: int, urls: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "bench.plain_scrapy", str(urls), str(port), str(CONCURRENCY_PER_DOMAIN)]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stdout.split()[-1])


def _capture_off(config_path: Path, urls: Path) -> tuple[float, int]:
    config = load_config(config_path)
    planned = pipeline.plan(config, "demo")
    job = CrawlJob.load(Path(planned["job"]))
    command = [
        *pipeline.crawl_command(Path(planned["job"]), config.outlet("demo")),
        "-s",
        "EDITTRAIL_WARC_ENABLED=False",
    ]
    start = time.perf_counter()
    subprocess.run(command, env=pipeline.crawl_env(), check=True, capture_output=True, cwd=config.root)
    elapsed = time.perf_counter() - start
    return elapsed, _pages(json.loads(job.report.read_text()))


def run(quick: bool = False) -> dict:
    rounds = 1 if quick else 3
    rows: dict[str, list[dict[str, float]]] = {"pipeline": [], "capture_off": [], "plain_scrapy": []}
    with (
        SimulatedOutlet(hosts=HOSTS, port=0, articles=60 if quick else 300) as sim,
        tempfile.TemporaryDirectory() as keep,
    ):
        urls = Path(keep) / "urls.txt"
        for i in range(rounds):
            for name in rows:
                with tempfile.TemporaryDirectory() as tmp:
                    if name == "plain_scrapy":
                        elapsed, pages = _plain_scrapy(sim.port, urls)
                    else:
                        variant = _whole_pipeline if name == "pipeline" else _capture_off
                        elapsed, pages = variant(write_config(Path(tmp), port=sim.port), urls)
                rows[name].append({"round": i, "seconds": elapsed, "pages": pages, "pages_s": pages / elapsed})
    best = {name: max(r["pages_s"] for r in runs) for name, runs in rows.items()}
    return {
        "rounds": rows,
        "best_pages_s": best,
        "overhead": best["capture_off"] / best["pipeline"] - 1,
        "vs_plain_scrapy": {name: best[name] / best["plain_scrapy"] for name in ("pipeline", "capture_off")},
    }


def table(result: dict) -> str:
    lines = [
        "Crawl of the simulated outlet (pages/s, best round; includes Scrapy start-up)",
        f"{'variant':<14} {'pages':>6} {'pages/s':>8}",
    ]
    for name, runs in result["rounds"].items():
        best = max(runs, key=lambda r: r["pages_s"])
        lines.append(f"{name:<14} {best['pages']:>6} {best['pages_s']:>8.1f}")
    lines.append(f"whole pipeline costs {100 * result['overhead']:.1f}% over the spider without WARC capture")
    plain = result["vs_plain_scrapy"]
    lines.append(
        f"vs plain Scrapy fetching the same pages: pipeline {plain['pipeline']:.2f}x, "
        f"spider without capture {plain['capture_off']:.2f}x"
    )
    return "\n".join(lines)
