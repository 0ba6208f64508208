"""WarcWriter: what it writes, checked with zlib, hashlib and warcio rather than our reader."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

import archive.warc.exchange as exchange_module
import archive.warc.writer as writer_module
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter

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
T0 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def ticking_clock(start: datetime = T0) -> Callable[[], datetime]:
    """A clock that advances one second per call, so every file gets its own name."""
    calls = 0

    def clock() -> datetime:
        nonlocal calls
        calls += 1
        return start + timedelta(seconds=calls - 1)

    return clock


def make_writer(directory: Path, **kwargs: object) -> WarcWriter:
    kwargs.setdefault("clock", ticking_clock())
    kwargs.setdefault("record_id", fx.counter_ids())
    return WarcWriter(directory, "crawl", **kwargs)  # type: ignore[arg-type]


def request(url: str = "https://www.outlet.example/a", body: bytes = b"") -> HttpRequestData:
    return HttpRequestData("GET", url, (("Host", "www.outlet.example"), ("Accept", "*/*")), body)


def response(body: bytes = b"<p>hello</p>", headers: tuple[tuple[str, str], ...] | None = None) -> HttpResponseData:
    return HttpResponseData(200, "OK", headers or (("Content-Type", "text/html"),), body)


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def raw_records(path: Path) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, block) per gzip member, parsed by hand from the decompressed bytes."""
    records = []
    for _, member in fx.split_members(path.read_bytes()):
        raw = fx.gunzip(member)
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0] == "WARC/1.1"
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int(headers["Content-Length"])
        assert rest[length:] == b"\r\n\r\n", "exactly one record per gzip member"
        records.append((headers, rest[:length]))
    return records


