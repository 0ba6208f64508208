"""Normalization and the content fingerprint: what counts as the same content, and what not.

Stored versions are fingerprinted anew whenever they are compared, so a change here cannot
make archived articles look edited; it does change what counts as an edit from then on, so
the pinned hashes below fail first and a change to them must be meant.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from archive.detect.fingerprint import Fingerprint, fingerprint
from archive.detect.noise import NoiseModel
from archive.detect.normalize import FIELDS, normalize_text, normalize_url
from archive.extract import Extracted, extract
from tests.archive.extract.support import saved_page


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  Iran\u00a0 slams\t\nsanctions  ", "Iran slams sanctions"),
        ("zero\u200bwidth\u200d join\ufeff and soft\u00adhyphen", "zerowidth join and softhyphen"),
        ("\u201cQuoted\u201d and \u2018single\u2019 \u00abguillemets\u00bb", '"Quoted" and \'single\' "guillemets"'),
        ("Sa\u2019ar\u2019s", "Sa'ar's"),
        ("2019\u20132020 \u2014 a dash \u2212 a minus \u2010 a hyphen", "2019-2020 - a dash - a minus - a hyphen"),
        ("cafe\u0301", "caf\u00e9"),
        ("wait\u2026", "wait..."),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, normal: str) -> None:
    assert normalize_text(raw) == normal


def test_normalize_text_keeps_case_and_words() -> None:
    assert normalize_text("Iran SLAMS") != normalize_text("Iran slams")
    assert normalize_text("killed 10") != normalize_text("killed 100")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (
            "https://WWW.PressTV.ir/Detail/2026/1/2/3/x?utm_source=tw&utm_medium=social&id=5#comments",
            "https://www.presstv.ir/Detail/2026/1/2/3/x?id=5",
        ),
        ("http://cdn.presstv.ir:80/Photo/a.jpg?fbclid=abc&gclid=def", "http://cdn.presstv.ir/Photo/a.jpg"),
        ("https://example.com:8443/a?b=1&c=2", "https://example.com:8443/a?b=1&c=2"),
        ("HTTP://Example.COM/Path/Case", "http://example.com/Path/Case"),
        ("https://example.com/a?q=a%20b&UTM_Campaign=x&mc_eid=1", "https://example.com/a?q=a+b"),
        ("not a url", "not a url"),
        ("http://[::1]:9/x", "http://[::1]:9/x"),
        ("http://bad:port/x", "http://bad:port/x"),
    ],
)
def test_normalize_url(raw: str, normal: str) -> None:
    assert normalize_url(raw) == normal


def _sample() -> Extracted:
    page = saved_page("sample")
    return extract("presstv", page.html, page.url, content_type=page.content_type)


def test_field_hashes_are_sha256_of_the_normalized_text() -> None:
    """Derived from the saved page's expected text by hand, not from the code under test."""
    want = saved_page("sample").expected
    prints = fingerprint(_sample())

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    assert prints.fields["headline"] == sha(want["headline"])
    assert prints.fields["body"] == sha("\n".join(want["body"]))
    assert prints.fields["captions"] == sha("\n".join(want["captions"]))
    assert prints.fields["images"] == sha("\n".join(u.lower() for u in want["images"]))  # paths compared caseless
    assert prints.fields["section"] == sha("News / Syria\n102")
    assert prints.fields["byline"] == sha("")
    assert prints.fields["published"] == sha("2026-11-18T08:20:00+00:00")
    assert prints.whole == sha("".join(f"{name}={prints.fields[name]}\n" for name in FIELDS))


def test_fingerprint_of_the_sample_page_is_pinned() -> None:
    assert fingerprint(_sample()).whole == "35b5e7bf39934d8482f2b2ffdf4516e6c7560a93b976b898aebf5a08bd1a4a54"


