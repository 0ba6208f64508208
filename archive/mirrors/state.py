"""The domains' history and the candidate mirrors, in ``<data_dir>/mirrors.sqlite``.

Apart from the index on purpose: a DNS failure or a refused connection leaves nothing in
a WARC, and an operator's "accept this mirror" is a decision, not an observation, so
neither could be rebuilt by ``reindex``. One row per observation of a domain (a probe, or
a crawl that found it dead); a *transition* is a row whose state differs from the row
before it for the same host, and that is what operators are alerted on, once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.errors import ConfigError
from archive.migrations import Step, migrate
from archive.mirrors.probe import ProbeResult

CANDIDATE, ACCEPTED, REJECTED = "candidate", "accepted", "rejected"


@dataclass(frozen=True)
class Transition:
    """A domain moved from one state to another (``before`` is None on its first observation)."""

    outlet: str
    host: str
    before: str | None
    after: str
    at: str
    detail: str
    row_id: int

    @property
    def key(self) -> str:
        """Stable across runs: the alert bookkeeping's key."""
        return f"domain:{self.outlet}:{self.host}:{self.row_id}"


def _shown(state: str, target: str | None) -> str:
    return state + (f" to {target}" if target else "")


def mirrors_db_path(data_dir: Path) -> Path:
    return data_dir / "mirrors.sqlite"


def _step_1(db: sqlite_utils.Database) -> None:
    """The history as the releases before numbered steps made it; creates only what is missing,
    so their files are marked version 1 as they are (an older one gains the summaries)."""
    if "domains" not in db.table_names():
        db.table("domains").create(
            {
                "id": int,
                "outlet": str,
                "host": str,
                "checked_at": str,
                "state": str,
                "detail": str,
                "http_status": int,
                "redirect_to": str,
                "chain": str,
                "addresses": str,
                "tls_expires": str,
                "source": str,
            },
            pk="id",
            not_null={"outlet", "host", "checked_at", "state"},
        )
        db.table("domains").create_index(["outlet", "host", "id"])
    if "domain_states" not in db.table_names():
        _create_summaries(db)
    if "candidates" not in db.table_names():
        db.table("candidates").create(
            {
                "outlet": str,
                "host": str,
                "status": str,
                "found_at": str,
                "found_via": str,
                "decided_at": str,
            },
            pk=("outlet", "host"),
        )


STEPS: tuple[Step, ...] = (_step_1,)
"""mirrors.sqlite's schema steps (archive.migrations): never edit one that has shipped, add the next."""


def _create_summaries(db: sqlite_utils.Database) -> None:
    """Each host's state now and the transitions, kept as observations are recorded, so that
    readers (every probe run's alerts, ``status``, ``mirrors``) read a row per host and a row
    per change, not every observation ever made. Filled once from the history when added."""
    db.table("domain_states").create(
        {
            "outlet": str,
            "host": str,
            "first_id": int,
            "state": str,
            "redirect_to": str,
            "since": str,
            "checked_at": str,
            "detail": str,
            "tls_expires": str,
            "last_success": str,
            "last_error": str,
        },
        pk=("outlet", "host"),
    )
    db.table("domain_transitions").create(
        {"id": int, "outlet": str, "host": str, "before": str, "after": str, "at": str, "detail": str},
        pk="id",
    )
    db.table("domain_transitions").create_index(["outlet", "id"])
    for row in db.query("SELECT * FROM domains ORDER BY id"):
        _summarise(db, row)


def _summarise(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """Fold one new observation into its host's state, and record a transition when it is one."""
    outlet, host = row["outlet"], row["host"]
    now = db.execute(
        "SELECT state, redirect_to, since, first_id, last_success, last_error FROM domain_states "
        "WHERE outlet = ? AND host = ?",
        [outlet, host],
    ).fetchone()
    state, target = row["state"], row["redirect_to"]
    if now is None or (now[0], now[1]) != (state, target):
        db.execute(
            "INSERT INTO domain_transitions (id, outlet, host, before, after, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                row["id"],
                outlet,
                host,
                _shown(now[0], now[1]) if now else None,
                _shown(state, target),
                row["checked_at"],
                row["detail"] or "",
            ],
        )
    serving = state == "serving"
    db.execute(
        "INSERT OR REPLACE INTO domain_states (outlet, host, first_id, state, redirect_to, since, checked_at, "
        "detail, tls_expires, last_success, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outlet,
            host,
            now[3] if now else row["id"],
            state,
            target,
            now[2] if now and now[0] == state else row["checked_at"],
            row["checked_at"],
            row["detail"],
            row["tls_expires"],
            row["checked_at"] if serving else (now[4] if now else None),
            (now[5] if now else None) if serving else f"{row['checked_at']} {row['detail']}",
        ],
    )


