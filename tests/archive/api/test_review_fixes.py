"""The web work of issue 13 as the review found it wanting: feeds with changes of fate, links to
reverts, formula-safe CSV, bounded cost per request,
one table of fields, a body card with its lead, and HTML errors on pages."""

from __future__ import annotations

import io
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from archive import pipeline
from archive.api import articles, compare, ui, ui_article
from archive.api.budget import QueryTimeoutError
from archive.config import Config, load_config
from archive.detect.changes import FIELD_OF_KIND
from archive.index import Index, StoredChange, Version
from archive.read.change_edits import WHOLE_NOTE, edit_of, paragraph_pairs
from archive.read.change_rows import (
    ChangeRow,
    write_csv,
    write_jsonl,
)
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import api_client, wait_past
from tests.support import HOSTS, TWO_DOMAINS, write_config

ATOM = "{http://www.w3.org/2005/Atom}"
FORMULA = '=HYPERLINK("http://evil","x") new headline'


# -- without an archive ------------------------------------------------------------------


def _row(**values: object) -> ChangeRow:
    base: dict[str, object] = dict(
        outlet="demo", article_id="1", url="https://x/1", headline="h", kind="headline", declared=False,
        hosts=("a",), section="", from_version=1, to_version=2, from_time=None, to_time="2026-01-01T00:00:00Z",
        detected_at=None, summary="s", diff_text="- old\n+ new", to_record="r", to_url="",
    )  # fmt: skip
    return ChangeRow(**(base | values))  # type: ignore[arg-type]


def test_the_csv_neutralises_formulas_and_the_jsonl_keeps_the_text_raw():
    row = _row(headline=FORMULA, summary="@SUM(A1)", section="\tx", url="+1")
    out = io.StringIO(newline="")
    write_csv([row], out)
    text = out.getvalue()
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'- old" in text and "'+1" in text
    assert "'\tx" in text
    raw = io.StringIO()
    write_jsonl([row], raw)
    assert json.loads(raw.getvalue())["headline"] == FORMULA
    assert json.loads(raw.getvalue())["diff_text"] == "- old\n+ new"


def test_a_compare_link_names_the_older_version_first_whatever_the_change_order():
    assert compare.compare_query(2, 1) == "compare?a=1&b=2"
    assert compare.compare_query(1, 3) == "compare?a=1&b=3"


def test_the_field_of_each_kind_is_one_table():
    from archive.read import terminal_diff

    assert terminal_diff.FIELD_OF_KIND is FIELD_OF_KIND
    assert FIELD_OF_KIND["date"] == "published" and FIELD_OF_KIND["body"] == "body"


def test_a_huge_paragraph_is_shown_replaced_in_bounded_time_and_says_so():
    old = " ".join(f"word{n}" for n in range(20_000))
    new = old.replace("word100 ", "changed ")
    started = time.process_time()  # this process's CPU: other jobs on the machine do not count
    pairs = paragraph_pairs(["Intro.", old], ["Intro.", new])
    assert time.process_time() - started < 1.5
    assert any(p.whole for p in pairs) and any(p.role == "removed" for p in pairs)


def _version(number: int, lead: str, body: tuple[str, ...]) -> Version:
    return Version(
        outlet="demo", article_id="1", version=number, record_id=f"r{number}", host="a", url="https://a/1",
        fetched_at="2026-01-01T00:00:00Z", whole_hash="w", hashes={}, headline="H", lead=lead, body=body,
        captions=(), images=(), section="", byline="", published=None, last_update=None, slug="", extractor="x",
    )  # fmt: skip


def test_a_body_card_that_names_the_lead_shows_the_lead_too():
    before = _version(1, "Old lead words here.", ("Old lead words here.", "Second."))
    after = _version(2, "New lead says this.", ("New lead says this.", "Second."))
    change = StoredChange(
        id=1, change_key="k", outlet="demo", article_id="1", kind="body", declared=False, host="a", from_version=1,
        to_version=2, from_record="r1", to_record="r2", from_time=None, to_time="2026-01-02T00:00:00Z", summary="",
        diff_text="", diff_html="", section="", details={"fields": ["lead", "body"]}, detected_at=None,
    )  # fmt: skip
    blocks = edit_of(change, before, after)
    assert [b.field for b in blocks] == ["lead", "body"]
    long_body = _version(2, "New lead.", (" ".join(["w"] * 20_000), "Second."))
    noted = edit_of(change, before, long_body)
    assert any(b.note == WHOLE_NOTE for b in noted)


# -- on an archive with a revert, a retraction and a redirect ------------------------------


@dataclass(frozen=True)
class Fated:
    config: Config
    reverted: str
    retracted: str
    redirected: str


