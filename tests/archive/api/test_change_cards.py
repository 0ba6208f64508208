"""The changes page as cards a researcher reads, its filters and pages in the URL, its CSV and
JSON Lines exports, the Atom feeds that link into the archive, and HTML error pages."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from archive.read.change_rows import FIELDS
from archive.simulate import SimulatedOutlet
from tests.archive.api.edits import BACKDATED, NEW_HEADLINE, Edited, build_edited_archive
from tests.archive.api.support import api_client
from tests.support import HOSTS

pytestmark = pytest.mark.integration
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Edited:
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=30) as sim:
        return build_edited_archive(tmp_path_factory.mktemp("cards"), sim)


@pytest.fixture(scope="module")
def client(edited):
    return api_client(edited.config)


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="change card.*?</li>', html, flags=re.S)


def test_a_headline_card_reads_old_to_new_with_the_changed_words_marked_under_the_current_headline(client, edited):
    page = client.get("/demo/changes", params={"kind": "headline"})
    assert page.status_code == 200
    (card,) = cards(page.text)
    assert f'<a href="/demo/article/{edited.headline_id}">{NEW_HEADLINE}</a>' in card
    assert "<ins>Quietly rewritten headline about talks</ins>" in card
    assert '<span class="arrow" aria-hidden="true">→</span>' in card
    assert "silent" in card and "www.presstv.co.uk" in card and "www.presstv.ir" in card
    assert "[-" not in page.text and "{+" not in page.text
    assert f'href="/demo/article/{edited.headline_id}/compare?a=1&amp;b=2"' in card
    archived = re.search(r'href="(/demo/\d{14}/http://www\.presstv\.[^"]+)">archived version', card)
    assert archived is not None and client.get(unescape(archived[1])).status_code == 200


def test_a_body_card_shows_only_the_changed_paragraph_with_context(client, edited):
    (card,) = cards(client.get("/demo/changes", params={"kind": "body", "declared": "declared"}).text)
    assert '<p class="old">' in card and '<p class="new">' in card
    assert unescape(card).count('<p class="context">') == 2 and '<p class="gap"' in card
    assert "declared" in card


def test_a_date_card_reads_old_to_new(client):
    (card,) = cards(client.get("/demo/changes", params={"kind": "date"}).text)
    assert BACKDATED.strftime("%Y-%m-%d") in card and "→" in card


def test_filters_are_in_the_url_and_pages_link_to_each_other_carrying_them(client, edited):
    silent = client.get("/demo/changes", params={"declared": "silent", "limit": "1"})
    assert len(cards(silent.text)) == 1
    nxt = re.search(r'<a rel="next" href="([^"]+)"', silent.text)
    assert nxt is not None and "declared=silent" in unescape(nxt[1]) and "page=2" in unescape(nxt[1])
    second = client.get(unescape(nxt[1]))
    assert len(cards(second.text)) == 1 and cards(second.text) != cards(silent.text)
    assert '<a rel="prev" href="/demo/changes?declared=silent&amp;page=1&amp;limit=1"' in second.text
    assert cards(client.get("/demo/changes", params={"keyword": "QUIETLY"}).text)[0].count(NEW_HEADLINE) >= 1
    assert cards(client.get("/demo/changes", params={"until": "2001-01-01"}).text) == []
    page = client.get("/demo/changes", params={"kind": "body", "host": "www.presstv.ir"}).text
    assert len(cards(page)) == 1 and '<option value="www.presstv.ir" selected>' in page


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"kind": "typo"}, "kind='typo' is not one of"),
        ({"since": "last week"}, "since='last week' is not an ISO 8601"),
        ({"declared": "maybe"}, "declared='maybe' must be declared or silent"),
        ({"page": "0"}, "page must be from 1"),
        ({"limit": "many"}, "limit='many' is not a whole number"),
        ({"since": "2026-12-01", "until": "2026-11-01"}, "is after until="),
    ],
)
def test_a_bad_filter_is_a_400_page_naming_the_parameter(client, query, named):
    answer = client.get("/demo/changes", params=query)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert named in unescape(answer.text)


def test_the_page_links_its_exports_with_its_filters(client):
    page = client.get("/demo/changes", params={"kind": "headline", "page": "1"}).text
    assert '<a href="/demo/changes.csv?kind=headline">CSV</a>' in page
    assert '<a href="/demo/changes.jsonl?kind=headline">JSON Lines</a>' in page


def test_the_csv_export_has_a_header_and_one_row_per_change_with_the_diff_as_text(client, edited):
    answer = client.get("/demo/changes.csv", params={"kind": "headline"})
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="demo-changes.csv"' in answer.headers["content-disposition"]
    header, *rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    assert tuple(header) == FIELDS and len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["headline"] == NEW_HEADLINE and row["declared"] == "false" and row["kind"] == "headline"
    assert row["diff_text"] == f"'- {edited.old_headline}\n+ {NEW_HEADLINE}"  # spreadsheet-safe: see change_rows
    assert set(row["hosts"].split(" ")) == {"www.presstv.ir", "www.presstv.co.uk"}


def test_the_jsonl_export_follows_the_same_filters(client, edited):
    answer = client.get("/demo/changes.jsonl", params={"declared": "declared"})
    assert answer.headers["content-type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in answer.text.splitlines()]
    assert [(r["kind"], r["article_id"]) for r in rows] == [("body", edited.body_id)]
    assert isinstance(rows[0]["hosts"], list) and rows[0]["url"].startswith("http://www.presstv.ir:")
    bad = client.get("/demo/changes.jsonl", params={"kind": "typo"})
    assert bad.status_code == 400 and "kind='typo'" in bad.json()["detail"]


def test_feed_entries_link_to_the_archived_version_and_the_diff_page_not_the_live_outlet(client, edited):
    feed = ET.fromstring(client.get("/demo/changes.atom").content)  # noqa: S314 (our own feed)
    entries = feed.findall("a:entry", ATOM)
    assert entries
    for entry in entries:
        hrefs = {link.get("rel"): link.get("href") for link in entry.findall("a:link", ATOM)}
        assert re.match(r"^http://testserver/demo/\d{14}/http://www\.presstv\.", hrefs["alternate"]), hrefs
    (headline,) = [e for e in entries if "Quietly rewritten" in (e.findtext("a:title", namespaces=ATOM) or "")]
    related = [link.get("href") for link in headline.findall("a:link", ATOM) if link.get("rel") == "related"]
    assert related == [f"http://testserver/demo/article/{edited.headline_id}/compare?a=1&b=2"]
    assert "[-" not in (headline.findtext("a:summary", namespaces=ATOM) or "")


def test_an_article_has_its_own_feed_of_its_changes(client, edited):
    answer = client.get(f"/demo/article/{edited.body_id}/changes.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)  # noqa: S314 (our own feed)
    assert [e.find("a:category", ATOM).get("term") for e in feed.findall("a:entry", ATOM)] == ["body"]
    missing = client.get("/demo/article/12345/changes.atom")
    assert missing.status_code == 404 and "no article" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        ("/nowhere/changes", 404, "no collection 'nowhere'"),
        ("/demo/article/12345", 404, "no article '12345'"),
        ("/demo/article/12345/compare?a=x", 400, "a: "),
    ],
)
def test_a_page_route_answers_its_errors_as_an_html_page_with_a_way_home(client, path, status, said):
    answer = client.get(path)
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html")
    assert said in unescape(answer.text) and '<a href="/">Back to the collections</a>' in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere/cdx?url=x",
        "/demo/api/articles/12345",
        "/nowhere/changes.csv",
        "/demo/20260101000000/http://www.presstv.ir/nothing-here",
    ],
)
def test_machine_routes_keep_their_json_errors(client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]
