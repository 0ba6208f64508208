"""The web service on an index built by real crawls: CDX API, Memento (RFC 7089), raw records,
article JSON, search, feed, pages. Expected headers and link formats follow the specs' examples."""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime

import pytest

from archive.api.raw import ARCHIVE_ONLY
from archive.index import Capture, Index
from archive.read.retrieve import retrieve
from archive.simulate import SimulatedOutlet
from archive.storage import open_store
from tests.archive.api.support import EDITED_HEADLINE, Built, api_client, build_archive
from tests.support import HOSTS

pytestmark = pytest.mark.integration
LINK_ENTRY = re.compile(r'<([^>]+)>((?:\s*;\s*[a-z]+="[^"]*")+)')


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        return build_archive(tmp_path_factory.mktemp("api"), sim)


@pytest.fixture(scope="module")
def client(built):
    return api_client(built.config)


@pytest.fixture(scope="module")
def article_rows(built) -> list[dict]:
    with Index(built.config.index_path, readonly=True) as idx:
        return list(
            idx._db.query(
                "SELECT * FROM captures WHERE article_id = ? ORDER BY fetched_at, record_id", [built.edited_id]
            )
        )


def links(header: str) -> list[tuple[str, dict[str, str]]]:
    """Parse a Link header / link-format body into (URI, params)."""
    return [(uri, dict(re.findall(r'([a-z]+)="([^"]*)"', params))) for uri, params in LINK_ENTRY.findall(header)]


def http_date(text: str) -> str:
    parsed = parsedate_to_datetime(text)
    assert text.endswith(" GMT") and parsed.strftime("%a, %d %b %Y %H:%M:%S GMT") == text
    return parsed.strftime("%Y%m%d%H%M%S")


def test_cdx_exact_query_answers_sorted_cdxj_lines_with_pywb_fields(client, built, article_rows):
    url = article_rows[0]["url"]
    response = client.get("/demo/cdx", params={"url": url})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/x-cdxj")
    lines = response.text.splitlines()
    assert lines == sorted(lines) and len(lines) == sum(1 for r in article_rows if r["url"] == url)
    urlkey, stamp, data = lines[0].split(" ", 2)
    fields = json.loads(data)
    assert urlkey == article_rows[0]["urlkey"] and len(stamp) == 14 and stamp.isdigit()
    assert set(fields) == {"url", "mime", "status", "digest", "length", "offset", "filename"}
    assert fields["url"] == url and fields["status"] == "200" and fields["digest"].startswith("sha1:")


def test_cdx_match_types_wildcards_and_domain(client, built):
    base = built.sim.base_url("www.presstv.ir")
    prefix = client.get("/demo/cdx", params={"url": f"{base}/Detail/*", "output": "json"}).text.splitlines()
    assert prefix and all(json.loads(line)["url"].startswith(f"{base}/Detail/") for line in prefix)
    assert (
        prefix
        == client.get(
            "/demo/cdx", params={"url": f"{base}/Detail/", "matchType": "prefix", "output": "json"}
        ).text.splitlines()
    )
    host = [
        json.loads(line)
        for line in client.get(
            "/demo/cdx", params={"url": base, "matchType": "host", "output": "json"}
        ).text.splitlines()
    ]
    assert {h["url"].split("/")[2] for h in host} == {f"www.presstv.ir:{built.sim.port}"}
    domain = client.get("/demo/cdx", params={"url": "*.presstv.ir", "output": "json", "fl": "url"}).text.splitlines()
    assert len(domain) == len(host)  # www. is not a subdomain in SURT, and co.uk is another domain
    mirror = client.get("/demo/cdx", params={"url": "presstv.co.uk", "matchType": "domain", "fl": "url"}).text
    assert mirror and "presstv.co.uk" in mirror and "presstv.ir" not in mirror


def test_cdx_article_match_spans_every_mirror(client, built, article_rows):
    url = article_rows[0]["url"].replace("www.presstv.ir", "www.presstv.co.uk").rsplit("/", 1)[0] + "/any-slug"
    lines = client.get("/demo/cdx", params={"url": url, "matchType": "article", "output": "json"}).text.splitlines()
    assert len(lines) == len(article_rows)
    assert {json.loads(line)["url"].split("/")[2].split(":")[0] for line in lines} == {
        "www.presstv.ir",
        "www.presstv.co.uk",
    }


