"""iter_records, load_record and recover_open_file on real files, good and deliberately broken.

The fixtures in tests/fixtures/warc/ are made by make_fixtures.py there; member boundaries
are found with zlib alone (`fx.split_members`), independently of the reader under test.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import itertools
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from archive.warc import (
    HttpRequestData,
    HttpResponseData,
    WarcReadError,
    WarcRecordInfo,
    WarcTruncatedError,
    WarcWriter,
    iter_records,
    load_record,
    recover_open_file,
    scan_records,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "warc"


def _load_builder() -> ModuleType:
    """tests/fixtures/warc/make_fixtures.py, which builds the golden exchanges and fixtures."""
    name = "warc_fixture_builder"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / "make_fixtures.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


fx = _load_builder()
GOLDEN = FIXTURES / fx.GOLDEN_NAME


def read_all(path: Path, **kwargs: bool) -> list[WarcRecordInfo]:
    with path.open("rb") as stream:
        return list(iter_records(stream, name=str(path), **kwargs))


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def killed_writer_bytes(directory: Path, exchanges: int = 4) -> bytes:
    """What a crawler leaves when killed after `exchanges` exchanges: a .warc.gz.open."""
    writer = WarcWriter(
        directory,
        "killed",
        clock=lambda: fx.GOLDEN_OPENED_AT,
        record_id=fx.counter_ids(),
    )
    for i in range(exchanges):
        writer.write_exchange(
            HttpRequestData("GET", f"https://o.example/{i}", (("Host", "o.example"),)),
            HttpResponseData(
                200,
                "OK",
                (("Content-Type", "text/html"),),
                b"<p>%d</p>" % i * (50 * i + 1),
            ),
        )
    data = writer.current_path.read_bytes()  # type: ignore[union-attr]
    writer.close()
    shutil.rmtree(directory)
    return data


class CountingStream(io.RawIOBase):
    """An unseekable stream that remembers how much was read and the largest single read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.total = 0
        self.largest = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._data.read(size)
        self.total += len(data)
        self.largest = max(self.largest, len(data))
        return data


class TrickleStream(CountingStream):
    """Returns at most `read_size` bytes per read, as a slow socket or S3 body may."""

    def __init__(self, data: bytes, read_size: int) -> None:
        super().__init__(data)
        self.read_size = read_size

    def read(self, size: int = -1) -> bytes:
        return super().read(self.read_size if size < 0 else min(size, self.read_size))


def test_records_come_in_file_order_with_their_gzip_member_offsets() -> None:
    infos = read_all(GOLDEN)
    members = fx.split_members(GOLDEN.read_bytes())

    assert [i.record_type for i in infos] == ["warcinfo"] + ["response", "request"] * 4
    assert [(i.offset, i.length) for i in infos] == [(offset, len(m)) for offset, m in members]
    assert infos[-1].offset + infos[-1].length == GOLDEN.stat().st_size


def test_record_fields_for_warcinfo_response_and_request() -> None:
    infos = read_all(GOLDEN)
    warcinfo, article, article_request, not_found = (
        infos[0],
        infos[3],
        infos[4],
        infos[7],
    )

    assert (
        warcinfo.target_uri,
        warcinfo.status,
        warcinfo.mime,
        warcinfo.payload_digest,
    ) == (None, None, None, None)
    assert warcinfo.date == fx.GOLDEN_OPENED_AT
    assert article.target_uri == "http://mirror.outlet.example/Detail/2024/05/06/123456/Headline?ref=home"
    assert article.record_id == "<urn:uuid:00000000-0000-4000-8000-000000000004>"
    assert article.date == datetime(2024, 5, 6, 7, 8, 11, 250000, tzinfo=UTC)
    assert article.date.tzinfo is UTC
    assert (article.status, article.mime, article.ip_address) == (
        200,
        "text/html",
        "192.0.2.11",
    )
    assert article.payload_digest == sha1_b32(fx.ARTICLE_HTML)
    assert (article.concurrent_to, article.refers_to) == (None, None)
    assert article_request.concurrent_to == article.record_id
    assert (article_request.status, article_request.mime) == (None, None)
    assert article_request.date == article.date
    assert (not_found.status, not_found.mime, not_found.ip_address) == (
        404,
        "text/plain",
        None,
    )
    assert infos[5].status == 301


