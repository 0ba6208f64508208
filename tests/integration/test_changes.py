"""Edit detection through the real path: simulated outlet → spider → WARC → store → index → detect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from archive import pipeline
from archive.config import Config, load_config, store_for
from archive.detect.run import version_of_capture
from archive.index import Capture, Index, StoredChange
from archive.index import versions as vx
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, write_config

pytestmark = pytest.mark.integration


def cycle(config, articles: tuple[str, ...] = ()) -> dict:
    return pipeline.run_cycle(config, "demo", articles=articles)


def changes_by_article(config) -> dict[str, list[StoredChange]]:
    with Index(config.index_path, readonly=True) as idx:
        rows = vx.changes(idx, outlet="demo")
    found: dict[str, list[StoredChange]] = {}
    for row in rows:
        found.setdefault(row.article_id, []).append(row)
    return found


def kinds(rows: list[StoredChange]) -> list[tuple[str, bool]]:
    return sorted((r.kind, r.declared) for r in rows)


@pytest.fixture(scope="module")
def module_sim():
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=30) as outlet:
        yield outlet


ROLES = (
    "headline",
    "declared_headline",
    "lead",
    "body",
    "added",
    "removed",
    "declared",
    "date",
    "section",
    "image",
    "byline",
    "gone",
    "gone404",
    "moved",
    "target",
    "revert",
    "lag",
)
"""One generated article per role in the scripted edits (the sample article gets the caption edit)."""
LAGGING, SEIZED = "presstv.tv", "www.presstv.com"


@dataclass(frozen=True)
class Edited:
    sim: SimulatedOutlet
    config: Config
    a: dict[str, int]
    """Article id of each role."""
    first_round: dict[str, list[dict]]
    """Changes by article after the second crawl (the round of edits)."""
    after: dict[str, list[dict]]
    """Changes by article after the third crawl."""
    third: dict[str, Any]
    """What the third cycle's stages returned."""
    seized_after: str
    """fetched_at of the last capture before SEIZED was seized."""


@pytest.fixture(scope="module")
def edited(module_sim, tmp_path_factory) -> Edited:
    """Three crawls of one outlet: the first sees it as published, the second after one round of
    Press TV-style edits of every kind, the third after a revert, a restoration, a mirror
    catching up and a mirror seized by the US (whose article pages then show the notice).

    Module-scoped: the crawls are the expensive part, and every test here only reads.
    """
    sim = module_sim
    config = load_config(write_config(tmp_path_factory.mktemp("edited"), port=sim.port))
    cycle(config)
    ids = [i for i in sim.site.article_ids() if i != sim.sample_id]
    a = dict(zip(ROLES, ids, strict=False))
    assert len(a) == len(ROLES), "the simulated outlet needs an article per role"
    article = sim.site.get
    originals = {role: article(a[role]).headline for role in ("revert", "lag")}

    sim.edit_headline(a["headline"], "A headline nobody announced", declared=False)
    sim.edit_headline(a["declared_headline"], "A headline the outlet owned up to", declared=True)
    sim.edit_lead(a["lead"], "A description rewritten without touching the story.")
    reworded = article(a["body"]).paragraphs[1] + " Officials declined to comment further."
    sim.edit_body(a["body"], replace={1: reworded})
    sim.edit_body(a["added"], [*article(a["added"]).paragraphs, "A paragraph added after publication."])
    sim.edit_body(a["removed"], article(a["removed"]).paragraphs[:-1])
    sim.edit_body(a["declared"], replace={0: "Updated figures were released."}, declared=True)
    sim.edit_caption(sim.sample_id, 0, "A different caption. (Photo by Reuters)")
    sim.edit_date(a["date"], article(a["date"]).published - timedelta(days=3))
    sim.move_section(a["section"], 106)
    sim.replace_photo(a["image"], 0, "http://cdn.presstv.ir/Photo/2026/11/19/replaced.jpg")
    sim.edit_byline(a["byline"], "Nadia Farahani")
    sim.retract(a["gone"], status=410)
    sim.retract(a["gone404"], status=404)
    sim.redirect(a["moved"], a["target"])
    sim.edit_headline(a["revert"], "A headline the outlet later took back")
    sim.edit_headline(a["lag"], "A headline one mirror is slow to show")
    sim.diverge(LAGGING, a["lag"], headline=originals["lag"])
    # Listings drop retracted and redirected articles: only a revisit fetches them again, and
    # with the demo's 1s schedule on whole-second capture times that is a race with the clock.
    # This crawl asks for them as the revisit would.
    unlisted = tuple(sim.article_url(a[role]) for role in ("gone", "gone404", "moved"))
    cycle(config, articles=unlisted)
    first_round = changes_by_article(config)

    sim.restore(a["gone"])
    sim.edit_headline(a["revert"], originals["revert"])
    sim.converge(LAGGING, a["lag"])
    sim.seize(SEIZED)
    with Index(config.index_path, readonly=True) as idx:
        seized_after = idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0]
    on_seized = (sim.article_url(a["headline"], SEIZED), sim.article_url(sim.sample_id, SEIZED))
    third = pipeline.run_cycle(config, "demo", articles=on_seized)
    return Edited(sim, config, a, first_round, changes_by_article(config), third, seized_after)