def http_split(block: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = block.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


def test_exchange_is_a_response_then_a_request_pointing_at_it(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        first = writer.write_exchange(request(), response(b"one"), ip_address="192.0.2.1")
        writer.write_exchange(request("https://www.outlet.example/b"), response(b"two"))
    (path,) = writer.closed_files

    records = raw_records(path)
    assert [h["WARC-Type"] for h, _ in records] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "request",
    ]
    (resp, _), (req, _) = records[1], records[2]
    assert req["WARC-Concurrent-To"] == resp["WARC-Record-ID"] == first.response_record_id
    assert req["WARC-Date"] == resp["WARC-Date"]
    assert req["WARC-Target-URI"] == resp["WARC-Target-URI"] == "https://www.outlet.example/a"
    assert req["WARC-IP-Address"] == resp["WARC-IP-Address"] == "192.0.2.1"
    assert "WARC-IP-Address" not in records[3][0]


def test_digests_match_sha1_of_block_and_payload(tmp_path: Path) -> None:
    bodies = [b"<html>first</html>", b"", b"\x00\xff" * 5000]
    with make_writer(tmp_path) as writer:
        written = [writer.write_exchange(request(body=b"q=1"), response(body)) for body in bodies]
    records = raw_records(writer.closed_files[0])

    assert [w.payload_digest for w in written] == [sha1_b32(b) for b in bodies]
    for headers, block in records:
        assert headers["WARC-Block-Digest"] == sha1_b32(block)
    for (headers, block), body in zip(records[1::2], bodies, strict=True):
        assert headers["WARC-Payload-Digest"] == sha1_b32(body)
        assert http_split(block)[1] == body
    for headers, block in records[2::2]:
        assert headers["WARC-Payload-Digest"] == sha1_b32(b"q=1")
        assert http_split(block) == (
            [b"GET /a HTTP/1.1", b"Host: www.outlet.example", b"Accept: */*"],
            b"q=1",
        )


def test_written_exchange_offsets_slice_out_each_record(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        written = [writer.write_exchange(request(), response(b"x" * n)) for n in (10, 20_000, 0)]
    data = writer.closed_files[0].read_bytes()

    assert written[-1].request_offset + written[-1].request_length == len(data)
    for w in written:
        assert w.warc_path == writer.closed_files[0]
        assert w.request_offset == w.response_offset + w.response_length
        resp = fx.gunzip(data[w.response_offset : w.response_offset + w.response_length])
        req = fx.gunzip(data[w.request_offset : w.request_offset + w.request_length])
        assert resp.startswith(b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: " + w.response_record_id.encode())
        assert req.startswith(b"WARC/1.1\r\nWARC-Type: request\r\n")


def test_gzip_encoded_body_is_stored_compressed_byte_for_byte(tmp_path: Path) -> None:
    page = b"<html>" + b"edited headline " * 200 + b"</html>"
    body = gzip.compress(page, mtime=0)
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"))
    with make_writer(tmp_path) as writer:
        writer.write_exchange(request(), response(body, headers))

    _, block = raw_records(writer.closed_files[0])[1]
    assert http_split(block)[1] == body
    with writer.closed_files[0].open("rb") as stream:
        decoded = [r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert decoded == [page]  # warcio decodes it for replay


def test_transfer_encoding_is_stored_as_x_archive_orig(tmp_path: Path) -> None:
    headers = (
        ("Content-Type", "text/html"),
        ("Transfer-Encoding", "chunked"),
        ("X-Other", "1"),
    )
    body = b"3\r\nnot chunk framing, just a body"
    with make_writer(tmp_path) as writer:
        writer.write_exchange(request(), response(body, headers))

    lines, stored = http_split(raw_records(writer.closed_files[0])[1][1])
    assert lines[1:] == [
        b"Content-Type: text/html",
        b"X-Archive-Orig-Transfer-Encoding: chunked",
        b"X-Other: 1",
    ]
    assert stored == body
    with writer.closed_files[0].open("rb") as stream:
        decoded = [r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert decoded == [body]  # not de-chunked by a reader that saw Transfer-Encoding


def test_header_names_case_order_duplicates_and_latin1_bytes_are_kept(
    tmp_path: Path,
) -> None:
    headers = (
        ("set-cookie", "a=1"),
        ("Content-Type", "text/html"),
        ("Set-Cookie", "b=2"),
        ("X-Caf\xe9", "d\xe9j\xe0 vu"),  # wire bytes E9 and E0, decoded as ISO-8859-1
    )
    with make_writer(tmp_path) as writer:
        writer.write_exchange(request(), HttpResponseData(404, "Not Found", headers, b"", "HTTP/1.0"))

    lines, _ = http_split(raw_records(writer.closed_files[0])[1][1])
    assert lines == [
        b"HTTP/1.0 404 Not Found",
        b"set-cookie: a=1",
        b"Content-Type: text/html",
        b"Set-Cookie: b=2",
        b"X-Caf\xe9: d\xe9j\xe0 vu",
    ]


def test_files_are_open_while_writing_and_renamed_on_close(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    assert list(tmp_path.iterdir()) == []  # opened lazily

    written = writer.write_exchange(request(), response())
    final = tmp_path / "crawl-20240506070809-00000.warc.gz"
    assert written.warc_path == final
    assert sorted(tmp_path.iterdir()) == [tmp_path / (final.name + ".open")]
    assert writer.current_path == tmp_path / (final.name + ".open")

    assert writer.close() == [final]
    assert sorted(tmp_path.iterdir()) == [final]
    assert writer.closed_files == [final]
    assert writer.close() == [final]  # closing twice is harmless


def test_closing_an_unused_writer_creates_no_file(tmp_path: Path) -> None:
    with make_writer(tmp_path / "spool") as writer:
        pass
    assert writer.closed_files == []
    assert not (tmp_path / "spool").exists()


def test_warcinfo_names_the_file_and_carries_software_and_caller_fields(
    tmp_path: Path,
) -> None:
    info = {"outlet": "example", "crawl-id": "c-42", "config-digest": "sha256:abc"}
    with make_writer(tmp_path, warcinfo=info) as writer:
        writer.write_exchange(request(), response())

    headers, block = raw_records(writer.closed_files[0])[0]
    assert headers["WARC-Filename"] == writer.closed_files[0].name
    assert headers["WARC-Date"] == "2024-05-06T07:08:09Z"
    assert headers["Content-Type"] == "application/warc-fields"
    fields = dict(line.split(": ", 1) for line in block.decode().splitlines())
    assert fields["software"].startswith("edittrail/")
    assert " warcio/" in fields["software"]
    assert fields["format"] == "WARC File Format 1.1"
    assert {k: fields[k] for k in info} == info


def test_rotation_starts_each_file_with_warcinfo_and_never_splits_an_exchange(
    tmp_path: Path,
) -> None:
    with make_writer(tmp_path, max_size=3000, gzip_level=0) as writer:
        written = [
            writer.write_exchange(request(f"https://o.example/{i}"), response(b"%d" % i * 900)) for i in range(7)
        ]

    files = writer.closed_files
    assert len(files) >= 3
    assert [f.name[-14:] for f in files] == [f"-{i:05d}.warc.gz" for i in range(len(files))]
    assert all(re.fullmatch(r"crawl-2024050607\d{4}-\d{5}\.warc\.gz", f.name) for f in files)
    assert sorted(tmp_path.iterdir()) == sorted(files)
    uris = []
    for path in files:
        records = raw_records(path)
        assert records[0][0]["WARC-Type"] == "warcinfo"
        assert records[0][0]["WARC-Filename"] == path.name
        pairs = records[1:]
        assert len(pairs) >= 2 and len(pairs) % 2 == 0
        for (resp, _), (req, _) in zip(pairs[::2], pairs[1::2], strict=True):
            assert (resp["WARC-Type"], req["WARC-Type"]) == ("response", "request")
            assert req["WARC-Concurrent-To"] == resp["WARC-Record-ID"]
            uris.append(resp["WARC-Target-URI"])
        assert path.stat().st_size < 3000 + 2 * 1500  # rotated at the first exchange past max_size
    assert uris == [f"https://o.example/{i}" for i in range(7)]
    assert {w.warc_path for w in written} == set(files)


def test_gzip_level_is_honoured(tmp_path: Path) -> None:
    body = b"".join(b"paragraph %d of a long article. " % (i % 50) for i in range(4000))
    sizes, headers = {}, {}
    for level in (1, 9):
        with make_writer(tmp_path / str(level), gzip_level=level) as writer:
            writer.write_exchange(request(), response(body))
        path = writer.closed_files[0]
        sizes[level] = path.stat().st_size
        headers[level] = [member[8] for _, member in fx.split_members(path.read_bytes())]
        with path.open("rb") as stream:
            assert [r.rec_type for r in ArchiveIterator(stream)] == [
                "warcinfo",
                "response",
                "request",
            ]
        assert raw_records(path)[1][1].endswith(body)

    assert sizes[1] > sizes[9]
    assert set(headers[1]) == {4}  # gzip XFL byte: zlib's "fastest" marker
    assert set(headers[9]) == {2}  # "maximum compression"


@pytest.mark.integration
def test_output_passes_warcio_check_and_index(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        written = [writer.write_exchange(request(), response(b"body %d" % i), ip_address="192.0.2.1") for i in range(3)]
    path = writer.closed_files[0]

    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 7

    index = subprocess.run(
        [
            sys.executable,
            "-m",
            "warcio.cli",
            "index",
            "-f",
            "offset,length,warc-type,http:status",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    assert [r["warc-type"] for r in rows] == ["warcinfo"] + ["response", "request"] * 3
    expected = [(w.response_offset, w.response_length, "200") for w in written]
    assert [
        (int(r["offset"]), int(r["length"]), r["http:status"]) for r in rows if r["warc-type"] == "response"
    ] == expected
    assert [(int(r["offset"]), int(r["length"])) for r in rows if r["warc-type"] == "request"] == [
        (w.request_offset, w.request_length) for w in written
    ]


def test_golden_file_uncompressed_records_are_identical(tmp_path: Path) -> None:
    """Independent of the zlib build: compares what is inside each gzip member."""
    written = fx.write_golden(tmp_path)
    golden = (FIXTURES / fx.GOLDEN_NAME).read_bytes()
    assert written.name == fx.GOLDEN_NAME
    ours = [fx.gunzip(m) for _, m in fx.split_members(written.read_bytes())]
    assert ours == [fx.gunzip(m) for _, m in fx.split_members(golden)]


def test_golden_file_is_byte_identical_with_stock_zlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same exchanges, clock and ids give the same bytes.

    The golden file was written with stock zlib, the fallback when zlib-ng is missing, so
    this test takes zlib-ng away. zlib-ng compresses differently (the test above still
    holds there). After an intended format change, regenerate the fixtures with
    `uv run python tests/fixtures/warc/make_fixtures.py` and review the diff of `zcat`.
    """
    monkeypatch.delitem(writer_module._COMPRESSORS, "zlib-ng", raising=False)
    assert fx.write_golden(tmp_path).read_bytes() == (FIXTURES / fx.GOLDEN_NAME).read_bytes()


def test_two_writers_with_the_same_inputs_write_the_same_bytes(tmp_path: Path) -> None:
    first, second = (
        fx.write_golden(tmp_path / "a", gzip_level=3),
        fx.write_golden(tmp_path / "b", gzip_level=3),
    )
    assert first.read_bytes() == second.read_bytes()


def test_a_failure_mid_exchange_leaves_no_partial_record(tmp_path: Path) -> None:
    ids = fx.counter_ids()
    calls = 0

    def flaky_ids() -> str:
        nonlocal calls
        calls += 1
        if calls == 5:  # the second exchange's request id: its response is already written
            raise RuntimeError("boom")
        return ids()

    writer = make_writer(tmp_path, record_id=flaky_ids)
    writer.write_exchange(request(), response(b"kept"))
    size = writer.current_path.stat().st_size  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="boom"):
        writer.write_exchange(request(), response(b"lost" * 1000))
    assert writer.current_path.stat().st_size == size  # type: ignore[union-attr]
    writer.write_exchange(request(), response(b"after"))
    writer.close()

    records = raw_records(writer.closed_files[0])
    assert [h["WARC-Type"] for h, _ in records] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "request",
    ]
    assert [http_split(b)[1] for h, b in records if h["WARC-Type"] == "response"] == [
        b"kept",
        b"after",
    ]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    with make_writer(tmp_path, clock=lambda: T0) as first:
        first.write_exchange(request(), response())
    before = first.closed_files[0].read_bytes()
    second = make_writer(tmp_path, clock=lambda: T0)
    with pytest.raises(FileExistsError, match="own prefix"):
        second.write_exchange(request(), response())
    assert first.closed_files[0].read_bytes() == before
    assert sorted(tmp_path.iterdir()) == first.closed_files


@pytest.mark.parametrize(
    "build",
    [
        lambda: HttpRequestData("GET", "ftp://o.example/", ()),
        lambda: HttpRequestData("GET", "https://o.example/a b", ()),
        lambda: HttpRequestData("GET /x", "https://o.example/", ()),
        lambda: HttpRequestData("GET", "https://o.example/", (("X-A", "1\r\nX-Injected: 2"),)),
        lambda: HttpResponseData(200, "OK\r\n", (), b""),
        lambda: HttpResponseData(42, "OK", (), b""),
        lambda: HttpRequestData("GET", "https://o.example/a\u00a0b", ()),
        lambda: HttpRequestData("GET", "HTTPS://o.example/a\u2028", ()),
        lambda: HttpRequestData("GET\u3000", "https://o.example/", ()),
        lambda: HttpRequestData("GET", "https://o.example/", (("X-A\n", "1"),)),
        lambda: HttpRequestData("GET", "https://o.example/", (("X-A", "1\r"),)),
        lambda: HttpRequestData("GET", "https://o.example/", (("X:A", "1"),)),
    ],
)
def test_data_that_would_corrupt_the_record_is_rejected(
    build: Callable[[], object],
) -> None:
    with pytest.raises(ValueError):
        build()


def test_whitespace_check_is_str_isspace_for_every_code_point() -> None:
    """The exchange checks scan with a regex; `\\s` must reject exactly what str.isspace calls space."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert exchange_module._SPACE.findall(every) == [c for c in every if c.isspace()]


def test_naive_times_are_rejected(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    with pytest.raises(ValueError, match="naive"):
        writer.write_exchange(request(), response(), fetched_at=T0.replace(tzinfo=None))
    assert list(tmp_path.iterdir()) == []
    naive = make_writer(tmp_path, clock=lambda: T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive"):
        naive.write_exchange(request(), response())


def test_warc_date_is_utc_with_z_and_microseconds_when_present(tmp_path: Path) -> None:
    plus_two = datetime(2024, 5, 6, 11, 8, 9, 500, tzinfo=timezone(timedelta(hours=2)))
    with make_writer(tmp_path) as writer:
        writer.write_exchange(request(), response(), fetched_at=plus_two)
    assert raw_records(writer.closed_files[0])[1][0]["WARC-Date"] == "2024-05-06T09:08:09.000500Z"


def test_gzip_members_are_independently_decompressible(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        writer.write_exchange(request(), response(b"abc"))
    data = writer.closed_files[0].read_bytes()
    members = fx.split_members(data)
    assert len(members) == 3
    for _, member in members:
        assert zlib.decompress(member, zlib.MAX_WBITS | 16).endswith(b"\r\n\r\n")
    assert gzip.GzipFile(fileobj=io.BytesIO(data)).read().count(b"WARC/1.1\r\n") == 3