def test_a_content_given_lists_has_the_fingerprint_of_the_same_content_in_tuples() -> None:
    base = _sample()
    listed = dataclasses.replace(base, body=list(base.body), images=list(base.images))  # type: ignore[arg-type]
    assert fingerprint(listed, NoiseModel()) == fingerprint(base, NoiseModel())  # each model remembers its own
    assert fingerprint(dataclasses.replace(listed, body=[*base.body, "One more."])) != fingerprint(base)  # type: ignore[arg-type]


def test_metadata_is_not_hashed() -> None:
    base = _sample()
    moved = dataclasses.replace(
        base,
        last_update=date(2030, 1, 1),
        dc_created=datetime(2030, 1, 1, tzinfo=UTC),
        slug="another-slug",
        title_tag="Another title",
        meta={"og:title": "Another"},
    )
    assert fingerprint(moved) == fingerprint(base)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"headline": "Other"}, "headline"),
        ({"lead": "Other"}, "lead"),
        ({"body": (_sample().body[0], "Two.")}, "body"),  # the paragraph the lead starts stays
        ({"captions": ("A photo. (Photo by AP)",)}, "captions"),
        ({"images": ("http://cdn.presstv.ir/Photo/other.jpg",)}, "images"),
        ({"section": "News / Iraq"}, "section"),
        ({"section_ids": ("101",)}, "section"),
        ({"byline": "Jane Roe"}, "byline"),
        ({"published": datetime(2020, 1, 1, tzinfo=UTC)}, "published"),
        ({"published": None}, "published"),
    ],
)
def test_each_field_has_its_own_hash(change: dict[str, object], field: str) -> None:
    base = _sample()
    changed = fingerprint(dataclasses.replace(base, **change))  # type: ignore[arg-type]
    assert changed.changed(fingerprint(base)) == (field,)
    assert changed.whole != fingerprint(base).whole


def test_a_lead_that_starts_a_paragraph_is_that_paragraph_however_each_mirror_cuts_it() -> None:
    base = _sample()
    first = base.body[0]
    cut = [dataclasses.replace(base, lead=first[:n] + tail) for n, tail in ((60, "..."), (90, " …"), (len(first), ""))]
    assert len({fingerprint(c).fields["lead"] for c in cut}) == 1
    rewritten = dataclasses.replace(
        base, lead="An opening paragraph rewritten.", body=("An opening paragraph rewritten.", *base.body[1:])
    )
    assert fingerprint(rewritten).fields["lead"] == fingerprint(cut[0]).fields["lead"]  # one rewrite: the body's
    assert fingerprint(dataclasses.replace(base, lead="A description of its own.")).changed(fingerprint(base)) == (
        "lead",
    )


def test_typography_whitespace_and_tracking_links_are_not_changes() -> None:
    base = _sample()
    retyped = dataclasses.replace(
        base,
        headline=base.headline.replace("'", "\u2019").replace(" ", "\u00a0 "),
        body=(*(p.replace('"', "\u201c") + " \u200b" for p in base.body), "  "),
        images=tuple(
            u.replace("http://cdn.presstv.ir", "http://CDN.presstv.ir:80") + "?utm_source=x" for u in base.images
        ),
        published=base.published.astimezone(timezone(timedelta(hours=3, minutes=30))) if base.published else None,
    )
    assert retyped != base
    assert fingerprint(retyped) == fingerprint(base)


def test_paragraph_boundaries_and_image_order_count() -> None:
    base = _sample()
    merged = dataclasses.replace(base, body=(" ".join(base.body[:2]), *base.body[2:]))
    assert fingerprint(merged).changed(fingerprint(base)) == ("body",)
    reordered = dataclasses.replace(base, images=tuple(reversed(base.images)))
    assert fingerprint(reordered).changed(fingerprint(base)) == ("images",)


def test_fingerprints_compare_and_hash_by_value() -> None:
    one, two = fingerprint(_sample()), fingerprint(_sample())
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert isinstance(one, Fingerprint)
