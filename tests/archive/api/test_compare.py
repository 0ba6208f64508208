"""The compare page's sections: headed in plain words, old → new, never in diff markup."""

from __future__ import annotations

from dataclasses import replace

import pytest

from archive.api.compare import MAX_VALUE_CHARS, VersionOrderError, check_order, sections
from tests.archive.detect.test_changes import BASE


def edited(*, declared: bool = False, **fields):
    hashes = dict(BASE.hashes)
    for name in fields:
        hashes[name] = hashes[name] + "'"
    stamp = "2026-12-01" if declared else BASE.last_update
    return replace(BASE, version=2, record_id="<urn:uuid:2>", hashes=hashes, last_update=stamp, **fields)


def test_a_headline_edit_is_headed_in_plain_words_with_old_and_new_values():
    (section,) = sections(BASE, edited(headline="Russia: White Helmets accused of plot"))
    assert section.title == "Headline changed (silent)"
    assert (section.old, section.new) == (BASE.headline, "Russia: White Helmets accused of plot")
    assert "[-" not in section.title + section.account and "<del>" in section.inline
    assert "<ins>" not in section.left and "<del>" not in section.right


def test_a_body_edit_is_counted_in_paragraphs_and_declared_when_last_update_moved():
    body = (*BASE.body[:2], "A new closing paragraph.")
    (section,) = sections(BASE, edited(body=body, declared=True))
    assert section.title == "Body changed (declared)"
    assert section.old is None and section.account == "1 paragraph added, 1 paragraph removed"


def test_versions_apart_are_compared_without_declared_or_silent_which_belongs_to_one_edit():
    later = replace(edited(headline="Russia: White Helmets accused of plot", declared=True), version=3)
    (section,) = sections(BASE, later)
    assert section.title == "Headline changed"


def test_a_long_value_is_cut_at_a_word_in_the_heading():
    long = " ".join(["word"] * 100)
    (section,) = sections(BASE, edited(headline=long))
    assert section.new is not None and len(section.new) <= MAX_VALUE_CHARS and section.new.endswith("word…")


@pytest.mark.parametrize(
    ("a", "b", "says"), [(2, 2, "pick two different versions"), (3, 1, "pick the older version first")]
)
def test_the_same_version_twice_or_newer_first_is_refused_with_what_to_pick(a, b, says):
    with pytest.raises(VersionOrderError, match=says):
        check_order(a, b)
    check_order(1, 3)