def test_cdx_time_range_limit_sort_filter_and_fields(client, built):
    url = f"{built.sim.base_url('www.presstv.ir')}/sitemap.xml"
    everything = client.get("/demo/cdx", params={"url": url, "output": "json"}).text.splitlines()
    rows = [json.loads(line) for line in everything]
    assert len(rows) == 2 and rows[0]["mime"] == "application/xml" and rows[1]["mime"] == "warc/revisit"
    first, second = rows[0]["timestamp"], rows[1]["timestamp"]
    assert client.get("/demo/cdx", params={"url": url, "to": first, "fl": "timestamp"}).text.split() == [first]
    assert client.get("/demo/cdx", params={"url": url, "from": second, "fl": "timestamp"}).text.split() == [second]
    assert client.get(
        "/demo/cdx", params={"url": url, "from": first[:4], "to": second[:4], "fl": "timestamp"}
    ).text.split() == [first, second]
    assert client.get(
        "/demo/cdx", params={"url": url, "sort": "reverse", "limit": 1, "fl": "timestamp"}
    ).text.split() == [second]
    closest = {"url": url, "sort": "closest", "closest": first, "limit": 1, "fl": "timestamp"}
    assert client.get("/demo/cdx", params=closest).text.split() == [first]
    assert client.get("/demo/cdx", params={"url": url, "filter": "mime:revisit", "fl": "timestamp"}).text.split() == [
        second
    ]
    assert client.get("/demo/cdx", params={"url": url, "filter": "!mime:revisit", "fl": "timestamp"}).text.split() == [
        first
    ]
    assert client.get(
        "/demo/cdx", params={"url": url, "filter": ["=status:200", "~urlkey:ir,presstv"], "fl": "timestamp"}
    ).text.split() == [first, second]
    assert client.get("/demo/cdx", params={"url": url, "filter": "=status:20"}).text == ""
    text = client.get("/demo/cdx", params={"url": url, "fl": "timestamp,status", "output": "text"}).text
    assert text.splitlines() == [f"{first} 200", f"{second} 200"]


@pytest.mark.parametrize(
    ("path", "params", "headers", "fragment"),
    [
        ("/demo/cdx", {}, {}, "url is required"),
        ("/demo/cdx", {"url": "ftp://x/"}, {}, "not an http(s) URL"),
        ("/demo/cdx", {"url": "www.presstv.ir", "limit": "100000000"}, {}, "limit"),
        ("/demo/cdx", {"url": "www.presstv.ir", "limit": "-5"}, {}, "limit"),
        ("/demo/cdx", {"url": "www.presstv.ir", "limit": "²"}, {}, "limit"),  # a digit to isdigit, not to int
        ("/demo/cdx", {"url": "www.presstv.ir", "from": "٢٠٢٦"}, {}, "from="),  # Arabic-Indic digits
        ("/demo/api/changes", {"since": "²"}, {}, "since"),
        ("/demo/cdx", {"url": "www.presstv.ir", "from": "2026-11"}, {}, "from="),
        ("/demo/cdx", {"url": "www.presstv.ir", "filter": "colour:red"}, {}, "unknown field"),
        ("/demo/cdx", {"url": "www.presstv.ir", "filter": "~url:("}, {}, "regular expression"),
        ("/demo/cdx", {"url": "www.presstv.ir", "sort": "closest"}, {}, "closest="),
        ("/demo/cdx", {"url": "www.presstv.ir", "matchType": "fuzzy"}, {}, "matchType"),
        ("/demo/cdx", {"url": "www.presstv.ir", "output": "xml"}, {}, "output"),
        ("/demo/cdx", {"url": "www.presstv.ir", "fl": "urlkey,colour"}, {}, "fl"),
        ("/demo/http://www.presstv.ir/", {}, {"Accept-Datetime": "2026-11-25"}, "RFC 1123"),
        ("/demo/http://www.presstv.ir/", {}, {"Accept-Datetime": "Thu, 99 Nov 2026 00:00:00 GMT"}, "not a valid date"),
        ("/demo/20261399999999/http://www.presstv.ir/", {}, {}, "not a valid date"),
        ("/demo/http://", {}, {}, "not an http(s) URL"),
        ("/demo/api/search", {"q": '"unterminated'}, {}, "not a valid full-text query"),
        ("/demo/api/changes", {"kind": "typo"}, {}, "kind"),
        ("/demo/api/changes", {"since": "yesterday"}, {}, "since"),
    ],
)
def test_bad_queries_get_a_400_naming_the_problem(client, path, params, headers, fragment):
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["detail"]


def test_unknown_collection_and_unknown_url_are_404(client):
    assert client.get("/nosuch/cdx", params={"url": "x.org"}).status_code == 404
    response = client.get("/demo/http://www.presstv.ir/Detail/2026/1/1/1/never-archived")
    assert response.status_code == 404 and "no capture" in response.json()["detail"]
    assert client.get("/demo/timemap/link/http://nowhere.example/").status_code == 404
    assert client.get("/demo/api/articles/123").status_code == 404


