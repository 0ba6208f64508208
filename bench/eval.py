"""`make eval`: does detection report each scripted edit once, and noise never?

For each noise profile of the simulated outlet (``archive.simulate.noise``) this crawls a
fresh archive for several rounds through the real pipeline (``pipeline.run_cycle``: Scrapy,
WARC, store, index, detect, alert), makes the outlet edit its articles between rounds (and
once during a crawl, see ``bench/eval_script.py``), and compares the changes in the index
and the messages two local webhooks received with the script. Targets on every profile:
recall 100% on every kind, 0 false changes, exactly 1.0 change and 1 alert per edit per
channel; a profile that misses one FAILs and the exit status is 1.

Usage: python -m bench.eval [--quick] [--profile NAME ...] [--no-docs]
Writes bench/results/eval.json (eval_quick.json with --quick) and the section between
``<!-- eval:begin -->`` and ``<!-- eval:end -->`` in docs/detection.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from archive import pipeline
from archive.config import load_config
from archive.demo import webhook_receiver
from archive.index import Index
from archive.index import versions as vx
from archive.simulate import DEFAULT_HOSTS, SimulatedOutlet
from archive.simulate import noise as profiles
from bench.eval_report import render_markdown, render_problems, render_table, write_docs
from bench.eval_score import score
from bench.eval_script import Script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "detection.md"
OUTLET = "eval"
CHANNELS = ("eval-a", "eval-b")
TODAY = date(2026, 11, 20)
FULL = {"profiles": profiles.SCORED, "articles": 24, "rounds": 5}
QUICK = {"profiles": (profiles.NONE, profiles.ALL), "articles": 18, "rounds": 4}
PATTERN = r"(?i)^/detail/(?:\d{4}/\d{1,2}/\d{1,2}/(?=\d+(?:/|$))|(?=\d+(?:\.html)?/?$))(?P<id>\d+)"


def env_name(channel: str) -> str:
    return "EDITTRAIL_EVAL_WEBHOOK_" + channel.upper().replace("-", "_")


def write_config(directory: Path, port: int, hosts: tuple[str, ...]) -> Path:
    """An outlets.toml like the shipped demo outlet's (revisit every run), with everything under
    ``directory``, a 1s divergence window and two alert channels read from the environment."""
    quoted = ", ".join(f'"{h}"' for h in hosts[1:])
    overrides = "\n".join(f'"{h}" = "127.0.0.1"' for h in hosts)
    channels = "\n".join(
        f'[[outlets.{OUTLET}.alerts]]\nname = "{name}"\nurl_env = "{env_name(name)}"\n' for name in CHANNELS
    )
    text = f"""[settings]
data_dir = "data"

[outlets.{OUTLET}]
title = "Press TV (simulated, eval)"
primary = "{hosts[0]}"
mirrors = [{quoted}]
media_hosts = ["cdn.presstv.ir"]
scheme = "http"
port = {port}
article_pattern = '{PATTERN}'
schedule = "*/30 * * * *"
store = "file://data/store"
extractor = "presstv"
divergence_window = "1s"

[outlets.{OUTLET}.host_overrides]
{overrides}

[outlets.{OUTLET}.seeds]
rss = ["/rss.xml"]
sitemaps = ["/sitemap.xml"]
sections = ["/", "/Section/101", "/Section/102"]
max_section_pages = 2
sitemap_months = 2

[outlets.{OUTLET}.politeness]
download_delay = 0
concurrency_per_domain = 4
autothrottle = false

[outlets.{OUTLET}.revisit]
offsets = ["1s"]
then_every = "1s"

{channels}
[outlets.{OUTLET}.crawl]
timeout_minutes = 10
download_timeout = 5
retries = 1
max_page_size = "4MB"
warc_max_size = "5MB"
"""
    path = directory / "outlets.toml"
    path.write_text(text)
    return path


@contextmanager
def receivers() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """One local webhook per channel, its URL in the channel's environment variable."""
    with ExitStack() as stack:
        received: dict[str, list[dict[str, Any]]] = {}
        saved = {name: os.environ.get(env_name(name)) for name in CHANNELS}
        for name in CHANNELS:
            url, messages = stack.enter_context(webhook_receiver())
            os.environ[env_name(name)] = url
            received[name] = messages
        try:
            yield received
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(env_name(name), None)
                else:
                    os.environ[env_name(name)] = value


def run_profile(name: str, articles: int, rounds: int, echo: Any = print) -> dict[str, Any]:
    """Crawl a fresh archive of an outlet with noise ``name`` through the script; the score."""
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix=f"edittrail-eval-{name}-") as tmp,
        SimulatedOutlet(hosts=DEFAULT_HOSTS, port=0, seed=1, articles=articles, today=TODAY, noise=name) as sim,
        receivers() as received,
    ):
        config = load_config(write_config(Path(tmp), sim.port, sim.hosts))
        script = Script(sim, rounds)
        for number in range(1, rounds + 1):
            asked = script.before(number)
            result = pipeline.run_cycle(config, OUTLET, articles=asked)
            script.after(number)
            echo(
                f"  {name}: crawl {number}/{rounds}: {result['detect']['captures']} captures, "
                f"{result['detect']['changes']} changes, {result['alert'].get('sent', 0)} alerts sent"
            )
        with Index(config.index_path, readonly=True) as idx:
            changes = vx.changes(idx, outlet=OUTLET)
            captures = idx._db.execute("SELECT count(*) FROM captures WHERE outlet = ?", [OUTLET]).fetchone()[0]
        scored = score(script.expected, script.checks, changes, captures, {k: list(v) for k, v in received.items()})
    scored["seconds"] = round(time.perf_counter() - start, 1)
    scored["script"] = script.log
    scored["roles"] = {role: str(article) for role, article in script.a.items()}
    return scored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="profiles none and all, fewer articles and rounds")
    parser.add_argument("--profile", action="append", choices=profiles.NAMES, help="only this profile (repeatable)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/detection.md")
    parser.add_argument("--out", type=Path, help="results file (default: bench/results/eval[_quick].json)")
    args = parser.parse_args(argv)
    form = QUICK if args.quick else FULL
    names = tuple(args.profile or form["profiles"])
    print(
        f"edit-detection eval: profiles {', '.join(names)}; {form['articles']} articles, {form['rounds']} crawls each"
    )
    runs = {}
    for name in names:
        runs[name] = run_profile(name, int(form["articles"]), int(form["rounds"]))
        print(render_problems(name, runs[name]))
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
        "quick": args.quick,
        "articles": form["articles"],
        "rounds": form["rounds"],
        "hosts": list(DEFAULT_HOSTS),
        "profiles": runs,
    }
    out = args.out or RESULTS / ("eval_quick.json" if args.quick else "eval.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(render_table(results))
    if not args.no_docs:
        write_docs(DOCS, render_markdown(results))
        print(f"\nresults written to {out} and {DOCS}")
    else:
        print(f"\nresults written to {out}")
    failed = [name for name, run in runs.items() if not run["passed"]]
    if failed:
        print(f"FAIL: targets missed on {', '.join(failed)}", file=sys.stderr)
        return 1
    print("PASS: every profile meets the targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
