"""The framed view's decoder: every content coding undone a bounded buffer at a time, a bomb
refused once the output passes the limit, memory never much above the limit."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
import zlib

import brotli
import pytest

from archive.api.inflate import BodyTooLargeError, DecodeBusyError, Slots, decoded_body
from archive.extract.model import ExtractError
from tests.archive.api.support import gzip_bomb

LIMIT = 4 * 2**20
PAGE = b"<p>" + b"news " * 2000 + b"</p>"


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def encoded(coding: str, data: bytes) -> bytes:
    return {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
    }[coding](data)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_each_coding_is_decoded(coding):
    assert decoded_body([("Content-Encoding", coding)], encoded(coding, PAGE), where="t") == PAGE


def test_raw_deflate_stacked_codings_and_identity_are_decoded():
    assert decoded_body([("Content-Encoding", "deflate")], raw_deflate(PAGE), where="t") == PAGE
    twice = gzip.compress(brotli.compress(PAGE))
    assert decoded_body([("Content-Encoding", "br, gzip")], twice, where="t") == PAGE
    assert decoded_body([("Content-Encoding", "identity")], PAGE, where="t") == PAGE
    assert decoded_body([], PAGE, where="t") == PAGE


@pytest.mark.parametrize(
    ("coding", "bomb"),
    [
        ("gzip", gzip_bomb(4 * LIMIT)),
        ("deflate", zlib.compress(bytes(4 * LIMIT), 9)),
        ("deflate", raw_deflate(bytes(4 * LIMIT))),
        ("br", brotli.compress(bytes(4 * LIMIT))),
    ],
    ids=["gzip", "deflate", "raw-deflate", "br"],
)
def test_a_bomb_is_refused_with_memory_bounded_by_the_limit(coding, bomb):
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError, match=f"larger than {LIMIT} bytes once decoded.*id_"):
            decoded_body([("Content-Encoding", coding)], bomb, where="http://x/bomb", limit=LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * LIMIT, f"peak {peak} bytes while decoding a bomb, limit {LIMIT}"


def test_a_plain_body_over_the_limit_and_a_pile_of_codings_are_refused():
    with pytest.raises(BodyTooLargeError):
        decoded_body([], bytes(LIMIT + 1), where="t", limit=LIMIT)
    with pytest.raises(ExtractError, match="content codings"):
        decoded_body([("Content-Encoding", "gzip, gzip, gzip, gzip, gzip")], b"x", where="t")


@pytest.mark.parametrize(
    ("coding", "body"),
    [("gzip", b"not gzip"), ("gzip", gzip.compress(PAGE)[:-20]), ("br", b"\xff\xff"), ("compress", b"x")],
)
def test_corrupt_truncated_or_unknown_codings_are_extract_errors(coding, body):
    with pytest.raises(ExtractError):
        decoded_body([("Content-Encoding", coding)], body, where="t")


def test_decoding_slots_bound_how_many_run_at_once():
    slots = Slots(1, wait_seconds=0.05)
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with slots.held():
            inside.set()
            leave.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(5)
    with pytest.raises(DecodeBusyError), slots.held():
        pass
    leave.set()
    holder.join(5)
    with slots.held():
        pass
