"""The article page compares any two versions and cites each version and change so a reader can check it.

An article edited twice over three crawls of the simulated outlet (a silent headline edit, then
a headline with markup characters in it and a body edit): the pickers offer all three versions,
version 1 against version 3 shows both edits in plain words, inline and side by side, and each
"cite this" block names a memento this service serves and a WARC record whose bytes, read from
the store at the cited offset and length, carry the cited digest.
"""

from __future__ import annotations

import hashlib
import html
import re

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from archive.simulate import SimulatedOutlet
from archive.storage import open_store
from archive.warc.reader import load_record
from tests.archive.api.support import api_client, wait_past
from tests.archive.index.query_plans import collecting, findings
from tests.support import HOSTS, TWO_DOMAINS, write_config

pytestmark = pytest.mark.integration
SECOND = "A headline nobody announced"
THIRD = "Now <em>marked</em> & changed"
NEW_PARAGRAPH = "A paragraph added without a word from the outlet."


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("article-page")
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
        edited = sim.site.article_ids()[1]
        for edit in (
            lambda: None,
            lambda: sim.edit_headline(edited, SECOND),
            lambda: (sim.edit_headline(edited, THIRD), sim.edit_body(edited, replace={0: NEW_PARAGRAPH})),
        ):
            edit()
            pipeline.run_cycle(config, "demo")
            with Index(config.index_path, readonly=True) as idx:
                wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])
    return config, str(edited)


@pytest.fixture(scope="module")
def client(built):
    return api_client(built[0])


def article(client, built) -> str:
    answer = client.get(f"/demo/article/{built[1]}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def test_the_article_page_offers_two_labelled_pickers_of_every_version(client, built):
    page = article(client, built)
    form = re.search(r'<form class="compare-pick" action="([^"]+)" method="get">(.*?)</form>', page, re.S)
    assert form is not None and form.group(1) == f"/demo/article/{built[1]}/compare"
    for name in ("a", "b"):
        assert f'<label for="compare-{name}">' in form.group(2)
        select = re.search(rf'<select id="compare-{name}" name="{name}">(.*?)</select>', form.group(2), re.S)
        assert select is not None
        assert re.findall(r'<option value="(\d+)"', select.group(1)) == ["1", "2", "3"]
    assert re.search(r'<option value="2" selected>version 2 · \d{4}-', form.group(2))  # the last two by default
    assert re.search(r'<option value="3" selected>version 3 · \d{4}-', form.group(2))


def test_any_two_versions_compare_inline_and_side_by_side_under_plain_headings(client, built):
    answer = client.get(f"/demo/article/{built[1]}/compare", params={"a": 1, "b": 3})
    assert answer.status_code == 200, answer.text[:300]
    page = answer.text
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)
    edits = re.findall(r'<p class="edit">(.*?)</p>', page, re.S)
    # versions 1 and 3 are two edits apart: neither declared nor silent is said of the pair
    assert any("Headline changed" in h and "silent" not in h for h in headings), headings
    assert any("Body changed" in h or "Lead and body changed" in h for h in headings), headings
    for text in headings + edits:
        assert "[-" not in text and "{+" not in text, text
    headline_edit = next(e for e in edits if "→" in e and html.escape(THIRD, quote=False) in e)
    assert "<em>" not in headline_edit  # archived text is escaped, never markup
    assert re.search(r'<div class="diff inline">.*<del>.*<ins>', page, re.S)
    left = re.search(r'<div class="diff left">(.*?)</div>', page, re.S)
    right = re.search(r'<div class="diff right">(.*?)</div>', page, re.S)
    assert left and right and "<ins>" not in left.group(1) and "<del>" not in right.group(1)
    assert "<ins>" in right.group(1)


@pytest.mark.parametrize(("a", "b", "message"), [(3, 1, "Version 3 is newer than version 1"), (2, 2, "Both pickers")])
def test_versions_out_of_order_or_the_same_get_a_message_and_the_pickers_not_an_error(client, built, a, b, message):
    answer = client.get(f"/demo/article/{built[1]}/compare", params={"a": a, "b": b})
    assert answer.status_code == 400
    assert message in answer.text and 'class="compare-pick"' in answer.text
    if a > b:
        assert f"compare?a={b}&amp;b={a}" in answer.text


def test_a_version_the_article_does_not_have_is_not_found(client, built):
    assert client.get(f"/demo/article/{built[1]}/compare", params={"a": 1, "b": 9}).status_code == 404
    assert client.get("/demo/article/12345678/compare", params={"a": 2, "b": 1}).status_code == 404


def cites(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<details class="cite">.*?<pre>(.*?)</pre>', page, re.S)]


def test_each_version_cites_a_served_memento_and_a_warc_record_with_its_digests(client, built):
    config, edited = built
    blocks = [c for c in cites(article(client, built)) if re.search(r", version \d+, captured ", c.splitlines()[0])]
    assert len(blocks) == 3
    store = open_store(config.outlet("demo").store, config.root)
    with Index(config.index_path, readonly=True) as idx:
        versions = list(idx._db.query("SELECT version, record_id FROM versions WHERE article_id = ?", [edited]))
        for row, block in zip(sorted(versions, key=lambda r: r["version"]), blocks, strict=True):
            fields = dict(line.split(": ", 1) for line in block.splitlines()[1:] if ": " in line)
            capture = next(idx._db.query("SELECT * FROM captures WHERE record_id = ?", [row["record_id"]]))
            assert f"version {row['version']}," in block.splitlines()[0]
            assert fields["WARC file"] == capture["warc"]
            assert fields["WARC record"].startswith(f"{row['record_id']} (") and f"offset {capture['offset']}," in block
            record = load_record(store.read_range(capture["warc"], capture["offset"], capture["length"]))
            assert record.info.record_id == row["record_id"]
            assert fields["WARC-Payload-Digest"].startswith(f"{record.info.payload_digest} (SHA-1")
            with store.open(capture["warc"]) as stream:
                whole = hashlib.sha256(stream.read()).hexdigest()
            assert fields["WARC file SHA-256"].startswith(f"{whole} (SHA-256 of the whole WARC file")
            assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT \(.+Z\)", fields["Memento-Datetime"])
            memento = fields["Archived copy"].removeprefix("http://testserver")
            assert client.get(memento).status_code == 200, memento


def test_each_change_cites_the_captures_before_and_after_and_the_comparison(client, built):
    config, edited = built
    blocks = [c for c in cites(article(client, built)) if " change (" in c.splitlines()[0]]
    with Index(config.index_path, readonly=True) as idx:
        changes = list(
            idx._db.query("SELECT * FROM changes WHERE article_id = ? ORDER BY to_time DESC, id DESC", [edited])
        )
    assert len(blocks) == len(changes) >= 2
    for change, block in zip(changes, blocks, strict=True):
        label = "declared" if change["declared"] else "silent"
        assert f", article {edited}: {change['kind']} change ({label})" in block.splitlines()[0]
        assert f"compare?a={change['from_version']}&b={change['to_version']}" in block
        before, after = block.split("\nBefore:\n")[1].split("\nAfter:\n")
        assert f"WARC record: {change['from_record']} (" in before
        assert f"WARC record: {change['to_record']} (" in after


def test_the_citations_are_looked_up_by_record_id_not_by_walking_the_captures(client, built, monkeypatch):
    with collecting(monkeypatch) as traced:
        article(client, built)
    cited = [s for s in traced.distinct() if "LEFT JOIN warc_objects w ON w.key = c.warc" in s]
    assert cited, "the citations' statement was not traced: has it moved?"
    assert findings(built[0].index_path, cited) == {}
