"""Timelines load from TOML, refuse every malformed event with a useful message, and drive
the outlet step by step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archive.errors import EdittrailError
from archive.simulate import SimulatedOutlet, Timeline, TimelineError
from archive.simulate.timeline import SCHEMA

HOSTS = ["www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com"]

EVERY_KIND = """
[[step]]
name = "edits"
events = [
  { kind = "publish", headline = "Iran unveils new satellite", section = 101 },
  { kind = "edit_headline", article = "sample", text = "New headline", declared = false },
  { kind = "edit_body", article = "sample", replace = { 0 = "A new first paragraph." }, declared = true },
  { kind = "edit_caption", article = "sample", index = 0, text = "A new caption. (Photo by AFP)" },
  { kind = "edit_lead", article = "sample", text = "A new description." },
  { kind = "edit_byline", article = "sample", text = "Leila Haddad", declared = true },
  { kind = "edit_date", article = "sample", published = 2026-11-01T08:00:00Z },
  { kind = "move_section", article = "sample", section = 106 },
  { kind = "replace_photo", article = "sample", index = 0, url = "http://cdn.presstv.ir/Photo/x.jpg" },
  { kind = "declare_update", article = "sample", when = 2026-11-21T09:00:00+03:30 },
  { kind = "rewrite_first_paragraph", article = "newest", text = "A rewritten opening.", declared = false },
  { kind = "replace_photo", article = "newest", index = 0, url = "http://cdn.example/y.jpg", caption = "Other." },
]

[[step]]
events = [
  { kind = "retract", article = "newest", status = 410 },
  { kind = "restore", article = "newest" },
  { kind = "redirect", article = "newest", to = "sample", status = 302 },
  { kind = "diverge", host = "presstv.tv", article = "sample", headline = "Mirror headline" },
  { kind = "converge", host = "presstv.tv", article = "sample" },
  { kind = "malformed", article = "sample" },
  { kind = "oversized", article = "sample", size = 200000 },
]

[[step]]
events = [
  { kind = "take_down", host = "presstv.tv" },
  { kind = "bring_up", host = "presstv.tv" },
  { kind = "seize", host = "www.presstv.com" },
  { kind = "slow", delay = 0.5, host = "www.presstv.co.uk", path = "/rss.xml" },
  { kind = "fail", status = 502, host = "www.presstv.ir", path = "/Detail/*", times = 2 },
  { kind = "set_encoding", gzip = false, chunked = true, host = "www.presstv.ir" },
  { kind = "park", host = "presstv.tv" },
  { kind = "redirect_host", host = "www.presstv.co.uk", to = "presstv.example", status = 301 },
  { kind = "announce_mirror", host = "presstv.news" },
]

[[step]]
events = []
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "timeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_with_every_kind_loads_into_steps(tmp_path: Path) -> None:
    timeline = Timeline.load(write(tmp_path, EVERY_KIND))
    assert len(timeline) == 4
    kinds = {event.kind for step in timeline.steps for event in step}
    assert kinds == set(SCHEMA)
    edit_body = timeline.steps[0][2]
    assert edit_body.params == {"id": "sample", "replace": {0: "A new first paragraph."}, "declared": True}
    assert timeline.steps[0][6].params["published"] == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert timeline.steps[1][2].params == {"id": "newest", "to_id": "sample", "status": 302}


def test_applying_every_kind_changes_the_outlet(tmp_path: Path) -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    sim.apply(Timeline.load(write(tmp_path, EVERY_KIND)))
    sample = sim.site.articles[sim.sample_id]
    before = sim.site.newest_id()
    assert sim.pending_steps == 4
    assert sim.advance()
    published = sim.site.newest_id()
    assert published > before and sim.site.articles[published].headline == "Iran unveils new satellite"
    assert sample.headline == "New headline" and sample.paragraphs[0] == "A new first paragraph."
    assert sample.photos[0].caption == "A new caption. (Photo by AFP)"
    assert sample.description == "A new description." and sample.byline == "Leila Haddad"
    assert sample.published == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert sample.updated == datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
    fresh = sim.site.articles[published]
    assert fresh.paragraphs[0] == fresh.description == "A rewritten opening."
    assert (fresh.photos[0].url, fresh.photos[0].caption) == ("http://cdn.example/y.jpg", "Other.")
    assert sim.advance()
    assert sim.site.articles[published].redirect == (sim.sample_id, 302)
    assert sample.malformed and sample.oversize == 200000
    assert ("presstv.tv", sim.sample_id) not in sim.site.divergent
    assert sim.advance() and sim.advance()
    assert sim.faults.is_seized("www.presstv.com") and not sim.faults.is_down("presstv.tv")
    assert sim.faults.delay("www.presstv.co.uk", "/rss.xml") == 0.5
    assert sim.faults.encoding("www.presstv.ir", "/").chunked
    assert not sim.advance() and sim.pending_steps == 0


