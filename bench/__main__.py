"""Run the benchmarks, print one table per section, write bench/results/latest.json.

Usage: python -m bench [SECTION ...] [--quick]

With no SECTION every section runs (what `make bench` does). Naming sections runs only
those and updates their entries in the results file, keeping the others' last figures.
Each section is a module of this package with ``run(quick) -> dict`` and ``table(dict) -> str``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    args = parser.parse_args()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    chosen = args.sections or list(SECTIONS)
    out = RESULTS / ("quick.json" if args.quick else "latest.json")
    results: dict[str, Any] = {}
    if args.sections and out.exists():
        results = json.loads(out.read_text())
    results.update(
        {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(), "quick": args.quick}
    )
    tables = []
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"[bench] {name} ...", flush=True)
        results[name] = module.run(quick=args.quick)
        results.setdefault("section_when", {})[name] = datetime.now(UTC).isoformat(timespec="seconds")
        tables.append(module.table(results[name]))
        RESULTS.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")  # after every section: a late failure keeps the rest
    print()
    print("\n\n".join(tables))
    print(f"\nresults written to {out}")
    if not args.quick:
        print(f"{report.write(results)} rewritten from them")


if __name__ == "__main__":
    main()
