"""Queries on versions: full-text search over every version's headline and body."""

from __future__ import annotations

from dataclasses import replace

from archive.index import Change, Index, Version
from archive.index import versions as vx

FIRST = Version(
    outlet="demo",
    article_id="777255",
    version=1,
    record_id="<urn:uuid:1>",
    host="www.presstv.ir",
    url="http://www.presstv.ir/Detail/2026/11/18/777255/Minister-resigns",
    fetched_at="2026-11-20T08:00:00Z",
    whole_hash="w1",
    hashes={},
    headline="Minister resigns after talks",
    lead="",
    body=("The minister resigned on Monday.", "Talks will resume in Geneva."),
    captions=(),
    images=(),
    section="News / Iran",
    byline="",
    published=None,
    last_update=None,
    slug="Minister-resigns",
    extractor="presstv",
)
EDITED = replace(
    FIRST,
    version=2,
    record_id="<urn:uuid:2>",
    fetched_at="2026-11-21T08:00:00Z",
    whole_hash="w2",
    body=("The minister was dismissed on Monday.", "Talks will resume in Geneva."),
)


def test_search_finds_a_word_only_the_edited_version_has_and_the_old_word_only_in_the_old(tmp_path):
    with Index(tmp_path / "index.sqlite") as idx:
        vx.add_version(idx, FIRST)
        vx.add_version(idx, EDITED)
        new = vx.search(idx, "dismissed")
        old = vx.search(idx, "resigned")
        both = vx.search(idx, "Geneva", outlet="demo")
        other_outlet = vx.search(idx, "Geneva", outlet="presstv")
    assert [(r.article_id, r.version) for r in new] == [("777255", 2)]
    assert "[dismissed]" in new[0].snippet
    assert [(r.article_id, r.version) for r in old] == [("777255", 1)]
    assert sorted(r.version for r in both) == [1, 2]
    assert other_outlet == []


def test_set_current_version_returns_the_row_it_wrote(tmp_path):
    """Detect keeps the returned state instead of reading it back: it must be the stored row,
    whether the article had none or was redirected before."""
    with Index(tmp_path / "index.sqlite") as idx, idx.transaction():
        first = vx.set_current_version(idx, "demo", "777255", 1, since="2026-11-20T08:00:00Z", record_id="<urn:uuid:1>")
        assert first == vx.article_state(idx, "demo", "777255")
        vx.set_article_state(idx, "demo", "777255", state="redirect", redirect_to="article 9", record_id="<urn:uuid:3>")
        again = vx.set_current_version(idx, "demo", "777255", 2, since="2026-11-22T08:00:00Z", record_id="<urn:uuid:4>")
        assert again == vx.article_state(idx, "demo", "777255")
        assert (again.state, again.redirect_to, again.current_version) == ("live", None, 2)


def test_hosts_catching_up_join_each_change_ending_at_the_record_once_in_order(tmp_path):
    def change(kind: str, **details: object) -> Change:
        return Change(
            "demo",
            "777255",
            kind,
            False,
            "www.presstv.ir",
            "<urn:uuid:2>",
            "2026-11-21T08:00:00Z",
            kind,
            details=details,
        )

    served = [{"host": "www.presstv.ir", "first_seen": "2026-11-21T08:00:00Z"}]
    with Index(tmp_path / "index.sqlite") as idx, idx.transaction():
        vx.add_change(idx, change("body_edit", served_by=served))
        vx.add_change(idx, change("headline_edit", served_by=served))
        vx.add_change(idx, change("slug_mismatch"))  # keeps no served_by: left alone
        joined = [
            ("presstv.tv", "2026-11-21T09:00:00Z"),
            ("www.presstv.ir", "2026-11-21T09:01:00Z"),
            ("presstv.co.uk", "2026-11-21T09:02:00Z"),
            ("presstv.tv", "2026-11-21T09:03:00Z"),
        ]
        vx.add_served_by(idx, "demo", "777255", "<urn:uuid:2>", joined)
        stored = {c.kind: c.details for c in vx.changes(idx, outlet="demo", article_id="777255")}
    expected = [
        ("www.presstv.ir", "2026-11-21T08:00:00Z"),  # already serving: its first sighting stays
        ("presstv.tv", "2026-11-21T09:00:00Z"),  # the first time it is named
        ("presstv.co.uk", "2026-11-21T09:02:00Z"),
    ]
    for kind in ("body_edit", "headline_edit"):
        assert [(e["host"], e["first_seen"]) for e in stored[kind]["served_by"]] == expected
    assert "served_by" not in stored["slug_mismatch"]
