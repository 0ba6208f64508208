"""From a stored WARC record to page bytes: content decoding, its limits, and its errors."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from archive.detect.fingerprint import fingerprint
from archive.extract import ExtractError, decode_content, extract, html_from_record
from archive.simulate import strip_noise
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter, iter_records, load_record
from tests.archive.extract.support import Reply, fetch, saved_page, through_warc

URL = "http://www.presstv.ir/Detail/2026/11/18/777255/slug"


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODINGS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "deflate-raw": _raw_deflate,
    "br": brotli.compress,
    "gzip, br": lambda data: brotli.compress(gzip.compress(data)),
    "identity": lambda data: data,
}


def _reply(body: bytes, encoding: str | None, content_type: str = "text/html; charset=utf-8") -> Reply:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    if encoding:
        headers.append(("Content-Encoding", encoding.removesuffix("-raw")))
    return Reply(URL, 200, "OK", tuple(headers), body)


def test_a_gzip_page_from_warc_gives_the_fingerprint_of_the_plain_page(sim: Any, tmp_path: Path) -> None:
    plain = fetch(sim, sim.sample_id)
    packed = fetch(sim, sim.sample_id, gzip=True)
    assert packed.header("Content-Encoding") == "gzip" and packed.body[:2] == b"\x1f\x8b"
    html, content_type = through_warc(tmp_path, packed)
    assert content_type == "text/html; charset=utf-8"
    assert strip_noise(html) == strip_noise(plain.body)
    from_warc = extract("presstv", html, packed.url, content_type=content_type)
    direct = extract("presstv", plain.body, plain.url, content_type=plain.header("Content-Type"))
    assert fingerprint(from_warc) == fingerprint(direct)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_content_encoding_is_undone(tmp_path: Path, encoding: str) -> None:
    page = saved_page("sample").html
    html, content_type = through_warc(tmp_path, _reply(ENCODINGS[encoding](page), encoding))
    assert html == page
    assert content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "encoding", "message"),
    [
        (b"\x1f\x8b\x08\x00garbage-not-deflate", "gzip", "corrupt gzip body"),
        (gzip.compress(b"<p>" * 5000)[:-30], "gzip", r"corrupt gzip body .*ends before its end marker"),
        (b"\x00\x01\x02not brotli", "br", "corrupt br body"),
        (b"<p>hello</p>", "zstd", "unsupported Content-Encoding 'zstd'"),
    ],
)
def test_corrupt_or_unknown_compression_raises_extract_error(
    tmp_path: Path, body: bytes, encoding: str, message: str
) -> None:
    with pytest.raises(ExtractError, match=message):
        through_warc(tmp_path, _reply(body, encoding))


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decompression_stops_at_the_size_cap(encoding: str) -> None:
    bomb = ENCODINGS[encoding](b"\x00" * 1_000_000)
    assert len(bomb) < 5_000
    with pytest.raises(ExtractError, match="larger than 100000 bytes"):
        decode_content(bomb, encoding, limit=100_000)
    assert len(decode_content(bomb, encoding, limit=1_000_000)) == 1_000_000


def test_request_and_revisit_records_are_not_pages(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, "t") as writer:
        writer.write_exchange(
            HttpRequestData("GET", URL, (("Host", "www.presstv.ir"),)),
            HttpResponseData(200, "OK", (("Content-Type", "text/html"),), b"<p>x</p>"),
        )
    path = writer.closed_files[0]
    with path.open("rb") as stream:
        request = next(i for i in iter_records(stream) if i.record_type == "request")
        stream.seek(request.offset)
        loaded = load_record(stream.read(request.length))
    with pytest.raises(ExtractError, match="is a request record, not a page"):
        html_from_record(loaded)
    revisit = type(loaded)(info=_replace(loaded.info, record_type="revisit"), http_headers=[], payload=b"")
    with pytest.raises(ExtractError, match=r"revisit record, not a page .*WARC-Refers-To"):
        html_from_record(revisit)


def _replace(info: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(info, **changes)


def test_an_empty_body_is_empty_in_every_coding() -> None:
    assert [decode_content(b"", e) for e in ("gzip", "deflate", "br", "identity")] == [b""] * 4
