"""recover_spool: abandoned `.open` files are repaired, a live writer's file is never touched.

A dead writer is a real process killed with SIGKILL, so the lock is released by the kernel
exactly as it is when a crawl dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from archive.warc import HttpRequestData, HttpResponseData, WarcWriter, iter_records, recover_spool

KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter
writer = WarcWriter(Path(sys.argv[1]), "killed")
for i in range(int(sys.argv[2])):
    writer.write_exchange(
        HttpRequestData("GET", f"https://o.example/{i}", (("Host", "o.example"),)),
        HttpResponseData(200, "OK", (("Content-Type", "text/html"),), b"<p>page</p>" * 100),
    )
with writer.current_path.open("ab") as tail:
    tail.write(b"\\x1f\\x8b\\x08\\x00torn")  # the start of a record the kill interrupted
os.kill(os.getpid(), signal.SIGKILL)
"""


def kill_a_writer(spool: Path, exchanges: int) -> Path:
    """Run a writer in a subprocess that SIGKILLs itself after `exchanges` exchanges."""
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(spool), str(exchanges)], check=False)
    assert done.returncode == -signal.SIGKILL
    (left,) = spool.glob("*.warc.gz.open")
    return left


def write_one(writer: WarcWriter, url: str = "https://o.example/live") -> None:
    writer.write_exchange(
        HttpRequestData("GET", url, (("Host", "o.example"),)),
        HttpResponseData(200, "OK", (("Content-Type", "text/html"),), b"<p>live</p>"),
    )


def response_uris(path: Path) -> list[str | None]:
    with path.open("rb") as stream:
        return [r.target_uri for r in iter_records(stream) if r.record_type == "response"]


def test_a_killed_writers_file_is_cut_after_its_last_whole_record_and_renamed(tmp_path: Path) -> None:
    left = kill_a_writer(tmp_path, exchanges=3)
    result = recover_spool(tmp_path)
    (recovered,) = result.recovered
    assert recovered == left.with_name(left.name.removesuffix(".open"))
    assert not left.exists()
    assert response_uris(recovered) == [f"https://o.example/{i}" for i in range(3)]
    assert result.in_use == result.discarded == result.damaged == ()


def test_a_live_writers_file_is_left_alone_however_old(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, "live") as writer:
        write_one(writer)
        assert writer.current_path is not None
        live = writer.current_path
        os.utime(live, (0, 0))  # an mtime from 1970 changes nothing: only the lock counts
        before = live.read_bytes()
        result = recover_spool(tmp_path)
        assert result.in_use == (live,)
        assert result.recovered == ()
        assert live.read_bytes() == before
        write_one(writer, "https://o.example/after")
    (closed,) = writer.closed_files
    assert response_uris(closed) == ["https://o.example/live", "https://o.example/after"]


def test_a_dead_writer_is_recovered_beside_a_live_one(tmp_path: Path) -> None:
    left = kill_a_writer(tmp_path, exchanges=1)
    with WarcWriter(tmp_path, "live") as writer:
        write_one(writer)
        result = recover_spool(tmp_path)
        assert [p.name for p in result.recovered] == [left.name.removesuffix(".open")]
        assert result.in_use == (writer.current_path,)


def test_a_file_without_a_whole_record_is_deleted(tmp_path: Path) -> None:
    empty = tmp_path / "killed-20240506070809-00000.warc.gz.open"
    empty.write_bytes(b"")
    torn = tmp_path / "killed-20240506070809-00001.warc.gz.open"
    torn.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00")
    result = recover_spool(tmp_path)
    assert result.discarded == (empty, torn)
    assert list(tmp_path.iterdir()) == []


def test_damage_before_the_tail_is_moved_aside_untouched(tmp_path: Path) -> None:
    left = kill_a_writer(tmp_path, exchanges=2)
    data = bytearray(left.read_bytes())
    data[40:60] = b"X" * 20  # inside the first record's gzip member
    left.write_bytes(bytes(data))
    result = recover_spool(tmp_path)
    (moved,) = result.damaged
    assert moved.name == left.name.removesuffix(".open") + ".damaged"
    assert moved.read_bytes() == bytes(data)
    assert result.recovered == ()


def test_a_staging_file_left_by_a_writer_killed_while_creating_is_removed(tmp_path: Path) -> None:
    stray = tmp_path / "killed-20240506070809-00000.warc.gz.open.4242.new"
    stray.write_bytes(b"")
    assert recover_spool(tmp_path).recovered == ()
    assert not stray.exists()
