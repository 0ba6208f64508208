"""Run the benchmarks, print one table per section, write bench/results/latest.json.

Usage: python -m bench [SECTION ...] [--quick]

With no SECTION every section runs (what `make bench` does). Naming sections runs only
those and updates their entries in the results file, keeping the others' last figures.
Each section is a module of this package with ``run(quick) -> dict`` and ``table(dict) -> str``.

Each section runs in a fresh interpreter of its own (``--in-process`` runs them all in this one):
a section then pays what the command it measures pays in a fresh process, not the heap, caches
and collector of the sections before it. Until 2026-12-04 every section ran in one process,
and the reindex section ran about 15% slower at the end of ``make bench`` than on its own.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from bench import report

RESULTS = Path(__file__).parent / "results"
SECTIONS = ("warc_write", "crawl", "extract", "upload", "reindex", "cdx", "serve", "scale")
"""In run order; ``scale`` last, so its one-line verdict ends the printout."""


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help="any of: " + ", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run, not for the record)")
    parser.add_argument(
        "--in-process", action="store_true", help="run every section in this process, not each in a fresh one"
    )
    parser.add_argument("--section-out", type=Path, help=argparse.SUPPRESS)  # a section's own process writes here
    args = parser.parse_args()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    if args.section_out is not None:  # one section, in the fresh process the run started for it
        (name,) = args.sections
        args.section_out.write_text(json.dumps(importlib.import_module(f"bench.{name}").run(quick=args.quick)))
        return
    chosen = args.sections or list(SECTIONS)
    out = RESULTS / ("quick.json" if args.quick else "latest.json")
    results: dict[str, Any] = {}
    if args.sections and out.exists():
        results = json.loads(out.read_text())
    results.update(
        {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(), "quick": args.quick}
    )
    for name in chosen:
        print(f"[bench] {name} ...", flush=True)
        if args.in_process or len(chosen) == 1:
            results[name] = importlib.import_module(f"bench.{name}").run(quick=args.quick)
        else:
            results[name] = _in_a_fresh_process(name, args.quick)
        results.setdefault("section_when", {})[name] = datetime.now(UTC).isoformat(timespec="seconds")
        _write(out, results)  # after every section: a late failure keeps the rest
    tables = [importlib.import_module(f"bench.{name}").table(results[name]) for name in chosen]
    print()
    print("\n\n".join(tables))
    print(f"\nresults written to {out}")
    if not args.quick:
        print(f"{report.write(results)} rewritten from them")


def _in_a_fresh_process(name: str, quick: bool) -> dict[str, Any]:
    """One section's figures, run in an interpreter of its own (read back as JSON, as a results file gives them)."""
    with tempfile.TemporaryDirectory(prefix="edittrail-bench-") as tmp:
        figures = Path(tmp) / f"{name}.json"
        command = [sys.executable, "-m", "bench", name, "--section-out", str(figures), *(["--quick"] if quick else [])]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise SystemExit(f"bench: section {name} failed (exit {done.returncode}); the sections before it are kept")
        return cast(dict[str, Any], json.loads(figures.read_text()))


def _write(out: Path, results: dict[str, Any]) -> None:
    """The results file replaced whole: a run stopped while writing leaves the previous one."""
    out.parent.mkdir(exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(partial, out)


if __name__ == "__main__":
    main()
