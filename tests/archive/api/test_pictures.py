"""The pictures: an article's timeline across hosts, the outlet's edit activity, and the record
SHA-256 in the cite blocks.

Built on two real crawls of the simulated outlet with a silent headline edit between them: the
pictures are inline SVG (role="img", a <title>, a <desc>) with their data as text beside them,
carry archived text only escaped, and count what the index holds.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil

import pytest
from markupsafe import Markup

from archive.api.pictures import svg
from archive.api.pictures.activity import edited_bar
from archive.api.pictures.timeline import article_timeline
from archive.index import Index
from archive.index.activity import Edited
from archive.simulate import SimulatedOutlet
from archive.storage import open_store
from tests.archive.api.support import EDITED_HEADLINE, api_client, build_archive
from tests.support import HOSTS

HOSTILE = '<script>alert("x")</script> & "quoted"'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        yield build_archive(tmp_path_factory.mktemp("pictures"), sim)


@pytest.fixture(scope="module")
def client(built):
    return api_client(built.config)


def svgs(page: str) -> list[str]:
    return re.findall(r'<svg[^>]*class="picture"[^>]*>.*?</svg>', page, re.S)


def accessible(picture: str) -> None:
    opening = re.match(r"<svg([^>]*)>", picture)
    assert opening is not None and 'role="img"' in opening.group(1)
    labelled = re.search(r'aria-labelledby="([^"]+) ([^"]+)"', opening.group(1))
    assert labelled is not None
    assert re.search(rf'<title id="{labelled.group(1)}">[^<]+</title>', picture)
    assert re.search(rf'<desc id="{labelled.group(2)}">[^<]+</desc>', picture)


# -- the builders ------------------------------------------------------------------


def test_svg_elements_escape_every_attribute_value_and_text():
    built = svg.element("text", {"x": 1, "data-x": HOSTILE}, HOSTILE, Markup("<tspan>kept</tspan>"))
    assert "<script>" not in built
    assert 'data-x="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;"' in built
    assert built.endswith("&lt;/script&gt; &amp; &#34;quoted&#34;<tspan>kept</tspan></text>")


def test_the_timeline_carries_archived_text_only_as_text():
    captures = [
        {"host": "a.example", "fetched_at": "2025-01-01T00:00:00Z", "status": 200, "record_type": "response"},
        {"host": "b.example", "fetched_at": "2025-01-02T00:00:00Z", "status": 404, "record_type": "response"},
    ]
    versions = [{"version": 1, "fetched_at": "2025-01-01T00:00:00Z", "headline": HOSTILE, "host": "a.example"}]
    change = {
        "kind": "headline",
        "declared": False,
        "to_time": "2025-01-02T00:00:00Z",
        "host": HOSTILE,
        "from_version": 1,
        "to_version": 2,
        "compare": '/demo/article/1/compare?a=1&b=2"><script>',
    }
    picture = str(article_timeline("1", ["a.example"], captures, versions, [change]))
    assert "<script>" not in picture
    assert "&lt;script&gt;" in picture
    assert 'href="/demo/article/1/compare?a=1&amp;b=2&#34;&gt;&lt;script&gt;"' in picture
    accessible(svgs(picture)[0])


def test_an_article_bar_is_as_long_as_its_share_of_the_most_edited():
    bar = str(edited_bar(Edited("7", changes=2, silent=1, last="2025-01-01T00:00:00Z", headline="x"), most=4))
    widths = [float(w) for w in re.findall(r'<rect[^>]* width="([\d.]+)"', bar)]
    assert widths == [40.0, 40.0]  # a quarter of 160 silent, a quarter declared
    accessible(bar)


# -- the article page ----------------------------------------------------------------


@pytest.mark.integration
def test_the_article_timeline_has_a_row_per_host_a_dot_per_capture_and_a_linked_mark_per_change(client, built):
    page = client.get(f"/demo/article/{built.edited_id}").text
    pictures = svgs(page)
    assert pictures, "no picture on the article page"
    timeline = pictures[0]
    accessible(timeline)
    with Index(built.config.index_path, readonly=True) as idx:
        captures = idx._db.execute("SELECT count(*) FROM captures WHERE article_id = ?", [built.edited_id]).fetchone()[
            0
        ]
        hosts = [
            r[0] for r in idx._db.execute("SELECT DISTINCT host FROM captures WHERE article_id = ?", [built.edited_id])
        ]
        versions = idx._db.execute("SELECT count(*) FROM versions WHERE article_id = ?", [built.edited_id]).fetchone()[
            0
        ]
        changes = list(idx._db.query("SELECT * FROM changes WHERE article_id = ?", [built.edited_id]))
    assert len(re.findall(r"<circle ", timeline)) == captures
    assert len(re.findall(r'<g class="band">', timeline)) == versions == 2
    for host in hosts:
        assert f">{host}</text>" in timeline
    assert changes and len(re.findall(r'<g class="mark (silent|declared)"', timeline)) == len(changes)
    layer = re.search(r'<svg[^>]*class="picture-links"[^>]*aria-hidden="true"[^>]*>(.*?)</svg>', page, re.S)
    assert layer is not None
    links = re.findall(r'<a href="([^"]+)" tabindex="-1">', layer.group(1))
    expected = {
        f"/demo/article/{c['article_id']}/compare?a={c['from_version']}&amp;b={c['to_version']}" for c in changes
    }
    assert set(links) == expected
    text = re.search(r'<details class="picture-text">(.*?)</details>', page, re.S)
    assert text is not None and html.escape(EDITED_HEADLINE, quote=False) in text.group(1)
    assert all(link in text.group(1) for link in expected)
    assert "silent" in text.group(1)


# -- the outlet page -----------------------------------------------------------------


@pytest.mark.integration
def test_the_outlet_page_counts_the_windows_changes_by_kind_and_declared_or_silent(client, built):
    page = client.get("/demo/").text
    pictures = svgs(page)
    assert len(pictures) >= 3
    for picture in pictures:
        accessible(picture)
    with Index(built.config.index_path, readonly=True) as idx:
        rows = list(idx._db.query("SELECT kind, declared, substr(to_time, 1, 10) AS day FROM changes"))
    assert rows, "the archive must have changes for this to prove anything"
    by_kind = re.findall(r"<title>(\d{4}-\d{2}-\d{2}): (\d+) (\w+) changes?</title>", pictures[0])
    assert sum(int(n) for _, n, _ in by_kind) == len(rows)
    assert {k for _, _, k in by_kind} == {r["kind"] for r in rows}
    split = re.findall(r"<title>\d{4}-\d{2}-\d{2}: (\d+) (declared|silent) changes?</title>", pictures[1])
    assert sum(int(n) for n, label in split if label == "silent") == sum(1 for r in rows if not r["declared"])
    table = re.search(r'<table class="activity-table">(.*?)</table>', page, re.S)
    assert table is not None and rows[0]["day"] in table.group(1)


@pytest.mark.integration
def test_the_most_edited_articles_link_their_current_headline_to_the_article_page(client, built):
    page = client.get("/demo/").text
    listed = re.search(r'<ol class="most-edited">(.*?)</ol>', page, re.S)
    assert listed is not None
    link = f'<a href="/demo/article/{built.edited_id}">{html.escape(EDITED_HEADLINE)}</a>'
    assert link in listed.group(1)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("days", "shown", "note"), [("7", 7, False), (" 365 ", 365, False), ("5", 30, True), ("²", 30, True)]
)
def test_the_window_is_one_of_the_offered_days_or_the_default_with_a_note(client, days, shown, note):
    answer = client.get("/demo/", params={"days": days})
    assert answer.status_code == 200
    assert f"Edit activity, the last {shown} days" in answer.text
    assert ("is not one of 7, 30, 90, 365" in answer.text) is note


# -- the cite blocks -------------------------------------------------------------------


def cites(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<details class="cite">.*?<pre>(.*?)</pre>', page, re.S)]


SHA_LINE = re.compile(r"SHA-256 of the WARC record's bytes at offset (\d+), length (\d+): ([0-9a-f]{64})")


@pytest.mark.integration
def test_each_cited_record_carries_the_sha256_of_its_bytes_in_the_warc_file(client, built):
    blocks = cites(client.get(f"/demo/article/{built.edited_id}").text)
    store = open_store(built.config.outlet("demo").store, built.config.root)
    checked = 0
    with Index(built.config.index_path, readonly=True) as idx:
        for block in blocks:
            for line in (line for line in block.splitlines() if "WARC record: " in line):
                record_id = line.split("WARC record: ", 1)[1].split(" (", 1)[0]
                capture = next(idx._db.query("SELECT * FROM captures WHERE record_id = ?", [record_id]))
                found = [m for m in SHA_LINE.finditer(block) if int(m.group(1)) == capture["offset"]]
                assert found, (record_id, block)
                with open(store.root / capture["warc"], "rb") as fh:
                    fh.seek(capture["offset"])
                    expected = hashlib.sha256(fh.read(capture["length"])).hexdigest()
                assert int(found[0].group(2)) == capture["length"]
                assert found[0].group(3) == expected
                checked += 1
    assert checked >= 3  # two versions, and the change's two records


@pytest.mark.integration
def test_a_store_that_cannot_be_read_leaves_the_record_sha256_out_with_a_note(client, built):
    store = open_store(built.config.outlet("demo").store, built.config.root)
    root = store.root
    aside = root.with_name(root.name + "-aside")
    shutil.move(root, aside)
    try:
        answer = client.get(f"/demo/article/{built.edited_id}")
    finally:
        shutil.move(aside, root)
    assert answer.status_code == 200
    blocks = cites(answer.text)
    assert blocks and all(not SHA_LINE.search(b) for b in blocks)
    assert all("could not be read from the outlet's store" in b for b in blocks)
    assert all("WARC file SHA-256: " in b for b in blocks)  # the index's lines stay