def test_timemap_lists_original_self_timegate_and_every_memento_on_every_mirror(client, built, article_rows):
    # asked on the mirror, under another slug: the article's captures on both domains
    asked = article_rows[0]["url"].replace("www.presstv.ir", "www.presstv.co.uk").rsplit("/", 1)[0] + "/other-slug"
    response = client.get(f"/demo/timemap/link/{asked}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/link-format")
    entries = links(response.text)
    assert entries[0] == (asked, {"rel": "original"})
    self_uri, self_params = entries[1]
    assert self_uri == f"http://testserver/demo/timemap/link/{asked}"
    assert self_params["rel"] == "self" and self_params["type"] == "application/link-format"
    assert entries[2] == (f"http://testserver/demo/{asked}", {"rel": "timegate"})
    mementos = entries[3:]
    assert len(mementos) == len(article_rows)
    assert mementos[0][1]["rel"] == "first memento" and mementos[-1][1]["rel"] == "last memento"
    assert all(p["rel"] == "memento" for _, p in mementos[1:-1])
    stamps = [http_date(p["datetime"]) for _, p in mementos]
    assert stamps == sorted(stamps)
    assert http_date(self_params["from"]) == stamps[0] and http_date(self_params["until"]) == stamps[-1]
    for (uri, _), row in zip(mementos, article_rows, strict=True):
        assert uri == f"http://testserver/demo/{re.sub(r'[^0-9]', '', row['fetched_at'])}/{row['url']}"
    assert {uri.split("/")[7].split(":")[0] for uri, _ in mementos} == {"www.presstv.ir", "www.presstv.co.uk"}


def test_timegate_negotiates_datetime_at_before_and_after_the_archive(client, built, article_rows):
    url = article_rows[0]["url"]
    stamps = [re.sub(r"\D", "", r["fetched_at"]) for r in article_rows]

    def negotiate(accept: str | None) -> str:
        response = client.get(f"/demo/{url}", headers={"Accept-Datetime": accept} if accept else {})
        assert response.status_code == 302
        assert response.headers["vary"].lower() == "accept-datetime"
        link = links(response.headers["link"])
        assert link[0] == (url, {"rel": "original"})
        assert link[1][0] == f"http://testserver/demo/timemap/link/{url}" and link[1][1]["rel"] == "timemap"
        assert response.content == b""
        return response.headers["location"].split("/demo/", 1)[1].split("/", 1)[0]

    assert negotiate("Tue, 01 Jan 2002 00:00:00 GMT") == stamps[0]  # before the first capture
    assert negotiate("Fri, 31 Dec 2100 23:59:59 GMT") == stamps[-1]  # after the last
    assert negotiate(None) == stamps[-1]  # no Accept-Datetime: the most recent
    second = article_rows[-1]
    exact = parsedate_to_datetime(client.get(f"/demo/{url}").headers["link"].split('datetime="')[-1].split('"')[0])
    assert negotiate(exact.strftime("%a, %d %b %Y %H:%M:%S GMT")) == re.sub(r"\D", "", second["fetched_at"])


def test_memento_carries_memento_datetime_and_links_and_frames_the_rewritten_record(client, built, article_rows):
    row = article_rows[0]
    stamp = re.sub(r"\D", "", row["fetched_at"])
    response = client.get(f"/demo/{stamp}/{row['url']}")
    assert response.status_code == 200
    assert http_date(response.headers["memento-datetime"]) == stamp
    rels = {p["rel"]: uri for uri, p in links(response.headers["link"])}
    assert rels["original"] == row["url"]
    assert rels["timegate"] == f"http://testserver/demo/{row['url']}"
    assert rels["timemap"] == f"http://testserver/demo/timemap/link/{row['url']}"
    assert "first memento" in rels and "next memento" in rels
    framed = f"http://testserver/demo/{stamp}if_/{row['url']}"
    assert f'<iframe class="archived" sandbox src="{framed}"' in response.text
    assert f'href="http://testserver/demo/{stamp}id_/{row["url"]}"' in response.text  # the evidence, unchanged
    assert "script-src 'none'" in response.headers["content-security-policy"]


