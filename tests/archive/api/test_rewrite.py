"""The framed view's copy of an archived page: every http(s) link into the archive, nothing else touched."""

from __future__ import annotations

import gzip
import time

import pytest

from archive.api.inflate import BodyTooLargeError
from archive.api.rewrite import charset_of, framed, is_html, rewrite_css, rewrite_html
from archive.extract.model import ExtractError
from archive.read.retrieve import RetrievedCapture
from tests.archive.api.support import gzip_bomb

PAGE_URL = "http://www.presstv.ir/Detail/2026/11/20/777400/A-story"


def into_archive(url: str) -> str:
    return f"/demo/20261125120000if_/{url}"


def rewritten(html: str) -> str:
    return rewrite_html(html.encode(), PAGE_URL, into_archive, "text/html; charset=utf-8").decode()


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            '<img src="photo.jpg">',
            'src="/demo/20261125120000if_/http://www.presstv.ir/Detail/2026/11/20/777400/photo.jpg"',
        ),
        (
            '<link rel="stylesheet" href="/css/site.css">',
            'href="/demo/20261125120000if_/http://www.presstv.ir/css/site.css"',
        ),
        (
            '<a href="https://www.presstv.co.uk/Detail/1">x</a>',
            'href="/demo/20261125120000if_/https://www.presstv.co.uk/Detail/1"',
        ),
        ('<a href="//cdn.presstv.ir/a.jpg">x</a>', 'href="/demo/20261125120000if_/http://cdn.presstv.ir/a.jpg"'),
        (
            "<div style=\"background: url('/bg.png')\"></div>",
            "url('/demo/20261125120000if_/http://www.presstv.ir/bg.png')",
        ),
        ('<form action="/search"></form>', 'action="/demo/20261125120000if_/http://www.presstv.ir/search"'),
    ],
)
def test_each_kind_of_link_points_into_the_archive(markup, expected):
    assert expected in rewritten(f"<html><body>{markup}</body></html>")


def test_srcset_candidates_are_each_rewritten_with_their_descriptors():
    out = rewritten('<img src="a.jpg" srcset="a.jpg 1x, https://cdn.presstv.ir/b.jpg 2x">')
    assert (
        'srcset="/demo/20261125120000if_/http://www.presstv.ir/Detail/2026/11/20/777400/a.jpg 1x, '
        '/demo/20261125120000if_/https://cdn.presstv.ir/b.jpg 2x"'
    ) in out


def test_a_meta_refresh_and_a_style_sheet_in_the_page_stay_in_the_archive():
    out = rewritten(
        '<html><head><meta http-equiv="refresh" content="3; url=/next">'
        "<style>body { background: url(/bg.png) }</style></head><body></body></html>"
    )
    assert 'content="3; url=/demo/20261125120000if_/http://www.presstv.ir/next"' in out
    assert "url(/demo/20261125120000if_/http://www.presstv.ir/bg.png)" in out


def test_fragments_and_other_schemes_are_left_alone():
    out = rewritten(
        '<a href="#comments">c</a><a href="mailto:news@presstv.ir">m</a><img src="data:image/png;base64,AA">'
    )
    assert (
        'href="#comments"' in out and 'href="mailto:news@presstv.ir"' in out and 'src="data:image/png;base64,AA"' in out
    )


def test_a_base_element_resolves_the_links_and_is_removed():
    out = rewritten(
        '<html><head><base href="https://www.presstv.com/static/"></head><body><img src="x.png"></body></html>'
    )
    assert 'src="/demo/20261125120000if_/https://www.presstv.com/static/x.png"' in out
    assert "<base" not in out


def test_a_page_in_a_legacy_charset_comes_out_as_utf8():
    page = "<p>خبر عاجل</p>".encode("cp1256")
    out = rewrite_html(page, PAGE_URL, into_archive, "text/html; charset=windows-1256").decode("utf-8")
    assert "خبر عاجل" in out


def test_the_pages_own_meta_charset_is_read_when_the_header_has_none():
    page = '<html><head><meta charset="windows-1256"></head><body><p>خبر عاجل</p></body></html>'.encode("cp1256")
    assert "خبر عاجل" in rewrite_html(page, PAGE_URL, into_archive, "text/html").decode("utf-8")


def test_latin1_is_read_as_browsers_read_it_windows_1252():
    out = rewrite_html(b"<p>\x93quoted\x94 \x80 5</p>", PAGE_URL, into_archive, "text/html; charset=iso-8859-1")
    assert "\u201cquoted\u201d \u20ac 5" in out.decode("utf-8")


def test_an_unknown_charset_or_an_unparseable_link_does_not_break_the_view():
    page = b'<a id="bad" href="http://[x/">x</a><a id="good" href="/ok">ok</a>'
    out = rewrite_html(page, PAGE_URL, into_archive, "text/html; charset=none").decode()
    assert 'href=""' in out and 'href="/demo/20261125120000if_/http://www.presstv.ir/ok"' in out


def test_srcset_urls_may_hold_commas_and_data_urls_survive():
    out = rewritten('<img srcset="https://res.example/w_400,h_300/a.jpg 400w, data:image/gif;base64,R0lG 1w">')
    assert (
        'srcset="/demo/20261125120000if_/https://res.example/w_400,h_300/a.jpg 400w, data:image/gif;base64,R0lG 1w"'
    ) in out