def test_offsets_and_lengths_agree_with_warcio() -> None:
    with GOLDEN.open("rb") as stream:
        it = ArchiveIterator(stream)
        theirs = [
            (
                r.rec_headers.get_header("WARC-Record-ID"),
                it.get_record_offset(),
                it.get_record_length(),
            )
            for r in it
        ]
    assert [(i.record_id, i.offset, i.length) for i in read_all(GOLDEN)] == theirs


def test_each_record_loads_from_its_slice_of_the_file() -> None:
    data = GOLDEN.read_bytes()
    infos = read_all(GOLDEN)
    loaded = [load_record(data[i.offset : i.offset + i.length], offset=i.offset, verify_digests=True) for i in infos]

    assert [r.info for r in loaded] == infos
    home, home_request = loaded[1], loaded[2]
    assert home.payload == fx.HOME_GZ  # as stored: still gzip Content-Encoded
    assert home.http_start_line == "HTTP/1.1 200 OK"
    assert home.http_headers == [
        ("Date", "Mon, 06 May 2024 07:08:10 GMT"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("Vary", "Accept-Encoding"),
    ]
    assert home_request.http_start_line == "GET / HTTP/1.1"
    assert home_request.payload == b""
    assert loaded[3].payload == fx.ARTICLE_HTML
    assert loaded[0].http_headers is None and b"crawl-id: golden-0001" in loaded[0].payload


def test_load_record_wants_exactly_one_record() -> None:
    data = GOLDEN.read_bytes()
    first, second = read_all(GOLDEN)[:2]
    with pytest.raises(WarcReadError, match="more bytes follow the record"):
        load_record(data[: second.offset + second.length], name="golden")
    with pytest.raises(WarcTruncatedError, match="offset 343"):
        load_record(
            data[second.offset : second.offset + second.length - 1],
            offset=second.offset,
        )
    with pytest.raises(WarcReadError, match="no data"):
        load_record(b"")
    assert first.offset == 0


def test_iteration_streams_record_by_record() -> None:
    rng = random.Random(7)
    bodies = [rng.randbytes(1_500_000) for _ in range(3)]  # incompressible: the file is ~4.5 MB
    buffer = io.BytesIO()
    for body in bodies:
        record = (
            (
                b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:%d>\r\n"
                b"WARC-Date: 2024-05-06T07:08:09Z\r\nContent-Length: %d\r\n\r\n" % (len(body), len(body))
            )
            + body
            + b"\r\n\r\n"
        )
        buffer.write(fx.gzip_member(record))
    stream = CountingStream(buffer.getvalue())

    records = iter_records(stream)  # type: ignore[arg-type]
    first = next(records)
    assert first.offset == 0
    assert stream.total < len(buffer.getvalue()) / 2
    assert [first, *records][-1].offset > 0
    assert stream.total == len(buffer.getvalue())
    assert stream.largest <= 64 * 1024


@pytest.mark.parametrize("read_size", [1, 7, 100, 4096])
def test_any_read_size_gives_the_same_records(read_size: int) -> None:
    """Header lines, gzip headers and trailers straddle read boundaries in real streams."""
    stream = TrickleStream(GOLDEN.read_bytes(), read_size)
    assert list(iter_records(stream, verify_digests=True)) == read_all(GOLDEN)  # type: ignore[arg-type]


def test_digests_are_verified_on_request() -> None:
    assert len(read_all(GOLDEN, verify_digests=True)) == 9
    broken = FIXTURES / "bad-payload-digest.warc.gz"
    assert len(read_all(broken)) == 9  # lengths are intact; only the content changed
    offset = fx.split_members(GOLDEN.read_bytes())[3][0]
    with pytest.raises(WarcReadError, match=rf"offset {offset}: .*Digest sha1:\w+ does not match"):
        read_all(broken, verify_digests=True)


@pytest.mark.parametrize(
    ("name", "error", "says"),
    [
        (
            "truncated.warc.gz",
            WarcTruncatedError,
            "the data ends inside this gzip member",
        ),
        (
            "content-length-too-long.warc.gz",
            WarcReadError,
            "bytes shorter than its Content-Length",
        ),
        (
            "content-length-too-short.warc.gz",
            WarcReadError,
            "does not end after Content-Length",
        ),
        (
            "one-gzip-member.warc.gz",
            WarcReadError,
            "several records share one gzip member",
        ),
        ("uncompressed.warc", WarcReadError, "warcio recompress"),
    ],
)
def test_broken_files_raise_at_the_bad_record_after_yielding_the_good_ones(
    name: str, error: type[WarcReadError], says: str
) -> None:
    bad_index = fx.BROKEN[name][0]
    offset = fx.split_members(GOLDEN.read_bytes())[bad_index][0]
    path = FIXTURES / name
    seen: list[WarcRecordInfo] = []
    with path.open("rb") as stream, pytest.raises(error) as raised:
        seen.extend(iter_records(stream, name=str(path)))

    assert len(seen) == bad_index
    assert raised.value.offset == offset
    assert f"{path} at offset {offset}: " in str(raised.value)
    assert says in str(raised.value)


def test_warcio_would_not_notice_the_truncation() -> None:
    """Why the reader walks gzip members itself (see archive/warc/members.py)."""
    with (FIXTURES / "truncated.warc.gz").open("rb") as stream:
        assert len([r.rec_type for r in ArchiveIterator(stream)]) == 3


def test_recover_keeps_every_whole_record_at_any_cut(tmp_path: Path) -> None:
    data = killed_writer_bytes(tmp_path / "spool")
    ends = [offset + len(member) for offset, member in fx.split_members(data)]
    cuts = sorted({1, 2, 10, *(e + d for e in ends for d in (-1, 0, 1) if 0 < e + d <= len(data))})
    cuts += [(a + b) // 2 for a, b in itertools.pairwise(ends)]

    for cut in cuts:
        path = tmp_path / "killed-20240506070809-00000.warc.gz.open"
        path.write_bytes(data[:cut])
        keep = max((e for e in ends if e <= cut), default=0)
        if keep == 0:
            with pytest.raises(WarcReadError, match="nothing to recover"):
                recover_open_file(path)
            assert path.read_bytes() == data[:cut]
            path.unlink()
            continue
        recovered = recover_open_file(path)
        assert recovered == tmp_path / "killed-20240506070809-00000.warc.gz", cut
        assert not path.exists()
        assert recovered.read_bytes() == data[:keep], cut
        assert [i.offset + i.length for i in read_all(recovered)] == [e for e in ends if e <= keep]
        recovered.unlink()


@pytest.mark.integration
def test_a_recovered_file_passes_warcio_check(tmp_path: Path) -> None:
    data = killed_writer_bytes(tmp_path / "spool")
    path = tmp_path / "killed-20240506070809-00000.warc.gz.open"
    path.write_bytes(data[: len(data) - 20])
    recovered = recover_open_file(path)
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(recovered)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout
    assert check.stdout.count("digest pass") == len(read_all(recovered)) == 8


def test_recover_cuts_a_zero_filled_tail(tmp_path: Path) -> None:
    data = killed_writer_bytes(tmp_path / "spool")
    path = tmp_path / "x.warc.gz.open"
    path.write_bytes(data + bytes(8192))
    assert recover_open_file(path).read_bytes() == data


def test_recover_leaves_a_complete_file_as_it_is(tmp_path: Path) -> None:
    data = killed_writer_bytes(tmp_path / "spool")
    path = tmp_path / "x.warc.gz.open"
    path.write_bytes(data)
    assert recover_open_file(path).read_bytes() == data


def test_recover_refuses_damage_before_the_end(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz.open"
    shutil.copy(FIXTURES / "content-length-too-long.warc.gz", path)
    with pytest.raises(WarcReadError, match="left this file as it is"):
        recover_open_file(path)
    assert path.read_bytes() == (FIXTURES / "content-length-too-long.warc.gz").read_bytes()


def test_recover_refuses_wrong_names_and_existing_targets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not a \.warc\.gz\.open"):
        recover_open_file(GOLDEN)
    path = tmp_path / "x.warc.gz.open"
    shutil.copy(GOLDEN, path)
    shutil.copy(GOLDEN, tmp_path / "x.warc.gz")
    with pytest.raises(FileExistsError):
        recover_open_file(path)
    assert path.exists()


def test_recover_an_empty_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz.open"
    path.write_bytes(b"")
    with pytest.raises(WarcReadError, match="empty"):
        recover_open_file(path)
    assert path.exists()


def scan(path: Path, **kwargs: bool) -> list[str]:
    """What scan_records yields, as "record" or "damage at <offset>"."""
    with path.open("rb") as stream:
        items = list(scan_records(stream, name=str(path), **kwargs))
    return [f"damage at {i.offset}" if isinstance(i, WarcReadError) else "record" for i in items]


@pytest.mark.parametrize(
    "name", ["bad-payload-digest.warc.gz", "content-length-too-long.warc.gz", "content-length-too-short.warc.gz"]
)
def test_scan_goes_on_past_damage_inside_one_record(name: str) -> None:
    """The gzip member decompressed whole, so the next record's start is known: only one is lost."""
    bad = fx.BROKEN[name][0]
    offset = fx.split_members(GOLDEN.read_bytes())[bad][0]
    expected = ["record"] * 9
    expected[bad] = f"damage at {offset}"
    assert scan(FIXTURES / name, verify_digests=True) == expected


@pytest.mark.parametrize("name", ["truncated.warc.gz", "uncompressed.warc", "one-gzip-member.warc.gz"])
def test_scan_stops_at_damage_to_the_gzip_data_after_every_record_before_it(name: str) -> None:
    """Where the next member would start is unknown (a cut member, bytes that are not gzip), so
    guessing could index bytes that are no record; one member holding every record ends the file."""
    bad = fx.BROKEN[name][0]
    offset = fx.split_members(GOLDEN.read_bytes())[bad][0] if name.endswith(".gz") else 0
    assert scan(FIXTURES / name) == ["record"] * bad + [f"damage at {offset}"]


def test_scan_stops_at_a_corrupt_member_and_agrees_with_iter_records_on_a_good_file() -> None:
    data = bytearray(GOLDEN.read_bytes())
    offset, member = fx.split_members(bytes(data))[4]
    middle = offset + len(member) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    with io.BytesIO(bytes(data)) as stream:
        items = list(scan_records(stream, verify_digests=True))
    assert [type(i).__name__ for i in items] == ["WarcRecordInfo"] * 4 + ["WarcReadError"]
    assert isinstance(items[-1], WarcReadError) and "gzip member is corrupt" in items[-1].reason
    with GOLDEN.open("rb") as stream:
        assert list(scan_records(stream, verify_digests=True)) == read_all(GOLDEN)


@pytest.mark.parametrize("length", ["²".encode(), "²".encode("latin-1"), "٣".encode(), b"-5", b"5 5"])
def test_a_content_length_that_is_no_byte_count_is_a_read_error(length: bytes) -> None:
    """Digits to ``str.isdigit`` ("²") that ``int`` refuses get the reader's error, not a ValueError."""
    head = b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: 2024-05-06T07:08:09Z\r\n"
    record = head + b"Content-Length: " + length
    member = fx.gzip_member(record + b"\r\n\r\nhello\r\n\r\n")
    with pytest.raises(WarcReadError, match="is not a byte count"):
        list(iter_records(io.BytesIO(member), name="hostile"))  # type: ignore[arg-type]
