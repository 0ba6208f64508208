"""Scoring one eval run: detected changes and received alerts against the script's ground truth.

Changes are matched to expectations by (article, kind): up to the expected count they are
true, beyond it (or for a pair nobody scripted) false. Each false or missing change is kept
with its article, kind, host and summary, because the report is what drives work on
detection, not only the numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from archive.index import StoredChange
from bench.eval_script import Check, Expected

TITLE = re.compile(r"^\[(?P<outlet>[^\]]+)\] (?P<kind>[a-z_]+) \((?P<flag>declared|silent)\)")
ARTICLE = re.compile(r"^Article (?P<id>\S+):", re.M)

Key = tuple[str, str]


def alert_key(payload: dict[str, Any]) -> Key | None:
    """(article, kind) of an Apprise json:// payload, from the title and the "Article <id>:" line."""
    title = TITLE.match(str(payload.get("title") or ""))
    article = ARTICLE.search(str(payload.get("message") or payload.get("body") or ""))
    if title is None or article is None:
        return None
    return article.group("id"), title.group("kind")


def _row(change: StoredChange) -> dict[str, Any]:
    return {
        "article": change.article_id,
        "kind": change.kind,
        "declared": change.declared,
        "host": change.host,
        "summary": change.summary,
        "to_time": change.to_time,
    }


def score(
    expected: Sequence[Expected],
    checks: Sequence[Check],
    changes: Sequence[StoredChange],
    captures: int,
    alerts: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Every figure of one profile's run, the problems listed one by one, and ``passed``."""
    changes = sorted(changes, key=lambda c: (c.to_time or "", c.id))
    want: Counter[Key] = Counter()
    notes: dict[Key, str] = {}
    flags: dict[Key, bool] = {}
    hosts: dict[Key, set[str]] = {}
    for e in expected:
        key = (e.article, e.kind)
        want[key] += e.count
        notes[key] = "; ".join(filter(None, (notes.get(key), e.note)))
        flags[key] = e.declared
        if e.host:
            hosts.setdefault(key, set()).add(e.host)
    got: dict[Key, list[StoredChange]] = {}
    for change in changes:
        got.setdefault((change.article_id, change.kind), []).append(change)

    false_rows, missing, wrong_flag, wrong_host = [], [], [], []
    for key in sorted(set(want) | set(got)):
        rows = got.get(key, [])
        expect = want.get(key, 0)
        if len(rows) > expect:
            extra = [_row(r) | {"expected": expect, "detected": len(rows)} for r in rows[expect:]]
            false_rows.extend(extra)
        if len(rows) < expect:
            missing.append(
                {"article": key[0], "kind": key[1], "expected": expect, "detected": len(rows), "note": notes[key]}
            )
        for row in rows[:expect]:
            if row.declared != flags[key]:
                wrong_flag.append(_row(row) | {"expected_declared": flags[key]})
        if key in hosts and {r.host for r in rows} != hosts[key]:
            wrong_host.append(
                {
                    "article": key[0],
                    "kind": key[1],
                    "expected": sorted(hosts[key]),
                    "detected": sorted(r.host for r in rows),
                }
            )

    by_article: dict[str, list[StoredChange]] = {}
    for change in changes:
        by_article.setdefault(change.article_id, []).append(change)
    failed_checks = [
        {"article": c.article, "check": c.note} for c in checks if not c.holds(by_article.get(c.article, []))
    ]

    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({k for _, k in want} | {k for _, k in got}):
        expect = sum(n for (_, k), n in want.items() if k == kind)
        detected = sum(len(rows) for (_, k), rows in got.items() if k == kind)
        true = sum(min(n, len(got.get((a, k), []))) for (a, k), n in want.items() if k == kind)
        kinds[kind] = {
            "expected": expect,
            "detected": detected,
            "true": true,
            "recall": true / expect if expect else None,
            "precision": true / detected if detected else None,
        }

    channels = {name: _alerts(payloads, want) for name, payloads in alerts.items()}
    total = sum(want.values())
    result = {
        "captures": captures,
        "expected": total,
        "detected": len(changes),
        "true": sum(k["true"] for k in kinds.values()),
        "false": len(false_rows),
        "missing": sum(m["expected"] - m["detected"] for m in missing),
        "false_per_1000_captures": 1000 * len(false_rows) / captures if captures else None,
        "changes_per_edit": len(changes) / total if total else None,
        "alerts_per_edit": {name: len(c["received"]) / total if total else None for name, c in channels.items()},
        "kinds": kinds,
        "channels": {name: {k: v for k, v in c.items() if k != "received"} for name, c in channels.items()},
        "problems": {
            "false": false_rows,
            "missing": missing,
            "wrong_declared": wrong_flag,
            "wrong_host": wrong_host,
            "failed_checks": failed_checks,
        },
    }
    alerts_exact = all(not c["missing"] and not c["extra"] and not c["unreadable"] for c in channels.values())
    result["passed"] = bool(
        not false_rows and not missing and not wrong_flag and not wrong_host and not failed_checks and alerts_exact
    )
    return result


def _alerts(payloads: list[dict[str, Any]], want: Counter[Key]) -> dict[str, Any]:
    """One channel: which expected changes it was told of too few or too many times."""
    keys = [alert_key(p) for p in payloads]
    seen = Counter(k for k in keys if k is not None)
    missing = [
        {"article": a, "kind": k, "expected": n, "received": seen[(a, k)]}
        for (a, k), n in want.items()
        if seen[(a, k)] < n
    ]
    extra = [
        {"article": a, "kind": k, "expected": want.get((a, k), 0), "received": n}
        for (a, k), n in seen.items()
        if n > want.get((a, k), 0)
    ]
    return {
        "received": payloads,
        "messages": len(payloads),
        "missing": missing,
        "extra": extra,
        "unreadable": [str(p)[:200] for p, k in zip(payloads, keys, strict=True) if k is None],
    }
