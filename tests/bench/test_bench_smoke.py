"""`python -m bench --quick` runs every benchmark end to end and records every figure.

No timing thresholds: the numbers depend on the machine; this only proves the benchmarks
still run against the current code and write what docs/benchmarks.md describes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "bench" / "results" / "quick.json"


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


@pytest.mark.integration
@pytest.mark.slow
def test_quick_bench_writes_every_section_with_positive_figures():
    QUICK.unlink(missing_ok=True)
    env = {**os.environ, "EDITTRAIL_ROOT": str(ROOT)}
    subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, env=env, check=True, capture_output=True)

    results = json.loads(QUICK.read_text())
    assert results["quick"] is True
    assert {"warc_write", "crawl", "extract", "upload", "cdx"} <= results.keys()

    rows = results["warc_write"]["rows"]
    assert [row["level"] for row in rows] == [1, 6, 9]
    for row in rows:
        figures = ("pages", "payload_mb", "warc_mb_s", "gzip_mb_s", "warc_bytes", "gzip_bytes")
        assert all(positive(row[k]) for k in figures)

    crawl = results["crawl"]
    assert set(crawl["best_pages_s"]) == {"pipeline", "capture_off"}
    assert all(positive(v) for v in crawl["best_pages_s"].values())
    pages = {run["pages"] for runs in crawl["rounds"].values() for run in runs}
    assert len(pages) == 1 and positive(pages.pop()), "both variants must crawl the same pages"
    assert math.isfinite(crawl["overhead"])

    extract = results["extract"]
    assert positive(extract["pages"]) and positive(extract["mean_page_bytes"])
    assert set(extract["extractors"]) == {"presstv", "generic"}
    for row in extract["extractors"].values():
        assert all(positive(row[k]) for k in ("p50_ms", "p95_ms", "pages_s"))

    upload = results["upload"]
    assert set(upload["best_mb_s"]) == {"boto3 upload_file", "S3Store.put sha256", "S3Store.put none"}
    for per_size in upload["best_mb_s"].values():
        assert per_size and all(positive(v) for v in per_size.values())
    ranges = upload["range_read"]
    assert all(positive(ranges[k]) for k in ("records", "lookups", "object_mb", "p50_ms", "p95_ms"))
    assert all(positive(ranges[k]) for k in ("get_p50_ms", "parse_p50_ms"))

    index = results["cdx"]
    assert index["captures"] == 50_000 and index["hosts"] == 4
    assert all(positive(index[k]) for k in ("distinct_urls", "articles", "generate_s", "db_mb", "lookups"))
    for lookup in ("cdx", "timemap"):
        assert set(index[lookup]) == {"query", "http"}
        for row in index[lookup].values():
            assert all(positive(row[k]) for k in ("p50_ms", "p99_ms", "mean_lines"))
            assert row["p50_ms"] <= row["p99_ms"]
    assert all(positive(index[floor][k]) for floor in ("http_floor", "open_index") for k in ("p50_ms", "p99_ms"))
    assert all("USING INDEX" in plan[0] for plan in index["plans"].values()), index["plans"]
    assert set(index["plans"]) == {"cdx", "cdx_prefix", "timemap"}
