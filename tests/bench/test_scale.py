"""`bench scale` in its quick form: the archive builds, a real batch is indexed and detected on it,
and every figure is recorded.

No timing thresholds (the numbers depend on the machine); this proves the benchmark measures
what it says: the timed detect settled exactly the batch's article captures and made versions
and changes of them, on an archive whose own captures were all detected already.
"""

from __future__ import annotations

import math
import re

import pytest

from bench import scale


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


@pytest.mark.integration
@pytest.mark.slow
def test_quick_scale_times_index_and_detect_of_one_batch_per_archive_size(tmp_path):
    result = scale.run(quick=True, cache=tmp_path, sizes=dict.fromkeys(scale.QUICK_SIZES, 1))

    assert [row["label"] for row in result["sizes"]] == ["2k", "10k"]
    for row in result["sizes"]:
        batch = row["batch"]
        assert batch["revisits"] > 0 and batch["new_articles"] > 0 and batch["recaptured_articles"] > 0
        assert row["previous_crawl"]["detect"]["versions"] == 0, "the history's versions are what the pages show"
        assert row["archive"]["rows"]["detected"] > 0 and row["archive"]["rows"]["changes"] > 0
        for measured in row["rounds"]:
            assert measured["captures"] == batch["exchanges"]
            assert measured["detected"] == measured["detect"]["captures"] == batch["article_captures"]
            assert measured["detect"]["versions"] > 0 and measured["detect"]["changes"] > 0
            assert all(positive(measured[k]) for k in ("index_s", "detect_s", "index_ms", "detect_ms", "both_ms"))
        assert all(positive(v) for v in row["median"].values())
        for cell in row["lookups"].values():
            assert cell["failed"] == 0 and positive(cell["p50_ms"]) and cell["p99_ms"] >= cell["p50_ms"]
        for name, cell in row["pages"].items():
            assert cell["failed"] == 0, (name, cell.get("error"))  # every change kind renders (a retraction too)
            assert cell["n"] > 0 and positive(cell["p50_ms"]) and positive(cell["mean_size"]), name
        assert row["pages"]["article"]["n"] > 0 and row["pages"]["search"]["n"] > 0

    ratio = result["ratio"]
    assert ratio["of"] == ["10k", "2k"] and all(positive(ratio[k]) for k in ("detect", "index", "both"))
    last = scale.table(result).splitlines()[-1]
    assert re.fullmatch(r"scale: detect per capture at 10k / at 2k = \d+\.\d\d \(target <= 1\.2\)", last)