def test_the_framed_record_is_decoded_and_its_links_stay_in_the_archive(client, built, article_rows):
    row = article_rows[0]
    stamp = re.sub(r"\D", "", row["fetched_at"])
    response = client.get(f"/demo/{stamp}if_/{row['url']}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-encoding" not in response.headers  # decoded: the archived bytes are at id_
    assert response.headers["content-security-policy"] == f"sandbox; {ARCHIVE_ONLY}"
    hrefs = re.findall(r'(?:href|src)="([^"#]+)"', response.text)
    assert hrefs and all(h.startswith(f"http://testserver/demo/{stamp}if_/") for h in hrefs if "://" in h), hrefs
    live = built.sim.base_url("www.presstv.ir")
    live_links = re.findall(rf'(?:href|src|srcset|action|poster|data)="{re.escape(live)}[^"]*"', response.text)
    assert live_links == []  # no link left to the live site (data-* attributes are not links)
    other = next(h for h in hrefs if "/Detail/" in h and row["url"] not in h)
    followed = client.get(other, follow_redirects=False)
    assert followed.status_code in (200, 302)  # an archived article, at or near this moment
    if followed.status_code == 302:
        assert f"if_/{live.split('://')[0]}" in followed.headers["location"]  # and still framed


def test_a_memento_at_an_inexact_time_redirects_to_the_closest(client, article_rows):
    row = article_rows[0]
    stamp = re.sub(r"\D", "", row["fetched_at"])
    response = client.get(f"/demo/{stamp[:8]}/{row['url']}")
    assert response.status_code == 302 and response.headers["location"].endswith(f"/demo/{stamp}/{row['url']}")


def test_raw_record_is_the_archived_response_served_sandboxed(client, built, article_rows):
    row = article_rows[0]
    stamp = re.sub(r"\D", "", row["fetched_at"])
    response = client.get(f"/demo/{stamp}id_/{row['url']}", headers={"Accept-Encoding": "identity"})
    store = open_store(built.config.outlet("demo").store, built.config.root)
    with Index(built.config.index_path, readonly=True) as idx:
        archived = retrieve(store, idx, Capture.from_row(row))
    assert response.status_code == archived.status == 200
    assert response.headers["content-security-policy"] == f"sandbox; {ARCHIVE_ONLY}"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert http_date(response.headers["memento-datetime"]) == stamp
    assert response.headers["content-encoding"] == "gzip"  # as captured, still encoded
    raw_body = client.get(f"/demo/{stamp}id_/{row['url']}").content
    import gzip

    assert raw_body in (archived.payload, gzip.decompress(archived.payload))
    assert "x-archive-orig-date" in response.headers and "transfer-encoding" not in response.headers


def test_raw_revisit_gives_the_original_payload(client, built):
    url = f"{built.sim.base_url('www.presstv.ir')}/sitemap.xml"
    rows = [
        json.loads(line) for line in client.get("/demo/cdx", params={"url": url, "output": "json"}).text.splitlines()
    ]
    first, revisit = (client.get(f"/demo/{r['timestamp']}id_/{url}") for r in rows)
    assert rows[1]["mime"] == "warc/revisit"
    assert revisit.status_code == 200 and revisit.content == first.content and b"<sitemapindex" in revisit.content


def test_article_json_has_captures_on_every_domain_versions_and_changes(client, built, article_rows):
    data = client.get(f"/demo/api/articles/{built.edited_id}").json()
    assert data["article_id"] == built.edited_id and set(data["hosts"]) == {"www.presstv.ir", "www.presstv.co.uk"}
    assert len(data["captures"]) == len(article_rows)
    assert [v["version"] for v in data["versions"]] == [1, 2] and data["versions"][1]["headline"] == EDITED_HEADLINE
    (change,) = [c for c in data["changes"] if c["kind"] == "headline"]
    assert change["declared"] is False and "<ins>A headline nobody announced</ins>" in change["diff_html"]


def test_search_finds_versions_by_their_words(client, built):
    hits = client.get("/demo/api/search", params={"q": '"headline nobody announced"'}).json()["hits"]
    assert [(h["article_id"], h["version"]) for h in hits] == [(built.edited_id, 2)]


def test_the_changes_feed_and_the_changes_json(client, built):
    feed = client.get("/demo/changes.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in feed.text and "headline" in feed.text
    silent = client.get("/demo/api/changes", params={"declared": "false", "kind": "headline"}).json()["changes"]
    assert built.edited_id in {c["article_id"] for c in silent}
    assert client.get("/demo/api/changes", params={"declared": "true", "kind": "headline"}).json()["changes"] == []


def test_the_pages_render_and_escape_archived_text(client, built):
    assert client.get("/").status_code == 200
    article = client.get(f"/demo/article/{built.edited_id}")
    assert article.status_code == 200 and "<ins>A headline nobody announced</ins>" in article.text
    assert 'class="badge silent"' in article.text and "timeline" in article.text
    search = client.get("/demo/search", params={"q": "<script>alert(1)</script> nobody"})
    assert search.status_code == 200 and "<script>alert(1)" not in search.text and "&lt;script&gt;" in search.text
    changes = client.get("/demo/changes", params={"kind": "headline", "declared": "silent"})
    assert changes.status_code == 200 and f"/demo/article/{built.edited_id}" in changes.text
    compare = client.get(f"/demo/article/{built.edited_id}/compare", params={"a": 1, "b": 2})
    assert compare.status_code == 200 and "<del>" in compare.text and "<ins>" in compare.text


def test_openapi_schema_documents_the_machine_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/{outlet}/cdx",
        "/{outlet}/timemap/link/{url}",
        "/{outlet}/api/articles/{article_id}",
        "/{outlet}/api/search",
    ):
        assert path in paths