@pytest.fixture(scope="module")
def fated(tmp_path_factory: pytest.TempPathFactory) -> Fated:
    directory = tmp_path_factory.mktemp("fated")
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=8) as sim:
        config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
        pipeline.run_cycle(config, "demo")
        ids = sim.site.article_ids()

        def settle() -> None:
            with Index(config.index_path, readonly=True) as idx:
                wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])

        with Index(config.index_path, readonly=True) as idx:
            old = idx._db.execute("SELECT headline FROM versions WHERE article_id = ?", [str(ids[1])]).fetchone()[0]
        settle()
        sim.edit_headline(ids[1], FORMULA, declared=False)
        sim.redirect(ids[2], ids[3])
        sim.retract(ids[4])
        pipeline.run_cycle(config, "demo", articles=(sim.article_url(ids[4]), sim.article_url(ids[2])))
        pipeline.run_cycle(config, "demo")
        settle()
        sim.edit_headline(ids[1], old, declared=False)
        pipeline.run_cycle(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        kinds = {row[0] for row in idx._db.execute("SELECT kind FROM changes")}
    assert {"retraction", "redirect", "headline"} <= kinds, kinds
    return Fated(config, str(ids[1]), str(ids[4]), str(ids[2]))


@pytest.fixture(scope="module")
def client(fated):
    return api_client(fated.config)


def test_the_feeds_are_valid_with_changes_of_fate(client, fated):
    for path in ("/demo/changes.atom", f"/demo/article/{fated.retracted}/changes.atom"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        feed = ET.fromstring(answer.content)  # noqa: S314 (this service's own feed)
        entries = feed.findall(f"{ATOM}entry")
        assert entries
        for entry in entries:
            alternate = [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
            assert alternate or entry.find(f"{ATOM}content") is not None
        for link in feed.iter(f"{ATOM}link"):
            if link.get("rel") == "related":
                a, b = map(int, re.findall(r"[ab]=(\d+)", link.get("href", "")))
                assert a < b


def test_every_compare_link_of_a_reverted_article_opens(client, fated):
    html = client.get(f"/demo/article/{fated.reverted}").text
    changes = client.get(f"/demo/api/articles/{fated.reverted}").json()["changes"]
    assert any(c["from_version"] > c["to_version"] for c in changes), "the fixture must hold a revert"
    links = set(re.findall(r'href="(/demo/article/[^"]+/compare\?[^"]+)"', html))
    assert links, html[-2000:]
    for link in links:
        answer = client.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200, (link, answer.text[:300])
    assert "compare?a=2&b=1" not in client.get("/demo/changes").text.replace("&amp;", "&")


@pytest.mark.parametrize(
    "path",
    [
        "/demo/changes?since=0001-01-01T00:00%2B01:00",
        "/demo/changes?until=9999-12-31T23:00-05:00",
        "/demo/changes.csv?since=0001-01-01T00:00%2B01:00",
        "/demo/api/changes?since=0001-01-01T00:00%2B01:00",
    ],
)
def test_a_time_bound_past_the_calendar_is_a_400_naming_it(client, path):
    answer = client.get(path)
    assert answer.status_code == 400, answer.text[:300]
    assert ("until=" if "until" in path else "since=") in answer.text


def test_the_web_csv_is_formula_safe(client):
    import csv

    rows = list(csv.reader(io.StringIO(client.get("/demo/changes.csv?kind=headline").text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'- ") for cell in cells), "diff_text must be neutralised"
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_json_routes_build_no_card(client, fated, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a card was built for JSON")

    monkeypatch.setattr(articles, "rows_of", refuse)
    assert client.get("/demo/api/changes?limit=5000").status_code == 200
    answer = client.get(f"/demo/api/articles/{fated.reverted}")
    assert answer.status_code == 200 and answer.json()["changes"]


def test_a_filter_searches_a_bounded_number_of_changes_and_says_so(client, monkeypatch):
    monkeypatch.setattr(ui, "SCAN_LIMIT", 1)
    html = client.get("/demo/changes?declared=silent").text
    assert "searched the newest 1 changes only" in html
    assert "searched the newest" not in client.get("/demo/changes").text
    assert "searched the newest" not in client.get("/demo/changes?kind=retraction").text  # the kind has its index


def test_a_page_past_the_offset_cap_is_refused_with_a_way_out(client):
    answer = client.get("/demo/changes?page=5000")
    assert answer.status_code == 400 and "narrow by date" in answer.text


def test_the_article_page_reads_few_records_and_says_which(client, fated, monkeypatch):
    monkeypatch.setattr(ui_article, "DIGESTED_CHANGES", 1)
    html = client.get(f"/demo/article/{fated.reverted}").text
    assert "for the newest 1 changes" in html


def test_a_card_without_a_memento_has_no_stray_separator(client, monkeypatch):
    real = articles.changes

    def without_memento(*args, **kwargs):
        rows = real(*args, **kwargs)
        return [row | {"memento": None} for row in rows]

    monkeypatch.setattr(articles, "changes", without_memento)
    html = client.get("/demo/changes?kind=headline").text
    assert re.search(r'<p class="card-links">\s*<a href="/demo/article/[^"]+/compare', html), html[-2000:]


def test_a_busy_page_is_an_html_503_with_retry_after(client, monkeypatch):
    def busy(*args, **kwargs):
        raise QueryTimeoutError("the request ran out of time: narrow it")

    monkeypatch.setattr(articles, "changes", busy)
    answer = client.get("/demo/changes")
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert answer.headers["content-type"].startswith("text/html") and "narrow it" in answer.text


def test_no_page_below_an_article_is_an_html_404(client, fated):
    answer = client.get(f"/demo/article/{fated.reverted}/x")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert client.get(f"/demo/article/{fated.reverted}/compare?a=1&b=2").status_code == 200