class MirrorState:
    """Reads and writes the domains history and the candidates.

    Written by the mirrors DAG's probe, by each crawl (the domains it found dead or alive)
    and by operators' decisions; each write is one short transaction, under SQLite's WAL.
    Opening it brings the file to the newest schema step (archive.migrations).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(path, timeout=30))
        self.db.enable_wal()
        migrate(self.db, path, STEPS)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MirrorState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- observations ---------------------------------------------------------------

    def record_probe(self, result: ProbeResult, source: str = "probe") -> int:
        with self.db.conn:
            table = self.db.table("domains")
            row = {
                "outlet": result.outlet,
                "host": result.host,
                "checked_at": result.checked_at,
                "state": result.state,
                "detail": result.detail,
                "http_status": result.http_status,
                "redirect_to": result.redirect_to,
                "chain": json.dumps(list(result.chain)),
                "addresses": json.dumps(list(result.addresses)),
                "tls_expires": result.tls_expires,
                "source": source,
            }
            table.insert(row)
            row_id = int(table.last_pk or 0)
            _summarise(self.db, row | {"id": row_id})
            return row_id

    def transitions(self, outlet: str) -> list[Transition]:
        """Every change of state (or of redirect target) of every host of the outlet, oldest first."""
        rows = self.db.query("SELECT * FROM domain_transitions WHERE outlet = ? ORDER BY id", [outlet])
        return [Transition(outlet, r["host"], r["before"], r["after"], r["at"], r["detail"], r["id"]) for r in rows]

    def current(self, outlet: str) -> list[dict[str, Any]]:
        """Per host: state, since when, last success, last error (for ``edittrail mirrors``); the
        hosts first probed first: the config's failover order."""
        rows = self.db.query(
            "SELECT host, state, since, checked_at, detail, redirect_to, tls_expires, last_success, last_error "
            "FROM domain_states WHERE outlet = ? ORDER BY first_id",
            [outlet],
        )
        return [dict(row) for row in rows]

    def healthy_hosts(self, outlet: str) -> set[str]:
        return {row["host"] for row in self.current(outlet) if row["state"] == "serving"}

    # -- candidates -----------------------------------------------------------------

    def add_candidate(self, outlet: str, host: str, found_at: str, found_via: str) -> bool:
        """Record a newly found host; True when it was not known before."""
        if self.db.execute("SELECT 1 FROM candidates WHERE outlet = ? AND host = ?", [outlet, host]).fetchone():
            return False
        with self.db.conn:
            self.db.table("candidates").insert(
                {"outlet": outlet, "host": host, "status": CANDIDATE, "found_at": found_at, "found_via": found_via}
            )
        return True

    def candidates(self, outlet: str, status: str | None = None) -> Iterator[dict[str, Any]]:
        if status is None:
            yield from self.db.query("SELECT * FROM candidates WHERE outlet = ? ORDER BY found_at", [outlet])
        else:
            yield from self.db.query(
                "SELECT * FROM candidates WHERE outlet = ? AND status = ? ORDER BY found_at", [outlet, status]
            )

    def accepted(self, outlet: str) -> tuple[str, ...]:
        return tuple(row["host"] for row in self.candidates(outlet, ACCEPTED))

    def decide(self, outlet: str, host: str, status: str, at: str) -> None:
        """An operator accepts or rejects a candidate; accepting an unknown host is an error."""
        if not self.db.execute("SELECT 1 FROM candidates WHERE outlet = ? AND host = ?", [outlet, host]).fetchone():
            known = ", ".join(row["host"] for row in self.candidates(outlet)) or "none"
            raise ConfigError(
                f"{host} is not a candidate mirror of {outlet} (candidates: {known}); "
                "add it to outlets.toml mirrors instead, or wait for the mirrors DAG to find it"
            )
        with self.db.conn:
            self.db.table("candidates").update((outlet, host), {"status": status, "decided_at": at})


# -- read-only readers (the domains page opens the file read-only, archive.mirrors.history) --


def has_summaries(conn: sqlite3.Connection) -> bool:
    """Whether the file has the summary tables (``domain_states``, ``domain_transitions``) to read."""
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {"domain_states", "domain_transitions"} <= names


def last_checked(conn: sqlite3.Connection, outlet: str) -> list[tuple[str, str]]:
    """(host, time of its latest observation) per host of the outlet, the hosts first probed first."""
    rows = conn.execute("SELECT host, checked_at FROM domain_states WHERE outlet = ? ORDER BY first_id", [outlet])
    return [(host, checked_at) for host, checked_at in rows]


def newest_transitions(conn: sqlite3.Connection, outlet: str, limit: int) -> list[Transition]:
    """The outlet's ``limit`` newest transitions, newest first."""
    rows = conn.execute(
        "SELECT host, before, after, at, detail, id FROM domain_transitions WHERE outlet = ? ORDER BY id DESC LIMIT ?",
        [outlet, limit],
    )
    return [
        Transition(outlet, host, before, after, at, detail, row_id) for host, before, after, at, detail, row_id in rows
    ]
