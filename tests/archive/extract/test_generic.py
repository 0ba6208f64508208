"""The generic (trafilatura) extractor: what it can promise on any outlet's pages.

It knows nothing of Press TV, so these tests hold it to what a structural extractor
should get from the same saved pages (headline, main text, captions, lead image, the day
of publication) and to never failing on broken or odd input.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from archive.detect.fingerprint import fingerprint
from archive.extract import ExtractError, extract
from tests.archive.extract.support import PAGE_NAMES, fetch, saved_page


def _generic(name: str) -> Any:
    page = saved_page(name)
    return extract("generic", page.html, page.url, content_type=page.content_type)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_saved_pages_give_headline_text_captions_and_day(name: str) -> None:
    page = saved_page(name)
    got, want = _generic(name), page.expected
    assert got.headline == want["headline"]
    first = want["body"][0] if "body" in want else want.get("body_first")
    if first:
        assert got.body[0] == first
    assert len(got.body) >= want["body_count"]
    assert list(got.captions) == want["captions"]
    if "images" in want:
        assert list(got.images) == want["images"]
    day = datetime.fromisoformat(want["published"]).replace(hour=0, minute=0)
    assert got.published == day
    assert got.last_update is None and got.dc_created is None
    assert got.slug == want["slug"]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_widgets_and_related_cards_are_left_out(name: str) -> None:
    page = saved_page(name)
    got = _generic(name)
    card = re.search(rb'<div class="oembed-card"><a href="[^"]*">([^<]*)</a>', page.html)
    assert card is not None
    text = "\n".join(got.body)
    for phrase in ("SHARE THIS ARTICLE", "Related stories", "views", "Install the new version", card.group(1).decode()):
        assert phrase not in text, phrase


def test_generic_and_presstv_agree_on_the_article_text() -> None:
    """trafilatura keeps the outlet's footer sentence, which only the outlet module knows."""
    page = saved_page("sample")
    generic = _generic("sample")
    presstv = extract("presstv", page.html, page.url)
    assert generic.body[: len(presstv.body)] == presstv.body
    assert [p for p in generic.body[len(presstv.body) :] if "alternate addresses" not in p] == []


def test_same_bytes_give_the_same_fingerprint() -> None:
    assert fingerprint(_generic("malformed")) == fingerprint(_generic("malformed"))


def test_noise_does_not_change_the_generic_fingerprint(sim: Any) -> None:
    prints, bodies = set(), set()
    for _ in range(3):
        reply = fetch(sim, sim.sample_id)
        bodies.add(reply.body)
        prints.add(fingerprint(extract("generic", reply.body, reply.url)))
    assert len(bodies) == 3
    assert len(prints) == 1


def test_a_page_without_main_text_gives_its_metadata() -> None:
    html = (
        b'<html><head><title>Nothing here</title><meta property="og:title" content="OG title">'
        b'<meta name="description" content="A description"></head><body><nav><a href="/">Home</a></nav></body></html>'
    )
    got = extract("generic", html, "https://example.org/news/")
    assert got.body == ()
    assert got.headline in ("OG title", "Nothing here")
    assert got.lead == "A description"
    assert got.meta == {"og:title": "OG title", "description": "A description"}


def test_an_article_of_another_outlet_with_byline_and_date() -> None:
    html = (
        "<html><head><title>Harbour reopens - Example Times</title>"
        '<meta name="author" content="Jane Roe">'
        '<meta property="article:published_time" content="2026-03-04T05:06:07Z"></head><body>'
        "<header><nav>Home | World | Sport</nav></header><article><h1>Harbour reopens after storm</h1>"
        "<p>The harbour reopened on Tuesday after a week of repairs to the breakwater, officials said.</p>"
        "<figure><img src='/img/harbour.jpg'><figcaption>Boats return to the harbour (Photo by AP)"
        "</figcaption></figure>"
        "<p>Fishermen said the closure had cost them most of the season\u2019s first catch, and asked "
        "for compensation from the port authority.</p></article>"
        "<footer>Copyright Example Times</footer></body></html>"
    ).encode()
    got = extract("generic", html, "https://news.example.com/2026/03/04/harbour-reopens.html")
    assert got.headline in ("Harbour reopens after storm", "Harbour reopens - Example Times")
    assert got.byline == "Jane Roe"
    assert got.published == datetime(2026, 3, 4, tzinfo=UTC)
    assert got.body[0].startswith("The harbour reopened on Tuesday")
    assert "Copyright Example Times" not in " ".join(got.body)
    assert "https://news.example.com/img/harbour.jpg" in got.images
    assert got.slug == "harbour-reopens"


def test_binary_content_is_refused() -> None:
    with pytest.raises(ExtractError, match="JPEG image"):
        extract("generic", b"\xff\xd8\xff\xe0" + bytes(300), "https://example.org/a.jpg")


def test_malformed_and_oversized_pages_of_the_simulated_outlet(sim: Any) -> None:
    article = sim.site.live_ids()[2]
    plain = extract("generic", fetch(sim, article).body, sim.article_url(article))
    sim.oversized(article, 6 * 1024 * 1024)
    big = fetch(sim, article)
    assert len(big.body) == 6 * 1024 * 1024
    assert fingerprint(extract("generic", big.body, big.url)) == fingerprint(plain)
    sim.malformed(article)
    broken = extract("generic", fetch(sim, article).body, big.url)
    assert broken.headline == plain.headline
    assert len(broken.body) == len(plain.body)
