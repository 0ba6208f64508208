"""Extraction remembered per page, shared by the mirrors serving the same bytes (the workers that run it
on every core: tests/archive/detect/test_ahead.py)."""

from __future__ import annotations

from datetime import date

import pytest

from archive.extract import Extracted, extract
from archive.extract import remembered as rem
from archive.simulate import SimulatedOutlet


@pytest.fixture
def pages() -> list[rem.Page]:
    with SimulatedOutlet(articles=80, today=date(2026, 11, 20)) as sim:
        return [
            (
                "presstv",
                sim.page_for("www.presstv.ir", sim.article_path(i)).body,
                f"http://www.presstv.ir{sim.article_path(i)}",
                "text/html; charset=utf-8",
            )
            for i in sim.site.article_ids()
        ]


def test_a_page_is_extracted_once_and_other_bytes_or_another_path_are_not_taken_for_it(pages, monkeypatch):
    rem.forget()
    calls = []
    monkeypatch.setattr(rem, "extract", lambda *a, **k: calls.append(a) or extract(*a, **k))
    name, html, url, content_type = pages[0]
    first = rem.extract_once(pages[0])
    assert rem.extract_once(pages[0]) is first and len(calls) == 1
    rem.extract_once((name, html, url + "?page=2", content_type))  # another URL on the same host
    rem.extract_once((name, html + b" ", url, content_type))  # other bytes
    rem.extract_once((name, html, url, "text/html; charset=latin-1"))  # read otherwise
    assert len(calls) == 4


MIRRORS = ("www.presstv.co.uk", "presstv.tv", "www.presstv.com:8080")


def on(page: rem.Page, host: str, html: bytes | None = None) -> rem.Page:
    name, body, url, content_type = page
    return (name, body if html is None else html, url.replace("www.presstv.ir", host, 1), content_type)


def relative_images(html: bytes) -> bytes:
    """The page with its pictures on its own host (``/Photo/...``) instead of the CDN's."""
    return html.replace(b"http://cdn.presstv.ir/", b"/").replace(b"https://cdn.presstv.ir/", b"/")


def test_the_same_bytes_on_every_mirror_are_extracted_once_and_give_what_each_mirror_would(pages, monkeypatch):
    rem.forget()
    calls = []
    monkeypatch.setattr(rem, "extract", lambda *a, **k: calls.append(a) or extract(*a, **k))
    page = on(pages[0], "www.presstv.ir", relative_images(pages[0][1]))
    copies = [page, *(on(page, host) for host in MIRRORS)]
    shared = [rem.extract_once(copy) for copy in copies]
    assert len(calls) == 1
    assert shared == [extract(n, h, u, content_type=c) for n, h, u, c in copies]  # images on each mirror's host
    assert shared[1].images and all(image.startswith("http://www.presstv.co.uk/") for image in shared[1].images)


def test_a_page_naming_a_mirror_is_extracted_again_on_that_mirror(pages, monkeypatch):
    rem.forget()
    calls = []
    monkeypatch.setattr(rem, "extract", lambda *a, **k: calls.append(a) or extract(*a, **k))
    name, html, url, content_type = pages[0]
    # "Tags:" links to the site's own tag page, once absolute on the co.uk mirror: whether that
    # line is navigation depends on the host the page is read on.
    tags = b'<p>Tags: <a href="http://www.presstv.co.uk/tag/iran">Iran</a> <a href="/tag/trade">Trade</a></p>'
    opening = html.index(b">", html.index(b'class="news-body-container')) + 1
    named = html[:opening] + tags + html[opening:]
    page = (name, named, url, content_type)
    copies = [page, on(page, "www.presstv.co.uk"), on(page, "presstv.tv")]
    got = [rem.extract_once(copy) for copy in copies]
    assert got == [extract(n, h, u, content_type=c) for n, h, u, c in copies]
    assert [call[2] for call in calls] == [copies[0][2], copies[1][2]]  # presstv.tv shares www's
    assert got[1].body != got[0].body  # on co.uk the line is the site's navigation, left out
    assert rem.extract_once(copies[1]) is got[1] and rem.extract_once(copies[0]) is got[0] and len(calls) == 2


@pytest.mark.parametrize(
    ("image", "rebased"),
    [
        ("http://www.presstv.ir/Photo/a.jpg", "http://presstv.tv/Photo/a.jpg"),
        ("http://www.presstv.ir?i=1", "http://presstv.tv?i=1"),
        ("http://www.presstv.ir.example/Photo/a.jpg", "http://www.presstv.ir.example/Photo/a.jpg"),
        ("http://www.presstv.ir:8080/a.jpg", "http://www.presstv.ir:8080/a.jpg"),
        ("https://www.presstv.ir/a.jpg", "https://www.presstv.ir/a.jpg"),
    ],
)
def test_only_images_on_the_page_s_own_origin_are_rebased(image, rebased):
    extracted = Extracted(images=(image,), linked_hosts=frozenset({"www.presstv.ir.example", "www.presstv.ir:8080"}))
    assert rem.rebase(extracted, "http", "www.presstv.ir", "presstv.tv") == Extracted(
        images=(rebased,), linked_hosts=extracted.linked_hosts
    )


def test_an_extractor_that_does_not_note_hosts_is_never_shared_between_mirrors():
    assert rem.rebase(Extracted(images=("http://a/x.jpg",)), "http", "a", "b") is None
    assert rem.rebase(Extracted(linked_hosts=frozenset({"b"})), "http", "a", "b") is None