def test_each_edit_is_one_change_of_its_kind_with_the_right_declared_flag(edited):
    sim, a, found = edited.sim, edited.a, edited.first_round
    expected = {
        "headline": [("headline", False)],
        "declared_headline": [("headline", True)],
        "lead": [("lead", False)],
        "body": [("body", False)],
        "added": [("body", False)],
        "removed": [("body", False)],
        "declared": [("body", True)],  # the first paragraph is also the description: one rewrite
        "date": [("date", False)],
        "section": [("section", False)],
        "image": [("image", False)],
        "byline": [("byline", False)],
        "gone": [("retraction", False)],
        "gone404": [("retraction", False)],
        "moved": [("redirect", False)],
        "revert": [("headline", False)],
        "lag": [("headline", False)],  # a mirror one crawl behind lags: no divergence yet
    }
    assert {role: kinds(found.get(str(a[role]), [])) for role in expected} == expected
    (rewrite,) = found[str(a["declared"])]
    assert rewrite.details["fields"] == ["lead", "body"]
    assert kinds(found[str(sim.sample_id)]) == [("caption", False)]
    assert str(a["target"]) not in found


def test_body_changes_count_reworded_added_and_removed_paragraphs(edited):
    a, found = edited.a, edited.first_round
    counts = {
        role: {k: found[str(a[role])][0].details[k] for k in ("added", "removed", "reworded")}
        for role in ("body", "added", "removed")
    }
    assert counts == {
        "body": {"added": 0, "removed": 0, "reworded": 1},
        "added": {"added": 1, "removed": 0, "reworded": 0},
        "removed": {"added": 0, "removed": 1, "reworded": 0},
    }


def test_body_change_carries_a_word_diff(edited):
    a, found = edited.a, edited.first_round
    (body,) = found[str(a["body"])]
    assert "{+Officials declined to comment further.+}" in body.diff_text
    assert "<ins>Officials declined to comment further.</ins>" in body.diff_html
    assert "<del>" not in body.diff_html


def test_backdating_is_a_date_change_flagged_as_backdated(edited):
    a, found = edited.a, edited.first_round
    (date_change,) = found[str(a["date"])]
    assert date_change.details["backdated"] is True


def test_retractions_name_their_status(edited):
    a, found = edited.a, edited.first_round
    assert [r.details["status"] for r in found[str(a["gone"])]] == [410]
    assert [r.details["status"] for r in found[str(a["gone404"])]] == [404]


def test_retraction_then_restoration(edited):
    a, after = edited.a, edited.after
    assert kinds(after[str(a["gone"])]) == [("restoration", False), ("retraction", False)]


def test_redirect_names_its_target(edited):
    a, found = edited.a, edited.first_round
    (redirect,) = found[str(a["moved"])]
    assert redirect.details["target_article"] == str(a["target"])


def test_a_headline_put_back_is_a_revert_to_the_first_version(edited):
    a, after = edited.a, edited.after
    latest, first = after[str(a["revert"])]  # newest first
    assert (latest.kind, latest.declared) == ("headline", False)
    assert (latest.from_version, latest.to_version) == (2, 1)
    assert latest.details["revert"] is True and latest.details["fields"] == ["headline"]
    assert "returned to version 1" in latest.summary
    assert "revert" not in first.details


def test_a_mirror_one_crawl_behind_lags_and_catching_up_joins_the_edit(edited):
    config, a, after = edited.config, edited.a, edited.after
    (edit,) = after[str(a["lag"])]
    assert (edit.kind, edit.to_version) == ("headline", 2)
    served = {entry["host"]: entry["first_seen"] for entry in edit.details["served_by"]}
    assert LAGGING in served and served[LAGGING] > min(served.values()), served
    with Index(config.index_path, readonly=True) as idx:
        shown = [
            (r["host"], r["version"])
            for r in idx._db.query(
                "SELECT c.host, d.version FROM captures c JOIN detected d ON d.record_id = c.record_id "
                "WHERE c.article_id = ? AND c.host = ? ORDER BY c.fetched_at",
                [str(a["lag"]), LAGGING],
            )
        ]
    assert [v for _, v in shown] == [1, 1, 2], shown


