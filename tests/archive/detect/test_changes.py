from __future__ import annotations

from dataclasses import replace

from archive.detect.changes import classify, is_declared, slug_mismatch, slug_words
from archive.index import Version

BASE = Version(
    outlet="demo",
    article_id="777255",
    version=1,
    record_id="<urn:uuid:1>",
    host="www.presstv.ir",
    url="http://www.presstv.ir/Detail/2026/11/18/777255/Russia-White-Helmets",
    fetched_at="2026-11-20T08:00:00Z",
    whole_hash="w1",
    hashes={
        "headline": "h1",
        "lead": "l1",
        "body": "b1",
        "published": "p1",
        "captions": "c1",
        "images": "i1",
        "section": "s1",
        "byline": "y1",
    },
    headline="Russia: White Helmets plotting false-flag attack",
    lead="Lead.",
    body=("The ministry said talks would resume.", "Officials met in Geneva on Monday.", "No date was set."),
    captions=("A photo. (Photo by AFP)",),
    images=("http://cdn.presstv.ir/a.jpg",),
    section="News / Syria",
    byline="",
    published="2026-11-18T08:20:00+00:00",
    last_update="2026-11-19",
    slug="Russia-White-Helmets",
    extractor="presstv",
)


def edited(**changes):
    hashes = dict(BASE.hashes)
    for name in changes.pop("changed", ()):
        hashes[name] = hashes[name] + "'"
    return replace(
        BASE,
        version=2,
        record_id="<urn:uuid:2>",
        fetched_at="2026-11-21T08:00:00Z",
        whole_hash="w2",
        hashes=hashes,
        **changes,
    )


def test_headline_edit_without_last_update_is_silent():
    (change,) = classify(BASE, edited(headline="A new headline", changed=["headline"]))
    assert (change.kind, change.declared) == ("headline", False)
    assert change.from_version == 1 and change.to_version == 2
    assert "A new headline" in change.diff_text and "<ins>" in change.diff_html


def test_moved_last_update_makes_every_change_of_that_version_declared():
    after = edited(
        body=(
            "The ministry said talks would resume.",
            "Officials met in Vienna on Monday.",
            "No date was set.",
            "A fourth paragraph appeared.",
        ),
        last_update="2026-11-21",
        captions=("Another. (Photo by AFP)",),
        changed=["body", "captions"],
    )
    changes = {c.kind: c for c in classify(BASE, after)}
    assert set(changes) == {"body", "caption"}
    assert all(c.declared for c in changes.values())
    assert changes["body"].details == {"added": 1, "removed": 0, "reworded": 1, "fields": ["body"]}
    assert is_declared(BASE, after) and not is_declared(after, after)


def test_earlier_publication_date_is_backdating():
    (change,) = classify(BASE, edited(published="2026-11-15T08:20:00+00:00", changed=["published"]))
    assert change.kind == "date" and change.details["backdated"] is True


def test_identical_hashes_mean_no_change_whatever_the_metadata():
    assert classify(BASE, replace(BASE, version=2, last_update="2026-12-01")) == []


def test_change_key_is_stable_and_distinguishes_kind_and_capture():
    a, b = classify(BASE, edited(headline="X", lead="Y", changed=["headline", "lead"]))
    assert a.key == classify(BASE, edited(headline="X", lead="Y", changed=["headline", "lead"]))[0].key
    assert a.key != b.key


def test_slug_words_decode_percent_encoding_and_fold_accents():
    assert slug_words("Iran%E2%80%99s-caf%C3%A9--talks,-resume") == {"irans", "cafe", "talks", "resume"}


def test_apostrophes_are_dropped_as_slugs_drop_them():
    assert slug_words("Iran's president, Yemen\u2019s Ansarullah") == slug_words("Irans-president-Yemens-Ansarullah")


def test_a_truncated_slug_of_a_headline_with_apostrophes_is_no_evidence():
    """The feed links some articles under a slug missing its last word; that is not an edit."""
    first = replace(BASE, headline="Brazil's president condemns trade deal", slug="Brazils-president-condemns-trade")
    assert slug_mismatch(first) is None


def test_a_revert_is_marked_and_names_the_version_it_returned_to():
    current = edited(headline="A new headline", changed=["headline"])
    back = replace(BASE, record_id="<urn:uuid:3>", fetched_at="2026-11-22T08:00:00Z")
    (change,) = classify(current, back, revert=True)
    assert (change.kind, change.from_version, change.to_version) == ("headline", 2, 1)
    assert change.details == {"revert": True, "fields": ["headline"]}
    assert change.summary.startswith("headline returned to version 1 (silent)")
    assert change.to_record == "<urn:uuid:3>" and change.to_time == "2026-11-22T08:00:00Z"


def test_slug_matching_the_headline_is_no_evidence():
    assert slug_mismatch(replace(BASE, slug="Russia-White-Helmets-plotting-false-flag-attack")) is None


def test_slug_of_another_headline_is_evidence_of_an_uncaptured_edit():
    change = slug_mismatch(replace(BASE, slug="Syrian-army-repels-terrorist-assault-near-Aleppo"))
    assert change is not None and change.kind == "slug_mismatch" and change.declared is False
    assert change.details["slug"].startswith("Syrian-army")


def test_a_lead_rewritten_with_the_first_paragraph_is_one_body_change_naming_both():
    text = "The ministry said on Tuesday that talks had collapsed."
    after = edited(changed=("lead", "body"), lead=text, body=(text, *BASE.body[1:]))
    (change,) = classify(BASE, after)
    assert (change.kind, change.details["fields"]) == ("body", ["lead", "body"])
    assert change.details["reworded"] == 1 and change.details["added"] == change.details["removed"] == 0
    assert change.summary.startswith("lead and body changed (silent)")


def test_a_lead_changed_apart_from_the_body_is_its_own_change():
    after = edited(changed=("lead", "body"), lead="A description nobody wrote in the body.", body=BASE.body[:2])
    assert sorted(c.kind for c in classify(BASE, after)) == ["body", "lead"]


def test_a_photo_swapped_with_its_caption_is_one_image_change_showing_both_diffs():
    after = edited(
        changed=("images", "captions"),
        images=("http://cdn.presstv.ir/b.jpg",),
        captions=("Another photo. (Photo by AP)",),
    )
    (change,) = classify(BASE, after)
    assert (change.kind, change.details["fields"]) == ("image", ["image", "caption"])
    assert "caption: [-A-]{+Another+} photo." in change.diff_text
    assert "{+http://cdn.presstv.ir/b.jpg+}" in change.diff_text


def test_an_edit_made_again_after_a_revert_is_marked_reapplied():
    (change,) = classify(BASE, edited(changed=("headline",), headline="Again"), reapplied=True)
    assert change.details["reapplied"] is True and "re-applied version 2" in change.summary
