"""Pages per second crawling the simulated outlet: the whole pipeline against the same spider
with WARC capture off, same pages, same run (alternating, so drift hits both alike)."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from archive import pipeline
from archive.config import load_config
from archive.crawljob import CrawlJob
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, write_config


def _pages(report: dict) -> int:
    return sum(v for k, v in report["pages"].items() if k != "articles_over_limit")


def _whole_pipeline(config_path: Path) -> tuple[float, int]:
    config = load_config(config_path)
    start = time.perf_counter()
    result = pipeline.run_cycle(config, "demo")
    elapsed = time.perf_counter() - start
    report = json.loads((Path(result["plan"]["job"]).parent / "report.json").read_text())
    return elapsed, _pages(report)


def _capture_off(config_path: Path) -> tuple[float, int]:
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
    rows = {"pipeline": [], "capture_off": []}
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=60 if quick else 300) as sim:
        for i in range(rounds):
            for name, func in (("pipeline", _whole_pipeline), ("capture_off", _capture_off)):
                with tempfile.TemporaryDirectory() as tmp:
                    elapsed, pages = func(write_config(Path(tmp), port=sim.port))
                rows[name].append({"round": i, "seconds": elapsed, "pages": pages, "pages_s": pages / elapsed})
    best = {name: max(r["pages_s"] for r in runs) for name, runs in rows.items()}
    return {"rounds": rows, "best_pages_s": best, "overhead": best["capture_off"] / best["pipeline"] - 1}


def table(result: dict) -> str:
    lines = [
        "Crawl of the simulated outlet (pages/s, best round; includes Scrapy start-up)",
        f"{'variant':<14} {'pages':>6} {'pages/s':>8}",
    ]
    for name, runs in result["rounds"].items():
        best = max(runs, key=lambda r: r["pages_s"])
        lines.append(f"{name:<14} {best['pages']:>6} {best['pages_s']:>8.1f}")
    lines.append(f"whole pipeline costs {100 * result['overhead']:.1f}% over the spider without WARC capture")
    return "\n".join(lines)
