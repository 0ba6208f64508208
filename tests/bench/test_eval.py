"""`python -m bench.eval --quick` meets the edit-detection targets (issue 10) on profiles
`none` and `all`: every scripted edit found with its kind, no false change, one change and
one alert per edit per channel. Not timed: `make eval` is the full benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.eval_report import render_problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.slow
def test_quick_eval_meets_the_targets_on_no_noise_and_all_noise(tmp_path):
    out = tmp_path / "eval_quick.json"
    env = {**os.environ, "EDITTRAIL_ROOT": str(ROOT)}
    command = [sys.executable, "-m", "bench.eval", "--quick", "--no-docs", "--out", str(out)]
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    results = json.loads(out.read_text())
    assert results["quick"] is True and set(results["profiles"]) == {"none", "all"}
    for name, run in results["profiles"].items():
        report = render_problems(name, run, limit=15)
        assert run["expected"] > 0 and run["captures"] > 0, name
        assert {k: v["recall"] for k, v in run["kinds"].items() if v["expected"]} == {
            k: 1.0 for k, v in run["kinds"].items() if v["expected"]
        }, f"{name}: a scripted edit was missed\n{report}"
        assert run["false"] == 0, f"{name}: {run['false']} false changes\n{report}"
        assert run["changes_per_edit"] == 1.0, f"{name}\n{report}"
        assert all(v == 1.0 for v in run["alerts_per_edit"].values()), f"{name}\n{report}"
        assert run["passed"], f"{name}\n{report}"
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
