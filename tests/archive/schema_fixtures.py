"""The SQLite files earlier releases made, rebuilt from their SQL in tests/fixtures/schemas/."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"


def made_by_release(fixture: str, path: Path) -> Path:
    """``path``, made as the release the fixture was dumped from left it: schema, rows, user_version."""
    conn = sqlite3.connect(path)
    conn.executescript((SCHEMAS / fixture).read_text())
    conn.close()
    return path


def schema_of(path: Path) -> set[tuple[str, str, str]]:
    """Every table, index and trigger: (type, name, its CREATE statement)."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    conn.close()
    return {(kind, name, " ".join(sql.split())) for kind, name, sql in rows}


def rows_of(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every ordinary table (not FTS's own), in a stable order."""
    conn = sqlite3.connect(path)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
            "AND name NOT LIKE 'versions_fts_%' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    rows = {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}  # noqa: S608 (names from sqlite_master)
    conn.close()
    return rows


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    conn.close()
    return version
