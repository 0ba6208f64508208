"""Run every benchmark, print a table, write bench/results/latest.json.

Usage: python -m bench [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench import cdx, crawl, extract, upload, warc_write

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run, not for the record)")
    args = parser.parse_args()
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
        },
        "quick": args.quick,
        "warc_write": warc_write.run(quick=args.quick),
        "crawl": crawl.run(quick=args.quick),
        "extract": extract.run(quick=args.quick),
        "upload": upload.run(quick=args.quick),
        "cdx": cdx.run(quick=args.quick),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("quick.json" if args.quick else "latest.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(warc_write.table(results["warc_write"]))
    print()
    print(crawl.table(results["crawl"]))
    print()
    print(extract.table(results["extract"]))
    print()
    print(upload.table(results["upload"]))
    print()
    print(cdx.table(results["cdx"]))
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    main()
