"""bench/serve.py's parts that need no server: the request paths, the line comparison, the summary and
its table of targets (the servers themselves are run by `python -m bench serve`)."""

from __future__ import annotations

import json
from typing import Any

from bench.serve import SERVERS, _lines, _summary, request_paths, table


def test_each_url_gives_an_exact_query_a_timemap_and_for_an_article_its_days_prefix():
    paths = request_paths(["http://www.presstv.ir:8765/Detail/2026/11/20/777400/x-y", "http://presstv.tv:8765/"])
    assert paths["exact"] == [
        "/demo/cdx?url=http%3A%2F%2Fwww.presstv.ir%3A8765%2FDetail%2F2026%2F11%2F20%2F777400%2Fx-y",
        "/demo/cdx?url=http%3A%2F%2Fpresstv.tv%3A8765%2F",
    ]
    assert paths["prefix"] == [
        "/demo/cdx?url=http%3A%2F%2Fwww.presstv.ir%3A8765%2FDetail%2F2026%2F11%2F20%2F&matchType=prefix&limit=100"
    ]
    assert paths["timemap"][1] == "/demo/timemap/link/http://presstv.tv:8765/"


def test_pywbs_source_fields_are_ignored_when_lines_are_compared():
    fields = {"url": "http://presstv.tv/", "mime": "text/html", "status": "200"}
    ours = f"tv,presstv)/ 20261120000000 {json.dumps(fields)}\n"
    theirs = f"tv,presstv)/ 20261120000000 {json.dumps(fields | {'source': 'index.cdxj', 'source-coll': 'demo'})}\n"
    assert _lines(ours, pywb=False) == _lines(theirs, pywb=True)
    assert _lines(ours, pywb=False) != _lines(theirs.replace("200", "404"), pywb=True)


def row(server: str, kind: str, concurrency: int, mode: str, rps: float, p99: float) -> dict[str, Any]:
    return {
        "server": server,
        "kind": kind,
        "concurrency": concurrency,
        "mode": mode,
        "rps": rps,
        "p50_ms": p99 / 3,
        "p99_ms": p99,
        "server_cpu_ms_per_request": 1.0,
        "client_cpu_ms_per_request": 0.1,
        "mean_bytes": 100,
        "non200": 0,
        "errors": 0,
    }


def test_the_table_states_every_target_and_whether_it_is_met():
    rows = [
        row(server, kind, c, mode, rps, p99)
        for kind in ("exact", "prefix", "timemap")
        for c in (1, 16)
        for mode in ("keep-alive", "close")
        for server, rps, p99 in (
            (SERVERS[0], 900, 60 if kind == "timemap" else 30),
            (SERVERS[1], 1800, 20),
            ("pywb", 300, 90),
        )
    ]
    result = {
        "dataset": {"captures": 1000, "lookups": 10},
        "rounds": 1,
        "seconds_per_cell": 6,
        "load_average": {"before": [1.0, 1, 1], "after": [2.0, 2, 2]},
        "pywb": "installed",
        "same_lines": None,
        "vmhwm_mb": {},
        "cells": _summary(rows),
    }
    text = table(result)
    assert "c=16 keep-alive exact    edittrail     p99 30 ms (target <= 50): met" in text
    assert "c=16 close      timemap  edittrail     p99 60 ms (target <= 50): NOT MET" in text
    assert "c=1  close      prefix   rps edittrail/pywb 3.00x (target >= 1.0): met" in text
    assert "rps edittrail-w2/pywb 6.00x" in text
