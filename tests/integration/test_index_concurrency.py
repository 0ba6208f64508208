"""Readers and the one writer on the SQLite index at the same time: nobody sees "database is locked".

Reader processes loop over what the CLI and the web service do (open read-only, list
captures and articles, look up a URL, summarise), one of them also opening the index as a
writer first, as the plan step does to migrate it, while the writer adds WARCs in many small
transactions. Every reader must finish every query and see only whole transactions (a WARC's captures
with its ``warc_objects`` row, never one without the other), and the file must pass
``PRAGMA integrity_check`` afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.config import load_config
from archive.index import Index
from archive.warc import WarcRecordInfo
from tests.support import write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WARCS = 150
CAPTURES_PER_WARC = 40
READERS = ("reader", "reader", "planner")
READER = """
import json, sys, time
from pathlib import Path
from archive.index import Index

path, stop, role, per_warc = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ready = Path(sys.argv[5])
deadline = time.monotonic() + 120
rounds, counts, errors = 0, set(), []
while not stop.exists() and time.monotonic() < deadline:
    try:
        if role == "planner":
            Index(path).close()  # what the plan step does before reading: migrate if needed
        with Index(path, readonly=True) as idx:
            idx._db.conn.execute("BEGIN")  # one snapshot for both counts
            captures = idx._db.execute("SELECT count(*) FROM captures").fetchone()[0]
            warcs = idx._db.execute("SELECT count(*) FROM warc_objects").fetchone()[0]
            idx._db.conn.execute("COMMIT")
            if captures != warcs * per_warc:
                errors.append(f"half a transaction: {captures} captures of {warcs} WARCs")
            counts.add(sum(1 for _ in idx.captures("demo")))
            list(idx.articles("demo"))
            idx.last_capture("http://www.presstv.ir/Detail/2024/01/01/3/x")
            idx.summary("demo")
        rounds += 1
        ready.touch()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"rounds": rounds, "counts": sorted(counts), "errors": errors[:5]}))
"""


def records(warc: int) -> list[WarcRecordInfo]:
    """One WARC's worth of response records over ten articles."""
    fetched = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=warc)
    return [
        WarcRecordInfo(
            record_type="response",
            record_id=f"<urn:uuid:{warc:08d}-0000-0000-0000-{n:012d}>",
            target_uri=f"http://www.presstv.ir/Detail/2024/01/01/{n % 10}/x",
            date=fetched,
            offset=1000 * n,
            length=900,
            status=200,
            mime="text/html",
            payload_digest=f"sha1:{warc:016d}{n:016d}",
            ip_address="127.0.0.1",
            concurrent_to=None,
            refers_to=None,
        )
        for n in range(CAPTURES_PER_WARC)
    ]


def wait_for(files: list[Path], seconds: float = 60) -> None:
    """Wait on the readers themselves, not on a guess of how long Python takes to start on CI."""
    deadline = time.monotonic() + seconds
    while not all(f.exists() for f in files):
        if time.monotonic() > deadline:
            pytest.fail(f"readers not started after {seconds}s: {[f.name for f in files if not f.exists()]}")
        time.sleep(0.05)


def test_readers_and_the_writer_never_see_a_locked_database(tmp_path: Path):
    outlet = load_config(write_config(tmp_path, port=8765)).outlet("demo")
    path, stop = tmp_path / "index.sqlite", tmp_path / "stop"
    ready_files = [tmp_path / f"ready-{n}-{role}" for n, role in enumerate(READERS)]
    Index(path).close()
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(path), str(stop), role, str(CAPTURES_PER_WARC), str(ready)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for role, ready in zip(READERS, ready_files, strict=True)
    ]
    wait_for(ready_files)  # every reader has done a round: the writer starts under their feet
    with Index(path) as idx:
        for warc in range(WARCS):
            added = idx.add_warc(outlet, f"warcs/demo/{warc:05d}.warc.gz", records(warc), size=1, sha256=None)
            assert added == CAPTURES_PER_WARC
    stop.touch()
    results = [json.loads(reader.communicate(timeout=150)[0]) for reader in readers]

    for role, result in zip(READERS, results, strict=True):
        assert result["errors"] == [], role
        assert result["rounds"] > 5, f"{role} barely ran: {result}"
        assert all(count % CAPTURES_PER_WARC == 0 for count in result["counts"]), "a reader saw half a transaction"
    assert max(len(r["counts"]) for r in results) > 2, "the readers never read while the writer wrote"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT count(*) FROM captures").fetchone() == (WARCS * CAPTURES_PER_WARC,)