def test_an_empty_page_is_an_extract_error():
    with pytest.raises(ExtractError, match="cannot rewrite this page for viewing"):
        rewrite_html(b"", PAGE_URL, into_archive)


def test_content_type_helpers():
    assert is_html("text/html; charset=windows-1256") and is_html("application/xhtml+xml")
    assert not is_html("image/jpeg") and not is_html(None)
    assert charset_of('text/html; charset="windows-1256"') == "windows-1256" and charset_of("text/html") is None


def capture(payload: bytes, headers: list[tuple[str, str]]) -> RetrievedCapture:
    return RetrievedCapture(
        row={"record_id": "r"}, original={"record_id": "r"}, status=200, http_headers=headers, payload=payload
    )


def test_framed_decodes_a_gzipped_page_and_replaces_its_type_and_encoding_headers():
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    body, sent = framed(capture(gzip.compress(b'<a href="/x">x</a>'), headers), PAGE_URL, into_archive, headers)
    assert b'href="/demo/20261125120000if_/http://www.presstv.ir/x"' in body
    assert sent == [("Content-Type", "text/html; charset=utf-8")]


def test_framed_passes_anything_but_html_through_unchanged():
    headers = [("Content-Type", "image/jpeg")]
    assert framed(capture(b"\xff\xd8jpeg", headers), PAGE_URL, into_archive, headers) == (b"\xff\xd8jpeg", headers)


def test_framed_falls_back_to_the_archived_bytes_when_the_encoding_is_broken(caplog):
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    assert framed(capture(b"not gzip", headers), PAGE_URL, into_archive, headers) == (b"not gzip", headers)
    assert "framed view falls back to the raw capture" in caplog.text


def test_a_style_sheets_urls_and_imports_point_into_the_archive():
    css = b'@import "/print.css"; body { background: url( /bg.png ) } .a { background: url("img/a.png") }'
    out = rewrite_css(css, "http://www.presstv.ir/css/site.css", into_archive).decode()
    assert '@import "/demo/20261125120000if_/http://www.presstv.ir/print.css"' in out
    assert "url(/demo/20261125120000if_/http://www.presstv.ir/bg.png)" in out
    assert 'url("/demo/20261125120000if_/http://www.presstv.ir/css/img/a.png")' in out


def test_a_style_sheets_data_urls_and_fragment_references_are_left_alone():
    css = b".b { background: url(data:image/png;base64,AA) } .c { filter: url(#blur) }"
    assert rewrite_css(css, "http://www.presstv.ir/css/site.css", into_archive) == css


def test_a_style_sheets_own_charset_rule_is_honoured_and_dropped():
    css = '@charset "windows-1256"; .t::after { content: "عاجل"; }'.encode("cp1256")
    out = rewrite_css(css, "http://www.presstv.ir/css/site.css", into_archive).decode("utf-8")
    assert out == '.t::after { content: "عاجل"; }'


def test_framed_rewrites_a_style_sheet_and_says_it_is_utf8():
    headers = [("Content-Type", "text/css")]
    body, sent = framed(capture(b"p { background: url(/p.png) }", headers), PAGE_URL, into_archive, headers)
    assert body == b"p { background: url(/demo/20261125120000if_/http://www.presstv.ir/p.png) }"
    assert sent == [("Content-Type", "text/css; charset=utf-8")]


@pytest.mark.parametrize(
    "hostile",
    [
        "<style>" + "url(" * 100_000 + "</style>",
        '<p style="' + "url(" * 100_000 + '">x</p>',
        "<style>" + "url(a) " * 30_000 + "</style>",
        '<meta http-equiv="refresh" content="' + "a" * 400_000 + '">',
        "<style>" + '@import "' * 100_000 + "</style>",
    ],
    ids=["unclosed-urls", "unclosed-urls-in-style-attribute", "many-urls", "long-refresh", "unclosed-imports"],
)
def test_rewriting_takes_time_linear_in_the_page_whatever_it_holds(hostile):
    started = time.process_time()  # this process's CPU: other jobs on the machine do not count
    rewritten(f"<html><head></head><body>{hostile}</body></html>")
    assert time.process_time() - started < 5  # lxml's own CSS patterns took minutes (quadratic, under the GIL)


def test_links_in_style_elements_and_attributes_are_rewritten_once_each():
    out = rewritten(
        "<html><head><style>@import 'a.css'; p { background: url(\"/p.png\") } q { background: url(/q.png) }"
        '</style></head><body><div style="background:url(/d.png)"></div></body></html>'
    )
    assert "@import '/demo/20261125120000if_/http://www.presstv.ir/Detail/2026/11/20/777400/a.css'" in out
    assert 'url("/demo/20261125120000if_/http://www.presstv.ir/p.png")' in out
    assert "url(/demo/20261125120000if_/http://www.presstv.ir/q.png)" in out
    assert "url(/demo/20261125120000if_/http://www.presstv.ir/d.png)" in out
    assert out.count("if_/") == 4


def test_a_meta_refresh_without_a_url_is_left_alone():
    assert 'content="30"' in rewritten('<html><head><meta http-equiv="refresh" content="30"></head></html>')


def test_framed_refuses_a_bomb_instead_of_inflating_it():
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    with pytest.raises(BodyTooLargeError, match="once decoded"):
        framed(capture(gzip_bomb(32 * 2**20), headers), PAGE_URL, into_archive, headers)
