"""Collect the statements the index runs and judge their query plans (issue 12).

Every connection ``archive.index.db.connect`` opens while collecting gets a trace callback
(Python 3.11 hands it the statement with its parameters bound), and each distinct statement
is then explained (``EXPLAIN QUERY PLAN``) on a snapshot of the index. A plan step that
walks a table growing with the archive is a finding:

- ``SCAN t`` (with or without a covering index): every row of ``t``;
- ``SEARCH t USING ... (outlet=?)``: every row of the outlet, which is the archive (also with
  a range that is no bound, such as ``article_id>?`` from ``article_id IS NOT NULL``).

A statement with ``LIMIT`` whose plan needs no temporary B-tree reads only its first rows, so
its outlet-wide search is bounded by the limit; statements marked as walking the whole
outlet on purpose (``WHOLE_OUTLET``: copying a rebuilt outlet in, forgetting one) are the
reindex's job and are allowed there only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.index import db as index_db

GROWING = (
    "captures",
    "articles",
    "versions",
    "changes",
    "detected",
    "host_state",
    "article_state",
    "warc_objects",
)
"""Tables whose rows grow with the archive. Not: ``detect_queue`` (drained by every detect run),
learned noise patterns and quarantine entries (they follow the outlet's template and damage)."""
_STEP = re.compile(r"^(SCAN|SEARCH) (?:(\w+)\.)?(\w+)(?: AS \w+)?(.*)$")
_EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", re.IGNORECASE)
_NAMED = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(?:\w+\.)?\"?(\w+)\"?(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_KEYWORDS = {
    "where",
    "join",
    "left",
    "inner",
    "cross",
    "on",
    "order",
    "group",
    "limit",
    "using",
    "set",
    "union",
    "values",
}


@dataclass
class Collected:
    statements: list[str] = field(default_factory=list)

    def distinct(self) -> list[str]:
        return list(dict.fromkeys(s for s in self.statements if _EXPLAINABLE.match(s)))

    def executions(self, statement: str) -> int:
        """How often ``statement`` ran. The trace repeats a statement for each trigger it fires,
        between the trigger's own lines (``-- ...``), so a run of repeats counts once."""
        outer = [s for s in self.statements if not s.startswith("--")]
        return sum(1 for i, s in enumerate(outer) if s == statement and (i == 0 or outer[i - 1] != s))


@contextmanager
def collecting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collected]:
    """Trace every statement run on index connections opened in this process meanwhile."""
    collected = Collected()
    opened = index_db.connect

    def traced(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
        conn = opened(path, readonly=readonly)
        conn.set_trace_callback(collected.statements.append)
        return conn

    with monkeypatch.context() as patch:
        patch.setattr(index_db, "connect", traced)
        yield collected


def plan(conn: sqlite3.Connection, statement: str) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]


def aliases(statement: str) -> dict[str, str]:
    """Alias -> table as the statement names them (plans name a table by its alias)."""
    found = {}
    for table, alias in _NAMED.findall(statement):
        found[table] = table
        if alias and alias.lower() not in _KEYWORDS:
            found[alias] = table
    return found


def walks(statement: str, steps: list[str]) -> list[str]:
    """The plan steps of ``statement`` that read a growing table whole, or all of one outlet."""
    limited = re.search(r"\bLIMIT\b", statement, re.IGNORECASE) and not any("TEMP B-TREE" in s for s in steps)
    named = aliases(statement)
    found = []
    for step in steps:
        match = _STEP.match(step.strip())
        if not match or named.get(match.group(3), match.group(3)) not in GROWING:
            continue
        kind, detail = match.group(1), match.group(4)
        if kind == "SCAN" or (not limited and not _narrowed(statement, detail)):
            found.append(step.strip())
    return found


def _narrowed(statement: str, detail: str) -> bool:
    """Whether a SEARCH's constraint narrows it below "every row of the outlet": an equality on
    another column, or a range that is a real bound (``col IS NOT NULL`` shows as ``col>?``)."""
    constraint = re.search(r"\(([^()]*)\)", detail)
    for term in constraint.group(1).split(" AND ") if constraint else ():
        column, operator = re.match(r"(\w+)\s*([<>=]+)", term.strip()).groups()  # type: ignore[union-attr]
        if column == "outlet" or (column == "rowid" and operator != "="):
            continue
        if operator == "=" or not re.search(rf"\b{column}\s+IS\s+NOT\s+NULL", statement, re.IGNORECASE):
            return True
    return False


def findings(index_path: Path, statements: list[str]) -> dict[str, list[str]]:
    """Each statement that walks a growing table, with the steps that do."""
    conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        found = {}
        for statement in statements:
            try:
                steps = plan(conn, statement)
            except sqlite3.Error:  # a statement on a table only an attached rebuild has
                continue
            bad = walks(statement, steps)
            if bad:
                found[statement] = bad
        return found
    finally:
        conn.close()