def test_a_seized_mirror_makes_no_version_and_no_change(edited):
    """The crawl's failover may keep away from a seized host; whatever it fetched there is no article."""
    config, a, found, after = edited.config, edited.a, edited.first_round, edited.after
    with Index(config.index_path, readonly=True) as idx:
        seized = list(
            idx._db.query(
                "SELECT d.outcome FROM captures c JOIN detected d ON d.record_id = c.record_id "
                "WHERE c.host = ? AND c.status = 200 AND c.fetched_at > ?",
                [SEIZED, edited.seized_after],
            )
        )
        seized_versions = idx._db.execute(
            "SELECT count(*) FROM versions WHERE headline LIKE '%seized%' OR body LIKE '%seized%'"
        ).fetchone()[0]
    assert seized_versions == 0
    assert all(r["outcome"].startswith("not an article: a domain seizure notice") for r in seized), seized
    before = {r.change_key for rows in found.values() for r in rows}
    new_in_third = {k: [r for r in v if r.change_key not in before] for k, v in after.items()}
    assert {k: kinds(v) for k, v in new_in_third.items() if v} == {
        str(a["gone"]): [("restoration", False)],
        str(a["revert"]): [("headline", False)],
    }
    assert all(r.host != SEIZED for rows in new_in_third.values() for r in rows)


def test_untouched_articles_have_no_changes_and_no_slug_mismatch(edited):
    sim, a, after = edited.sim, edited.a, edited.after
    touched = {str(i) for i in a.values()} | {str(sim.sample_id)}
    assert {k: kinds(v) for k, v in after.items() if k not in touched} == {}
    assert [r for rows in after.values() for r in rows if r.kind == "slug_mismatch"] == []


def test_search_finds_the_words_of_an_edited_version_only_there(edited):
    config, a = edited.config, edited.a
    with Index(config.index_path, readonly=True) as idx:
        hits = vx.search(idx, '"declined to comment further"', outlet="demo")
    assert [(r.article_id, r.version) for r in hits] == [(str(a["body"]), 2)]


def test_reextracting_every_stored_article_page_gives_the_hash_of_the_version_it_showed(edited):
    """Every 200 capture of an article, whatever detect made of it (a new version, "same" on a
    mirror, a revert, a revisit record resolved to its original), extracts again to the
    version the detected table says it showed."""
    config = edited.config
    outlet = config.outlet("demo")
    store = store_for(config, outlet)
    with Index(config.index_path, readonly=True) as idx:
        rows = list(
            idx._db.query(
                "SELECT c.*, d.outcome, v.whole_hash FROM captures c "
                "JOIN detected d ON d.record_id = c.record_id "
                "LEFT JOIN versions v ON v.outlet = d.outlet AND v.article_id = d.article_id AND v.version = d.version "
                "WHERE c.outlet = ? AND c.status = 200 AND c.article_id IS NOT NULL",
                [outlet.name],
            )
        )
        pending = list(vx.pending_captures(idx, outlet.name))
        for row in rows:
            if row["outcome"].startswith("not an article"):
                assert row["whole_hash"] is None, row["url"]
                continue
            again = version_of_capture(idx, outlet, store, Capture.from_row(row))
            assert again.whole_hash == row["whole_hash"], (row["url"], row["outcome"])
    assert pending == []
    outcomes = {row["outcome"].split(":")[0].split(" to ")[0] for row in rows}
    assert {"new version", "same", "revert"} <= outcomes, outcomes
    assert len({row["host"] for row in rows}) == 4


def test_reindex_rebuilds_the_same_versions_and_changes(edited):
    config, after = edited.config, edited.after
    with Index(config.index_path, readonly=True) as idx:
        versions_before = [
            r for r in idx._db.query("SELECT outlet, article_id, version, whole_hash FROM versions ORDER BY 1, 2, 3")
        ]
    pipeline.reindex(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        versions_after = [
            r for r in idx._db.query("SELECT outlet, article_id, version, whole_hash FROM versions ORDER BY 1, 2, 3")
        ]
    assert versions_after == versions_before
    rebuilt = changes_by_article(config)
    assert {k: kinds(v) for k, v in rebuilt.items()} == {k: kinds(v) for k, v in after.items()}


def test_a_new_headline_on_first_sight_is_evidence_of_an_uncaptured_edit(sim, sim_config):
    """The slug freezes the first headline; an article first seen with another headline was edited before."""
    article_id = sim.site.article_ids()[1]
    sim.edit_headline(article_id, "Completely unrelated words about weather patterns")
    config = load_config(sim_config)
    cycle(config)
    found = changes_by_article(config)
    assert {k: kinds(v) for k, v in found.items()} == {str(article_id): [("slug_mismatch", False)]}
