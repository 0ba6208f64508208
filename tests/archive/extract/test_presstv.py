"""The Press TV extractor on saved pages and on the simulated outlet, live and through WARC.

Expected values of the saved pages were written by reading the pages (tests/fixtures/pages/
*.json); the live tests drive the simulated outlet's events and check which field hashes
move, since that is what decides whether a new version (and an alert) exists.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.detect.fingerprint import fingerprint
from archive.detect.normalize import FIELDS
from archive.extract import Extracted, ExtractError, extract, extractor_names
from archive.extract.presstv import alternate_addresses, slug_of
from tests.archive.extract.support import BOILERPLATE, PAGE_NAMES, PAGES, fetch, saved_page, through_warc


def _presstv(page: Any) -> Extracted:
    return extract("presstv", page.html, page.url, content_type=page.content_type)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_saved_page_extracts_to_its_expected_fields(name: str) -> None:
    page = saved_page(name)
    got, want = _presstv(page), page.expected
    scalar = ("headline", "lead", "section", "byline", "slug", "title_tag")
    for key in (k for k in scalar if k in want):
        assert getattr(got, key) == want[key], key
    for key in ("section_ids", "captions", "images", "body"):
        if key in want:
            assert list(getattr(got, key)) == want[key], key
    assert len(got.body) == want["body_count"]
    for key, index in (("body_first", 0), ("body_second", 1), ("body_third", 2), ("body_fourth", 3), ("body_last", -1)):
        if key in want:
            assert got.body[index] == want[key], key
    assert _iso(got.published) == want["published"]
    assert _iso(got.last_update) == want["last_update"]
    assert _iso(got.dc_created) == want["dc_created"]
    if "meta_title" in want:
        assert got.meta["title"] == want["meta_title"]
        assert got.meta["og:image"] == want["images"][0]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_boilerplate_cards_and_widgets_stay_out_of_the_text(name: str) -> None:
    page = saved_page(name)
    got = _presstv(page)
    card = re.search(rb'<div class="oembed-card"><a href="[^"]*">([^<]*)</a>', page.html)
    assert card is not None
    text = "\n".join((*got.body, *got.captions, got.headline, got.lead, got.section))
    for phrase in (*BOILERPLATE, card.group(1).decode()):
        assert phrase not in text, phrase
    assert "Last Update" not in text


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_alternate_addresses_lists_the_footer_hosts(name: str) -> None:
    page = saved_page(name)
    if "alternate_addresses" in page.expected:
        assert list(alternate_addresses(page.html)) == page.expected["alternate_addresses"]
    else:
        assert "www.presstv.co.uk" in alternate_addresses(page.html)


def test_alternate_addresses_read_from_the_sentence_itself_and_plain_text_paragraphs() -> None:
    html = (
        b"<div class='news-body-container'><p>Text.</p>"
        b"<p>Press TV\xe2\x80\x99s website can also be accessed at the following alternate addresses: "
        b"www.presstv.co.uk</p><p>PRESSTV.TV, presstv.ir</p><p>Follow us on X</p><p>evil.example</p></div>"
    )
    assert alternate_addresses(html) == ("www.presstv.co.uk", "presstv.tv", "presstv.ir")
    assert alternate_addresses(b"<p>No footer here: www.presstv.co.uk</p>") == ()


def test_the_same_bytes_always_give_the_same_extraction_and_fingerprint() -> None:
    page = saved_page("sample")
    first, second = _presstv(page), _presstv(page)
    assert first == second
    assert fingerprint(first) == fingerprint(second)


def test_edited_page_differs_from_the_sample_in_exactly_the_edited_fields() -> None:
    sample, edited = saved_page("sample"), saved_page("edited")
    before, after = fingerprint(_presstv(sample)), fingerprint(_presstv(edited))
    assert after.changed(before) == tuple(edited.expected["changed_from_sample"])
    assert before.whole != after.whole


def test_markup_noise_the_simulator_does_not_inject_changes_nothing() -> None:
    """Attribute order, indentation and line breaks, quoting style and entity spelling."""
    page = saved_page("sample")
    noisy = page.html.replace(b'<meta property="og:image" content="', b'<meta  content="')
    noisy = re.sub(rb'<meta  content="([^"]*)">', rb'<meta content="\1" property="og:image">', noisy)
    noisy = noisy.replace(b"<p>", b"\n   <p >\n\t").replace(b"</p>", b"\n</p >\n")
    noisy = noisy.replace(b"&#x27;", b"&apos;").replace(b'alt=""', b"alt=''")
    assert noisy != page.html
    assert fingerprint(extract("presstv", noisy, page.url)) == fingerprint(_presstv(page))


def test_unknown_extractor_names_the_known_ones() -> None:
    assert extractor_names() == ("generic", "presstv")
    with pytest.raises(ExtractError, match=r"unknown extractor 'nytimes': use one of generic, presstv"):
        extract("nytimes", b"<p>x</p>", "http://example.com/")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), None, "PNG image"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "text/html", "still compressed"),
        (b"<html>whatever</html>", "image/jpeg", "Content-Type image/jpeg is not HTML"),
        (bytes(range(32)) * 20, None, "looks binary"),
    ],
)
def test_binary_content_is_refused_with_a_clear_message(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        extract("presstv", body, "http://www.presstv.ir/Detail/2026/1/1/1/x", content_type=content_type)


def test_a_page_without_article_markup_gives_what_there_is() -> None:
    got = extract("presstv", b"<html><head><title>404 - PressTV</title></head><body><h1>404</h1>", "http://x/")
    assert got.headline == "404"
    assert got.body == () and got.published is None and got.section == ""
    assert got.not_article.startswith("an error page")


def test_a_seizure_notice_served_with_200_is_not_an_article(sim: Any) -> None:
    sim.seize("www.presstv.com")
    reply = fetch(sim, sim.sample_id, "www.presstv.com")
    assert reply.status == 200
    got = extract("presstv", reply.body, reply.url)
    assert got.not_article.startswith("a domain seizure notice"), got.not_article
    assert extract("presstv", fetch(sim, sim.sample_id).body, reply.url).not_article == ""


@pytest.mark.parametrize(
    ("title", "error_page"),
    [
        ("404 - PressTV", True),
        ("503 Service Unavailable", True),
        ("Page not found - PressTV", True),
        ("Error", True),
        ("500 killed in Gaza strikes - PressTV", False),
        ("Error by US pilot blamed for crash - PressTV", False),
    ],
)
def test_error_pages_are_told_from_headlines_by_their_title(title: str, error_page: bool) -> None:
    html = f"<html><head><title>{title}</title></head><body><h1 class='news-title-container'>{title}</h1>"
    got = extract("presstv", html.encode(), "http://x/")
    assert got.not_article.startswith("an error page") is error_page, got.not_article


def test_a_page_of_another_template_is_not_an_article() -> None:
    got = extract("presstv", b"<html><head><title>PressTV</title></head><body><p>Hi</p></body>", "http://x/")
    assert "no h1.news-title-container and no div.news-body-container" in got.not_article


def test_a_story_about_a_seizure_is_still_an_article(sim: Any) -> None:
    article = sim.site.article_ids()[1]
    sim.edit_headline(article, "US says the domain has been seized by the United States Government")
    assert extract("presstv", fetch(sim, article).body, "http://x/").not_article == ""


def test_the_byline_under_the_headline_is_read_without_its_by(sim: Any) -> None:
    signed = next(i for i in sim.site.article_ids() if sim.site.get(i).byline)
    unsigned = next(i for i in sim.site.article_ids() if not sim.site.get(i).byline)
    assert extract("presstv", fetch(sim, signed).body, "http://x/").byline == sim.site.get(signed).byline
    assert extract("presstv", fetch(sim, unsigned).body, "http://x/").byline == ""


def test_figcaptions_lazy_images_and_relative_links_are_handled() -> None:
    html = (
        b'<div class="news-body-container"><figure><img data-src="/Photo/a.jpg"><figcaption>Crowds in Tehran'
        b"</figcaption></figure><p>Body text.<br>Second line.</p><p><img src='data:image/png;base64,AAAA'></p>"
        b"<p>Quoted (File photo)</p></div>"
    )
    got = extract("presstv", html, "https://www.presstv.ir/Detail/2026/01/02/3/slug")
    assert got.images == ("https://www.presstv.ir/Photo/a.jpg",)
    assert got.captions == ("Crowds in Tehran", "Quoted (File photo)")
    assert got.body == ("Body text.", "Second line.")


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://www.presstv.ir/Detail/2019/1/23/586775/Iran-slams-US", "Iran-slams-US"),
        ("https://presstv.ir/Detail/2026/10/31/776078/Sa%E2%80%99ar%E2%80%99s-remarks-", "Sa\u2019ar\u2019s-remarks-"),
        ("https://www.presstv.ir/detail/2013/05/06/1/", ""),
        ("https://www.presstv.ir/detail/229731.html", ""),
    ],
)
def test_slug_comes_percent_decoded_from_the_url(url: str, slug: str) -> None:
    assert slug_of(url) == slug


# -- the simulated outlet, live ------------------------------------------------------------


def _print(sim: Any, article_id: int, host: str | None = None, *, gzip: bool = False, tmp: Path | None = None) -> Any:
    reply = fetch(sim, article_id, host, gzip=gzip)
    assert reply.status == 200
    if tmp is None:
        assert reply.header("Content-Encoding") is None
        return fingerprint(extract("presstv", reply.body, reply.url, content_type=reply.header("Content-Type")))
    html, content_type = through_warc(tmp, reply)
    return fingerprint(extract("presstv", html, reply.url, content_type=content_type))


def test_ten_fetches_with_changing_noise_gzip_and_plain_give_one_fingerprint(sim: Any, tmp_path: Path) -> None:
    article = sim.sample_id
    sim.site.markup_noise = True  # attribute order, whitespace and ad slots too, every other request
    prints, bodies = [], set()
    for attempt in range(10):
        gzip = attempt % 2 == 0
        sim.set_encoding(chunked=attempt % 3 == 0)
        reply = fetch(sim, article, gzip=gzip)
        assert (reply.header("Content-Encoding") == "gzip") is gzip
        html, content_type = through_warc(tmp_path / str(attempt), reply)
        bodies.add(html)
        prints.append(fingerprint(extract("presstv", html, reply.url, content_type=content_type)))
    assert len(bodies) == 10, "every fetch should carry different noise (views, clock, related order)"
    assert all(p == prints[0] for p in prints)


def test_ad_slots_pulled_into_a_malformed_body_are_not_text(sim: Any) -> None:
    article = sim.site.live_ids()[3]
    sim.malformed(article)
    sim.site.markup_noise = True
    replies = [fetch(sim, article) for _ in range(2)]
    assert sum(b"Advertisement" in r.body for r in replies) == 1
    first, second = (extract("presstv", r.body, r.url) for r in replies)
    assert "Advertisement" not in " ".join(first.body + second.body)
    assert fingerprint(first) == fingerprint(second)


def test_every_mirror_serves_the_same_fingerprint(sim: Any) -> None:
    prints = {host: _print(sim, sim.sample_id, host) for host in sim.hosts}
    assert len(set(prints.values())) == 1, prints


EDIT_AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        (lambda sim, a: sim.edit_headline(a, "A new headline"), ("headline",)),
        (lambda sim, a: sim.edit_headline(a, "A declared headline", declared=True), ("headline",)),
        (lambda sim, a: sim.edit_body(a, replace={3: "A reworded fourth paragraph."}), ("body",)),
        # the description is the first paragraph's start: hashed as such, the rewrite is the body's
        (lambda sim, a: sim.edit_body(a, replace={0: "A new first paragraph."}), ("body",)),
        (lambda sim, a: sim.edit_caption(a, 1, "Soldiers in Hama. (Photo by AP)"), ("captions",)),
        (lambda sim, a: sim.edit_date(a, EDIT_AT), ("published",)),
        (lambda sim, a: sim.declare_update(a), ()),
        (lambda sim, a: sim.edit_lead(a, "A rewritten description."), ("lead",)),
        (lambda sim, a: sim.edit_byline(a, "Sara Karimi"), ("byline",)),
    ],
    ids=[
        "headline",
        "declared-headline",
        "body",
        "first-paragraph",
        "caption",
        "date",
        "declare-update",
        "lead",
        "byline",
    ],
)
def test_each_edit_changes_exactly_its_field_hashes(sim: Any, edit: Any, changed: tuple[str, ...]) -> None:
    article = sim.sample_id
    before_reply = fetch(sim, article)
    before = extract("presstv", before_reply.body, before_reply.url)
    edit(sim, article)
    after_reply = fetch(sim, article)
    after = extract("presstv", after_reply.body, after_reply.url)
    assert fingerprint(after).changed(fingerprint(before)) == changed
    assert (fingerprint(after).whole == fingerprint(before).whole) is (changed == ())
    if changed == ("published",):
        assert after.published == EDIT_AT
    if not changed:
        assert isinstance(after.last_update, date) and after.last_update != before.last_update


def test_malformed_page_keeps_every_paragraph(sim: Any) -> None:
    article = sim.site.live_ids()[3]
    clean = extract("presstv", fetch(sim, article).body, "http://x/")
    sim.malformed(article)
    reply = fetch(sim, article)
    assert b"\x00" in reply.body
    broken = extract("presstv", reply.body, reply.url)
    assert len(broken.body) == len(sim.site.get(article).paragraphs) == len(clean.body)
    assert broken.headline == clean.headline and broken.captions == clean.captions
    assert broken.published == clean.published and broken.images == clean.images
    assert fingerprint(broken).changed(fingerprint(clean)) == ("body",), "only the damaged bytes differ"


def test_oversized_page_extracts_like_the_plain_one(sim: Any) -> None:
    article = sim.site.live_ids()[2]
    plain = _print(sim, article)
    sim.oversized(article, 6 * 1024 * 1024)
    reply = fetch(sim, article)
    assert len(reply.body) == 6 * 1024 * 1024
    assert fingerprint(extract("presstv", reply.body, reply.url)) == plain


def test_hash_fields_are_the_documented_ones() -> None:
    prints = fingerprint(_presstv(saved_page("sample")))
    assert tuple(prints.fields) == FIELDS
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in (*prints.fields.values(), prints.whole))


@pytest.mark.parametrize(
    ("text", "caption"),
    [
        ("Protesters in Tehran. (Photo by AFP)", True),
        ("A view of the port. (File photo)", True),
        ("Smoke over Gaza (Photo via Telegram).", True),
        ("The scene after the strike (Screengrab)", True),
        ("Officials said the talks would resume (via IRNA).", False),
        ("The Islamic Revolution Guards Corps (IRGC) said on Monday.", False),
        ("Photo by AFP shows nothing in particular", False),
    ],
)
def test_captions_are_told_by_their_credit(text: str, caption: bool) -> None:
    html = f"<div class='news-body-container'><p>{text}</p></div>".encode()
    got = extract("presstv", html, "http://x/")
    assert (got.captions, got.body) == (((text,), ()) if caption else ((), (text,)))


def test_saved_pages_are_what_the_simulated_outlet_renders() -> None:
    """When the simulator's markup changes, regenerate with make_pages.py and recheck the .json by hand."""
    spec = importlib.util.spec_from_file_location("make_pages", PAGES / "make_pages.py")
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    for name, (host, prepare) in builder.PAGES.items():
        sim = builder._outlet()
        article = prepare(sim)
        assert sim.page_for(host, sim.article_path(article)).body == saved_page(name).html, name
        assert sim.article_url(article, host) == saved_page(name).url, name
