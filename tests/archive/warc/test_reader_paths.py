"""The reader's fast paths (whole buffered heads, zlib-ng inflate) read exactly what the plain ones read."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

import archive.warc.members as members_module
from archive.warc import WarcReadError, scan_records
from archive.warc.members import GzipMember

FIXTURES = sorted((Path(__file__).parents[2] / "fixtures" / "warc").glob("*.warc*"))


def scanned(path: Path) -> list[object]:
    """Every record's info, or the error's kind, offset and reason, in order."""
    with path.open("rb") as stream:
        return [
            (type(item).__name__, item.offset, item.reason) if isinstance(item, WarcReadError) else item
            for item in scan_records(stream, name=path.name, verify_digests=True)
        ]


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_heads_read_line_by_line_give_the_same_records_and_errors(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = scanned(path)
    monkeypatch.setattr(GzipMember, "buffered_head", lambda self, limit=None: None)
    assert scanned(path) == fast


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_stock_zlib_inflates_to_the_same_records_and_errors(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = scanned(path)
    monkeypatch.setattr(members_module, "_decompressobj", zlib.decompressobj)
    monkeypatch.setattr(members_module, "_INFLATE_ERRORS", (zlib.error,))
    assert scanned(path) == fast
