"""No SQL outside the modules that own the databases (issue 14: the index owns its schema).

Only the modules that own a database know its tables and columns: archive/index/ (the index),
archive/mirrors/state.py (mirrors.sqlite), the alerts database module (alerts.sqlite) and
archive/migrations.py (what every database's migrations run on). Everything else calls their
named functions. The test parses every module of archive/, spiders/ and dags/ with ``ast`` (nothing is imported)
and flags, with file and line:

- a string that is a SQL statement: it starts with SELECT, INSERT, UPDATE, DELETE, CREATE, WITH
  or PRAGMA (any case) followed by what that statement needs (``SELECT … FROM``, ``INSERT INTO``,
  ``UPDATE t SET``, ...); an f-string is judged on its text with each ``{…}`` left empty.
  Bare string statements (docstrings) are prose and are not judged;
- database access: a call of ``.query``, ``.execute``, ``.executemany``, ``.executescript``,
  ``.table`` or ``.rows_where`` (the sqlite-utils and sqlite3 calls that run SQL or name a
  table), and a subscript ``db[...]`` / ``x.db[...]`` of a name with ``db`` as a word of it
  (sqlite-utils' ``db["table"]``; ``feedback[...]`` is not one);
- the index's database itself, ``Index._db``: the other stages hand the ``Index`` to the
  functions of archive/index/, never its database.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("archive", "spiders", "dags")
"""The project's code (tests and benchmarks set up and inspect databases directly)."""

OWNERS = (
    "archive/index/",
    "archive/migrations.py",
    "archive/mirrors/state.py",
    "archive/alerts/store.py",
)
"""Paths relative to the repository (a trailing ``/``: everything below that folder)."""

SQL_STATEMENT = re.compile(
    r"""\A\s*(?:
        SELECT\s+(?:DISTINCT\s+)?\S.*?\bFROM\b
      | SELECT\s+(?:\d+|\*|[\w.]+\s*\(.*\)|'[^']*')\s*(?:;|\Z|\bAS\b|,)
      | INSERT\s+(?:OR\s+\w+\s+)?INTO\b
      | REPLACE\s+INTO\b
      | UPDATE\s+(?:OR\s+\w+\s+)?[\w."]+\s+SET\b
      | DELETE\s+FROM\b
      | CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+|TEMP(?:ORARY)?\s+)*(?:TABLE|INDEX|VIEW|TRIGGER)\b
      | WITH\s+(?:RECURSIVE\s+)?\w+\s*(?:\([^)]*\)\s*)?AS\s*(?:NOT\s+)?(?:MATERIALIZED\s+)?\(
      | PRAGMA\s+[\w.]+\s*(?:=|\(|;|\Z)
    )""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
"""A SQL statement at the start of a string, with the words that make it one (so that prose
such as "With a bound, select the newest" is not taken for SQL)."""

DB_CALLS = frozenset({"query", "execute", "executemany", "executescript", "table", "rows_where"})


def owned(relative: str) -> bool:
    """Whether the module at ``relative`` (``archive/...``, with ``/``) may hold SQL."""
    return any(relative.startswith(o) if o.endswith("/") else relative == o for o in OWNERS)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that stand alone as statements: docstrings, prose."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr)
    }


def _text(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "" for v in node.values)


DB_NAME = re.compile(r"(?:\A|_)db(?:\Z|_|\d)", re.IGNORECASE)
"""A name with ``db`` as a word of it (``db``, ``self.db``, ``alerts_db``), not inside a word (``feedback``)."""


def _named_db(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return bool(DB_NAME.search(name))


def offences(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) of every SQL string and database access in a module's source."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if id(node) in prose or id(node) in inside_fstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.match(node.value):
            yield node.lineno, f"SQL {node.value.split()[0].upper()} statement"
        elif isinstance(node, ast.JoinedStr) and SQL_STATEMENT.match(_text(node)):
            yield node.lineno, f"SQL {_text(node).split()[0].upper()} statement (f-string)"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            yield node.lineno, f".{node.func.attr}() call"
        elif isinstance(node, ast.Subscript) and _named_db(node.value):
            yield node.lineno, "db[...] table access"
        elif isinstance(node, ast.Attribute) and node.attr == "_db":
            yield node.lineno, "the index's own database (Index._db): pass the Index to a function of archive/index/"


def offenders() -> list[str]:
    """``path:line: what`` of every offence outside the owning modules, in path and line order."""
    found = []
    for path in sorted(p for root in SCANNED for p in (ROOT / root).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if owned(relative):
            continue
        found += [f"{relative}:{line}: {what}" for line, what in sorted(offences(path.read_text(encoding="utf-8")))]
    return found


def test_no_sql_outside_the_modules_that_own_the_databases():
    found = offenders()
    assert not found, (
        f"{len(found)} SQL statement(s) or database call(s) outside the modules that own the databases "
        f"({', '.join(OWNERS)}); move each into a named function there:\n" + "\n".join(found)
    )


def test_each_owner_named_exists():
    missing = [o for o in OWNERS if not (ROOT / o).exists()]
    assert not missing, f"the allow-list names modules that do not exist: {missing}"


def test_the_check_flags_sql_strings_and_database_calls_with_their_lines():
    source = '''
"""Select the newest changes from the index, with a bound."""
NAME = "changes"
A = "  select * from changes where outlet = ?"
B = f"DELETE FROM {NAME} WHERE outlet = ?"
C = "INSERT OR IGNORE INTO t (a) VALUES (?)"
D = "with recent AS (SELECT 1) SELECT * FROM recent"
E = "PRAGMA user_version"
def f(db, idx):
    """Update the table and set nothing: prose."""
    db.execute(A)
    idx.db["changes"].count
    return db.table("changes"), idx.db.query(B), db.conn.executemany(C, []), vx.latest(idx._db)
'''
    lines = [line for line, _ in offences(source)]
    assert sorted(lines) == [4, 5, 6, 7, 8, 11, 12, 13, 13, 13, 13]


def test_prose_and_ordinary_strings_are_not_sql():
    for text in (
        "Select which outlets to crawl",
        "with a bound on the work",
        "update the mirrors from the config",
        "Created the table from the WARCs",
        "pragma: no cover",
        "delete it from the store",
    ):
        assert list(offences(f"X = {text!r}\n")) == [], text
    assert list(offences("feedback = {}\nfeedback['x']\n")) == []


def test_the_allow_list_takes_folders_and_single_modules():
    assert owned("archive/index/changes.py")
    assert owned("archive/migrations.py")
    assert not owned("archive/index.py")
    assert not owned("archive/read/change_rows.py")
    assert not owned("archive/alerts/feed.py")