def test_from_steps_validates_like_a_file() -> None:
    timeline = Timeline.from_steps([[{"kind": "retract", "article": 777010, "status": 404}], []])
    assert [len(s) for s in timeline.steps] == [1, 0]
    with pytest.raises(TimelineError, match=r"<steps>: step 2, event 1 \(retract\): key 'status'"):
        Timeline.from_steps([[], [{"kind": "retract", "article": 777010, "status": 200}]])


BAD_FILES = [
    ("[[step]\n", r"not valid TOML"),
    ("title = 'x'\n[[step]]\nevents = []\n", r"unknown top-level key 'title'"),
    ("", r"no steps; add a \[\[step\]\]"),
    ("[[step]]\nname = 'x'\n", r"step 1: key 'events' is missing"),
    ("[[step]]\nevents = 'retract'\n", r"step 1: key 'events' must be a list"),
    ("[[step]]\nevents = []\nwhen = 3\n", r"step 1: unknown key 'when'"),
    ("[[step]]\nevents = []\n[[step]]\nevents = [ { article = 1 } ]\n", r"step 2, event 1: event has no 'kind'"),
    ("[[step]]\nevents = [ { kind = 'delete' } ]\n", r"unknown kind 'delete'; use one of: publish, "),
    ("[[step]]\nevents = [ 'retract' ]\n", r"step 1, event 1: an event must be a table"),
    ("[[step]]\nevents = [ { kind = 'retract' } ]\n", r"\(retract\): key 'article' is missing; add article = "),
    (
        "[[step]]\nevents = [ { kind = 'retract', article = 5, reason = 'x' } ]\n",
        r"unknown key 'reason'; retract takes article, status",
    ),
    (
        "[[step]]\nevents = [ { kind = 'retract', article = 'first' } ]\n",
        r"key 'article' must be an article id .*\"sample\" or \"newest\"",
    ),
    (
        "[[step]]\nevents = [ { kind = 'retract', article = 5, status = 302 } ]\n",
        r"key 'status' must be one of 404, 410",
    ),
    (
        "[[step]]\nevents = [ { kind = 'edit_headline', article = 5, text = 'x', declared = 1 } ]\n",
        r"key 'declared' must be true or false \(got 1\)",
    ),
    (
        "[[step]]\nevents = [ { kind = 'edit_caption', article = true, index = 0, text = 'x' } ]\n",
        r"key 'article' must be an article id",
    ),
    (
        "[[step]]\nevents = [ { kind = 'edit_date', article = 5, published = 2026-11-01T08:00:00 } ]\n",
        r"key 'published' must be a date-time with a UTC offset",
    ),
    ("[[step]]\nevents = [ { kind = 'edit_body', article = 5 } ]\n", r"edit_body needs 'paragraphs'"),
    (
        "[[step]]\nevents = [ { kind = 'edit_body', article = 5, replace = { first = 'x' } } ]\n",
        r"key 'replace' must be a table of paragraph index to text",
    ),
    (
        "[[step]]\nevents = [ { kind = 'edit_body', article = 5, paragraphs = [1, 2] } ]\n",
        r"key 'paragraphs' must be a non-empty list of strings",
    ),
    ("[[step]]\nevents = [ { kind = 'slow', delay = -1 } ]\n", r"key 'delay' must be a number of seconds >= 0"),
    ("[[step]]\nevents = [ { kind = 'fail', status = 404 } ]\n", r"key 'status' must be an integer from 500 to 599"),
    ("[[step]]\nevents = [ { kind = 'fail', path = 'Detail' } ]\n", r"key 'path' must be a path starting with"),
    ("[[step]]\nevents = [ { kind = 'publish', section = 99 } ]\n", r"key 'section' must be a section id: 101"),
    ("[[step]]\nevents = [ { kind = 'take_down' } ]\n", r"key 'host' is missing"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_files_name_the_file_the_place_and_the_fix(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TimelineError, match=message) as caught:
        Timeline.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert isinstance(caught.value, EdittrailError)


def test_a_missing_file_is_a_timeline_error(tmp_path: Path) -> None:
    with pytest.raises(TimelineError, match=r"missing\.toml: no such timeline file"):
        Timeline.load(tmp_path / "missing.toml")


def test_hosts_are_checked_against_the_outlet_when_applied(tmp_path: Path) -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    text = "[[step]]\nevents = []\n[[step]]\nevents = [ { kind = 'seize', host = 'presstv.com' } ]\n"
    path = write(tmp_path, text)
    with pytest.raises(TimelineError, match=r"step 2, event 1 \(seize\): unknown host 'presstv.com'; this outlet"):
        sim.apply(Timeline.load(path))
    assert sim.pending_steps == 0


def test_an_unknown_article_fails_when_its_step_is_applied(tmp_path: Path) -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    path = write(tmp_path, "[[step]]\nevents = []\n[[step]]\nevents = [ { kind = 'retract', article = 12 } ]\n")
    sim.apply(Timeline.load(path))
    assert sim.advance()
    with pytest.raises(TimelineError, match=r"timeline\.toml: step 2, event 1 \(retract\): no article 12; ids run"):
        sim.advance()


def test_newest_names_the_article_published_by_an_earlier_event() -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    sim.apply(Timeline.from_steps([[{"kind": "publish"}, {"kind": "retract", "article": "newest", "status": 410}]]))
    before = set(sim.site.articles)
    sim.advance()
    (new_id,) = set(sim.site.articles) - before
    assert sim.site.articles[new_id].gone == 410


def test_mirror_events_park_redirect_and_announce_apply_from_a_timeline():
    from archive.simulate import SimulatedOutlet, Timeline

    timeline = Timeline.parse(
        """
        [[step]]
        events = [
          { kind = "park", host = "presstv.tv" },
          { kind = "redirect_host", host = "www.presstv.com", to = "www.presstv.co.uk", status = 302 },
          { kind = "announce_mirror", host = "presstv.news" },
        ]
        """,
        "<test>",
    )
    sim = SimulatedOutlet(articles=2, port=8765)  # never started: page_for answers directly
    sim.apply(timeline)
    assert sim.advance()
    parked = sim.page_for("presstv.tv", "/")
    moved = sim.page_for("www.presstv.com", "/rss.xml")
    article = sim.page_for("www.presstv.ir", sim.article_path(sim.sample_id))
    assert parked.status == 200 and b"This domain is for sale" in parked.body
    assert moved.status == 302 and dict(moved.headers)["Location"].endswith("www.presstv.co.uk:8765/rss.xml")
    assert b"presstv.news" in article.body


def test_a_rewritten_first_paragraph_is_also_the_description_whatever_its_length() -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    long = "A much longer opening paragraph. " * 10
    sim.rewrite_first_paragraph(sim.sample_id, long.strip())
    article = sim.site.get(sim.sample_id)
    assert article.paragraphs[0] == article.description == long.strip()
    with pytest.raises(TimelineError, match=r"key 'text' is missing"):
        Timeline.from_steps([[{"kind": "rewrite_first_paragraph", "article": 5}]])


def test_actions_after_requests_count_article_pages_only_and_per_article_when_asked() -> None:
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20)).start()
    try:
        other = sim.site.article_ids()[3]
        fired: list[str] = []
        sim.after_requests(2, lambda: fired.append("any"))
        sim.after_requests(1, lambda: fired.append("sample"), article=sim.sample_id)
        sim.page_for(HOSTS[0], "/")
        sim.page_for(HOSTS[0], sim.article_path(other))
        assert fired == [] and sim.pending_actions == 2
        sim.page_for(HOSTS[1], sim.article_path(sim.sample_id))
        assert fired == ["any", "sample"] and sim.pending_actions == 0
        with pytest.raises(ValueError, match="n must be 1 or more"):
            sim.after_requests(0, lambda: None)
    finally:
        sim.stop()
