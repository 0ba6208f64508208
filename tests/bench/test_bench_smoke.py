"""`python -m bench --quick` runs the benchmarks end to end and records every figure (scale and serve have their own).

No timing thresholds: the numbers depend on the machine; this only proves the benchmarks
still run against the current code and write what docs/benchmarks.md is made from (bench/report.py).
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
    sections = ["warc_write", "crawl", "extract", "upload", "reindex", "cdx"]  # scale has its own smoke test
    subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *sections], cwd=ROOT, env=env, check=True, capture_output=True
    )

    results = json.loads(QUICK.read_text())
    assert results["quick"] is True
    assert set(sections) <= results.keys()

    warc = results["warc_write"]
    assert all(positive(warc[k]) for k in ("pages", "payload_mb", "records", "record_mb", "rounds"))
    assert [row["level"] for row in warc["rows"]] == [1, 6, 9]
    for row in warc["rows"]:
        assert set(row["variants"]) == {"edittrail", "edittrail_zlib", "warcio", "zlib_records", "gzip_bodies"}
        for figures in row["variants"].values():
            assert all(positive(figures[k]) for k in ("cpu_s", "wall_s", "mb_s", "us_per_page", "bytes"))
        for ratios in (row["ratios"], row["wall_ratios"]):
            assert set(ratios) == set(row["variants"]) - {"edittrail"} and all(map(positive, ratios.values()))
    assert set(warc["backend"]) == {"1", "6", "9"} and set(warc["backend"].values()) <= {"zlib", "zlib-ng"}
    targets = warc["targets"]
    assert targets["warcio"]["target"] == 1.0 and targets["zlib_records"]["target"] == 0.6
    assert all(positive(target["ratio"]) and positive(target["wall_ratio"]) for target in targets.values())

    crawl = results["crawl"]
    assert set(crawl["best_pages_s"]) == {"pipeline", "capture_off", "plain_scrapy"}
    assert all(positive(v) for v in crawl["best_pages_s"].values())
    pages = {run["pages"] for name in ("pipeline", "capture_off") for run in crawl["rounds"][name]}
    assert len(pages) == 1 and positive(crawled := pages.pop()), "both spider variants must crawl the same pages"
    # plain Scrapy fetches every URL the pipeline archived (robots.txt and redirect targets included)
    assert all(run["pages"] >= crawled for run in crawl["rounds"]["plain_scrapy"])
    assert math.isfinite(crawl["overhead"]) and all(map(positive, crawl["vs_plain_scrapy"].values()))

    reindex = results["reindex"]
    assert all(positive(reindex[k]) for k in ("warc_mb", "files", "captures", "rounds"))
    assert set(reindex["mb_s"]) == {"cdxj-indexer", "index", "reindex"}
    assert all(map(positive, reindex["mb_s"].values()))
    assert set(reindex["vs_cdxj"]) == {"index", "reindex"}
    assert all(map(positive, reindex["vs_cdxj"].values()))
    assert reindex["detect"]["captures"] == reindex["captures"], "the rebuild detects every capture it indexed"
    noisy = reindex["noisy"]  # the same pages, every fetch's bytes differing: every page extracted
    assert noisy["detect"]["captures"] == noisy["captures"] and noisy["detect"]["changes"] == 0
    assert noisy["detect"]["versions"] == reindex["detect"]["versions"], "a per-fetch comment is not an edit"

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

    from bench import report

    document = report.render(results)
    assert "## Summary: edittrail beside its peers" in document
    assert all(f"## {name}" in document for name in sections)
    assert "older form of this benchmark" not in document, "every section's table renders from this run"
    assert "| WARC write (L6) | plain warcio, same records and level |" in document


@pytest.mark.integration
@pytest.mark.slow
def test_in_process_runs_every_section_in_one_interpreter_and_keeps_the_other_figures():
    """``--in-process`` (every section in this interpreter) writes what the default (each in a
    fresh one) does, section by section, and leaves the entries of sections it did not run."""
    env = {**os.environ, "EDITTRAIL_ROOT": str(ROOT)}
    QUICK.write_text(json.dumps({"crawl": {"kept": True}}))
    subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--in-process", "warc_write", "extract"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    results = json.loads(QUICK.read_text())
    assert results["crawl"] == {"kept": True}
    assert set(results["section_when"]) == {"warc_write", "extract"}
    assert all(positive(row["variants"]["edittrail"]["mb_s"]) for row in results["warc_write"]["rows"])
    assert results["extract"] and not list(ROOT.glob("bench/results/*.partial"))
