"""Extraction never fails on broken markup: every extractor returns what it can, quickly."""

from __future__ import annotations

import random

import pytest

from archive.extract import extract, extractor_names

URL = "http://www.presstv.ir/Detail/2026/1/1/1/slug"
BODY = b"<div class='news-body-container'><p>Real text.</p></div>"
_rng = random.Random(3)

NASTY = {
    "empty": b"",
    "text only": b"just some text with no tags at all",
    "a lone angle bracket": b"<p",
    "unclosed comment": BODY + b"<!-- never closed <p>hidden</p>",
    "nul bytes": b"<p>a\x00b</p>" * 3 + BODY,
    "invalid utf-8": b"<p>\xff\xfe\xc3(</p>" + BODY,
    "latin-1 declared": "<meta charset='iso-8859-1'><h1 class='news-title-container'>Caf\xe9</h1>".encode("latin-1"),
    "utf-16 with bom": "\ufeff<h1 class='news-title-container'>Hi</h1>".encode("utf-16"),
    "unterminated script": b"<script>" + b"x" * 100_000,
    "table soup": b"<table><p>in table<tr><td>cell<div class='news-body-container'><p>x</table></p>",
    "deep formatting": b"<div class='news-body-container'>" + b"<b>" * 20_000 + b"text",
    "tag soup": bytes(_rng.choice(b"<>/=\"' abcdefpdivh1\n&;#") for _ in range(20_000)),
}


@pytest.mark.parametrize("name", extractor_names())
@pytest.mark.parametrize("case", list(NASTY))
def test_broken_markup_never_raises(name: str, case: str) -> None:
    got = extract(name, NASTY[case], URL)
    assert all(isinstance(p, str) and p for p in got.body)


@pytest.mark.parametrize("name", extractor_names())
def test_declared_charsets_are_honoured(name: str) -> None:
    assert extract(name, NASTY["latin-1 declared"], URL).headline == "Caf\u00e9"
    got = extract(name, "<title>Caf\xe9</title>".encode("cp1252"), URL, content_type="text/html; charset=windows-1252")
    assert got.title_tag == "Caf\u00e9"


def test_invalid_bytes_become_replacement_characters() -> None:
    got = extract("presstv", b"<div class='news-body-container'><p>ok \xff\xfe end</p></div>", URL)
    assert got.body == ("ok \ufffd\ufffd end",)


def test_inline_markup_in_a_headline_joins_without_spaces() -> None:
    html = b"<h1 class='news-title-container'>Iran<em>\xe2\x80\x99s</em> move<br>now</h1>"
    assert extract("presstv", html, URL).headline == "Iran\u2019s move now"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", extractor_names())
def test_absurdly_deep_nesting_is_cut_not_parsed_for_minutes(name: str) -> None:
    """HTML5 tree building is quadratic in unclosed <div>s: 100,000 would take half a minute."""
    html = b"<html><body>" + BODY + b"<div>" * 100_000 + b"<p>lost in the deep</p>"
    got = extract(name, html, URL)
    assert got.body[:1] == ("Real text.",)
