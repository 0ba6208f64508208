"""`edittrail serve` against hostile requests and hostile archived content (the reliability audit's
areas 3 and 4): a backtracking regex, malformed URLs, a spoofed Host, a decompression bomb, an
offline /docs, and every route fuzzed. The archive: two real crawls of the simulated outlet,
3,000 more captures (a big prefix to scan) and a gzip bomb, stored and indexed the real way."""

from __future__ import annotations

import http.client
import inspect
import json
import re
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from archive.api import cdx, create_app
from archive.api.budget import Deadline, QueryTimeoutError
from archive.api.inflate import MAX_CONCURRENT, MAX_DECODED_BYTES
from archive.index import Index
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import (
    Built,
    api_client,
    archive_exchanges,
    asset_exchanges,
    bomb_exchange,
    build_archive,
    served,
)
from tests.support import HOSTS

pytestmark = pytest.mark.integration
ASSETS = 3000
EVIL = "evil-host.invalid"
BOUND = 5.0
"""How long any route may take to answer while a hostile query runs (a generous bound: ms are normal)."""


@dataclass(frozen=True)
class Hostile:
    built: Built
    base: str
    """``http://www.presstv.ir:PORT`` as archived."""
    bomb_url: str
    bomb_stamp: str
    urls: list[str]
    stamps: list[str]
    article_ids: list[str]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=12) as sim:
        built = build_archive(tmp_path_factory.mktemp("hostile"), sim)
    base = sim.base_url("www.presstv.ir")
    bomb_url = f"{base}/bomb/page.html"
    archive_exchanges(built.config, "demo-hostile", [*asset_exchanges(base, ASSETS), bomb_exchange(bomb_url)])
    with Index(built.config.index_path, readonly=True) as idx:
        rows = list(idx._db.query("SELECT url, fetched_at, article_id FROM captures WHERE url != ?", [bomb_url]))
        bomb = next(idx._db.query("SELECT fetched_at FROM captures WHERE url = ?", [bomb_url]))
    picked = rows[:: max(1, len(rows) // 60)]  # every kind of capture, a few dozen of them
    return Hostile(
        built=built,
        base=base,
        bomb_url=bomb_url,
        bomb_stamp=cdx.timestamp_of(bomb["fetched_at"]),
        urls=sorted({r["url"] for r in picked}),
        stamps=sorted({cdx.timestamp_of(r["fetched_at"]) for r in picked}),
        article_ids=sorted({r["article_id"] for r in rows if r["article_id"]}),
    )


@pytest.fixture(scope="module")
def client(hostile):
    return api_client(hostile.built.config)


@pytest.fixture(scope="module")
def server(hostile) -> Iterator[str]:
    with served(create_app(hostile.built.config)) as base:
        yield base


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(base: str, target: str, headers: dict[str, str] | None = None, *, timeout: float = 30) -> Answer:
    """One GET with the request target and headers sent exactly as given (no client-side encoding or
    checks), the response read as sent (no content decoding)."""
    address = urlsplit(base)
    head = [f"GET {target} HTTP/1.1"]
    sent = {"Host": address.netloc, **(headers or {}), "Connection": "close"}
    head += [f"{name}: {value}" for name, value in sent.items()]
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))  # raw UTF-8, as curl sends it
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        body = response.read()
    return Answer(response.status, response.headers, body, time.monotonic() - started)


# 1. ReDoS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["~url:(.+)+X", "~urlkey:(.*)*;", "!~mime:(x+x+)+y", "~url:(.*a){20}"])
def test_a_backtracking_filter_finishes_and_other_routes_answer_meanwhile(server, hostile, expression):
    results: dict[str, Answer] = {}
    target = f"/demo/cdx?url=*.presstv.ir&filter={quote(expression, safe='')}"
    query = threading.Thread(target=lambda: results.update(hostile=fetch(server, target, timeout=60)))
    query.start()
    others = {
        "openapi": "/openapi.json",
        "exact": f"/demo/cdx?url={quote(hostile.urls[0], safe='')}",
        "home": "/",
    }
    for name, path in others.items():
        answer = fetch(server, path, timeout=BOUND)
        assert answer.status == 200 and answer.seconds < BOUND, (name, answer.status, answer.seconds)
    query.join(timeout=60)
    assert not query.is_alive(), f"{expression} still running after 60 s"
    assert results["hostile"].status == 200 or 400 <= results["hostile"].status < 500


def test_a_whole_domain_scan_with_a_backtracking_filter_is_quick(client):
    started = time.monotonic()
    response = client.get("/demo/cdx", params={"url": "*.presstv.ir", "filter": "~url:(.+)+X", "output": "json"})
    assert response.status_code == 200 and response.text == ""
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("expression", [r"~url:(a)\1", "~url:(?=http)", "~urlkey:(?<!a)b"])
def test_an_expression_re2_cannot_run_is_a_400_naming_the_filter(client, expression):
    response = client.get("/demo/cdx", params={"url": "*.presstv.ir", "filter": expression})
    assert response.status_code == 400 and repr(expression) in response.json()["detail"]


def test_a_query_out_of_time_is_a_503_that_says_how_to_narrow_it(hostile):
    spent = api_client_with(hostile, query_seconds=0)
    base = hostile.base
    for path, params in [
        ("/demo/cdx", {"url": f"{base}/assets/*", "filter": "~url:.*style"}),
        (f"/demo/timemap/link/{hostile.urls[0]}", {}),
        (f"/demo/{hostile.urls[0]}", {}),
        (f"/demo/{hostile.stamps[0]}id_/{hostile.urls[0]}", {}),
    ]:
        response = spent.get(path, params=params)
        assert response.status_code == 503, (path, response.text)
        assert "budget" in response.json()["detail"] and "narrow it" in response.json()["detail"]
        assert response.headers["retry-after"].isdigit()


def test_the_budget_is_checked_line_by_line_in_a_real_prefix_query(hostile):
    ticks = iter(range(10**6))
    deadline = Deadline(100, what="the CDX query", clock=lambda: float(next(ticks)))
    outlet = hostile.built.config.outlet("demo")
    query = cdx.build_query(outlet, {"url": [f"{hostile.base}/assets/*"]})
    with Index(hostile.built.config.index_path, readonly=True) as idx:
        assert len(cdx.run_query(idx, "demo", query)) == ASSETS
        with pytest.raises(QueryTimeoutError):
            cdx.run_query(idx, "demo", query, deadline=deadline)  # about 100 of 3,000 lines


def test_every_route_that_reads_the_index_runs_in_the_thread_pool(client):
    for route in client.app.routes:
        if isinstance(route, APIRoute):
            assert not inspect.iscoroutinefunction(route.endpoint), f"{route.path} would run on the event loop"


def api_client_with(hostile: Hostile, **options: Any) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(create_app(hostile.built.config, **options), follow_redirects=False)


# 2. Malformed URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/demo/20260101000000id_/file:%2F%2F%2Fetc%2Fpasswd",  # the audit's four 500s
        "/demo/cdx?url=http%3A//%5B%3A%3A1",
        "/demo/cdx?url=http%3A//a%3Ab%40c%3A99999/",
        "/demo/timemap/link/javascript%3Aalert%281%29",
        "/demo/timemap/link/http://[::1",
        "/demo/timemap/link/http://www.presstv.ir:99999/",
        "/demo/timemap/link/file:///etc/passwd",
        "/demo/http://[::1/x",
        "/demo/http://www.presstv.ir:70000/",
        "/demo/javascript:alert(1)",
        "/demo/20260101000000/http://www.presstv.ir:port/",
        "/demo/20260101000000if_/http://[fe80::1%25eth0/",
        "/demo/20260101000000id_/data:text/html,%3Cscript%3E",
        "/demo/cdx?url=javascript:alert(1)&matchType=prefix",
        "/demo/cdx?url=*.%5B%3A%3A1",
        "/demo/cdx?url=http://x%0d%0aSet-Cookie:%20a=1/",
        "/demo/cdx?url=http://www.presstv.ir:65536/*",
    ],
)
def test_a_malformed_url_is_a_400_with_a_message_on_every_route(server, target):
    answer = fetch(server, target)
    assert answer.status == 400, (target, answer.status, answer.body[:300])
    assert "url" in answer.json()["detail"]


# 3. Host header ------------------------------------------------------------------------------


def test_a_spoofed_host_reaches_no_location_link_or_page(server, hostile):
    spoof = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "javascript"}
    url, stamp = article_capture(hostile)
    timegate = fetch(server, f"/demo/{url}", spoof)
    assert timegate.status == 302 and timegate.headers["Location"].startswith("/demo/")  # path-absolute
    assert f"<{server}/demo/timemap/link/" in timegate.headers["Link"]  # absolute, on the bound address
    answers = [
        timegate,
        fetch(server, f"/demo/{stamp[:8]}/{url}", spoof),  # 302 to the closest
        fetch(server, f"/demo/{stamp}/{url}", spoof),
        fetch(server, f"/demo/{stamp}if_/{url}", spoof),
        fetch(server, f"/demo/timemap/link/{url}", spoof),
        fetch(server, f"/demo/cdx?url={quote(url, safe='')}&output=link", spoof),
        fetch(server, f"/demo/api/articles/{hostile.article_ids[0]}", spoof),
        fetch(server, f"/demo/article/{hostile.article_ids[0]}", spoof),
    ]
    for answer in answers:
        assert answer.status in (200, 302)
        assert EVIL not in str(answer.headers) and EVIL.encode() not in answer.body


def test_a_browser_on_localhost_gets_links_to_localhost(server, hostile):
    url, stamp = article_capture(hostile)
    port = urlsplit(server).port
    page = fetch(server, f"/demo/{stamp}/{url}", {"Host": f"localhost:{port}"})
    assert f'src="http://localhost:{port}/demo/{stamp}if_/' in page.body.decode()  # the frame is same-origin


def article_capture(hostile: Hostile) -> tuple[str, str]:
    with Index(hostile.built.config.index_path, readonly=True) as idx:
        row = next(idx._db.query("SELECT url, fetched_at FROM captures WHERE article_id IS NOT NULL LIMIT 1"))
    return row["url"], cdx.timestamp_of(row["fetched_at"])


# 4. Decompression bomb -----------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_in_the_frame_without_inflating_it(client, hostile):
    tracemalloc.start()
    try:
        response = client.get(f"/demo/{hostile.bomb_stamp}if_/{hostile.bomb_url}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 502
    assert "once decoded" in response.json()["detail"] and "id_" in response.json()["detail"]
    assert peak < 2 * MAX_DECODED_BYTES + 8 * 2**20, f"peak {peak / 2**20:.0f} MiB for one request"


def test_eight_concurrent_bombs_stay_within_a_bounded_memory(server, hostile):
    target = f"/demo/{hostile.bomb_stamp}if_/{hostile.bomb_url}"
    statuses: list[int] = []
    tracemalloc.start()
    try:
        threads = [threading.Thread(target=lambda: statuses.append(fetch(server, target).status)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert statuses == [502] * 8
    bound = (MAX_CONCURRENT + 1) * MAX_DECODED_BYTES  # at most MAX_CONCURRENT decode at once; it was 8 x 128 MiB
    assert peak < bound, f"peak {peak / 2**20:.0f} MiB for 8 requests"


def test_the_raw_bomb_is_served_as_stored_never_inflated(server, hostile):
    answer = fetch(server, f"/demo/{hostile.bomb_stamp}id_/{hostile.bomb_url}", {"Accept-Encoding": "identity"})
    assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert answer.body[:2] == b"\x1f\x8b" and len(answer.body) < 2**20  # the ~100 KB as archived
    assert int(answer.headers["Content-Length"]) == len(answer.body)


# 5. /docs offline ----------------------------------------------------------------------------


def test_docs_and_everything_they_load_come_from_the_service(server):
    page = fetch(server, "/docs")
    assert page.status == 200
    assets = re.findall(r"""(?:href|src)="([^"]+)"|url: '([^']+)'""", page.body.decode())
    for href, url in assets:
        target = href or url
        assert target.startswith("/") and not target.startswith("//"), target
        assert fetch(server, target).status == 200, target


# 6. Every route, fuzzed ----------------------------------------------------------------------

HOSTILE = [
    "", " ", ".", "..", "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "..%2f..%2f", "%00", "\x00", "\r\n", "\t",
    "%", "%zz", "%ff%fe", "%252e", "\\", "..\\..\\", "*", "*.", "*.presstv.ir", "~",
    "http://[::1", "http://[::1]:99999/", "http://a:b@c:99999/", "http://x:alert(1)/", "javascript:alert(1)",
    "file:///etc/passwd", "file:%2F%2F%2Fetc%2Fpasswd", "ftp://x/", "http://", "https:/", "data:text/html,<b>",
    "~url:(.+)+X", "~urlkey:(.*)*;", "~url:(a)\\1", "~url:(?=x)", "!~mime:(x+x+)+y", "=status:200", "status:2",
    "-1", "0", "99999999999999999999999999", "1e9", "\uff11\uff12", "NaN", "inf", "0x10", "2026-11-20", "20261399",
    "<script>alert(1)</script>", "' OR 1=1 --", '"', "NEAR(", "\u202e", "\U0001f600", "a" * 5000, "/" * 300,
    "Thu, 31 Feb 2026 25:61:61 GMT", "reverse", "closest", "prefix", "domain", "article", "json", "link",
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
HEADER_TEXT = st.one_of(
    st.sampled_from([h for h in HOSTILE if h.isprintable() and h.isascii()]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
)
MODIFIERS = st.sampled_from(["", "id_", "if_", "xx_", "js_"])


def value_for(name: str, hostile: Hostile) -> st.SearchStrategy[str]:
    """Values for a path or query parameter: the archive's own, hostile ones, and mixtures."""
    urls = st.sampled_from(hostile.urls)
    stamps = st.one_of(st.sampled_from(hostile.stamps), st.integers(0, 10**20).map(str), TEXT)
    known: dict[str, st.SearchStrategy[str]] = {
        "outlet": st.just("demo"),
        "url": st.one_of(urls, urls.map(lambda u: u.rsplit("/", 1)[0] + "/"), urls.map(lambda u: u + "*")),
        "rest": st.one_of(urls, st.builds(lambda t, m, u: f"{t}{m}/{u}", stamps, MODIFIERS, st.one_of(urls, TEXT))),
        "article_id": st.sampled_from(hostile.article_ids),
        "q": st.sampled_from(["Iran", '"headline nobody"', "Iran*"]),
        "from": stamps,
        "to": stamps,
        "closest": stamps,
        "a": st.integers(-(10**30), 10**30).map(str),
        "b": st.integers(-(10**30), 10**30).map(str),
        "limit": st.integers(-(10**30), 10**30).map(str),
    }
    return st.one_of(known.get(name, TEXT), TEXT, st.builds(str.__add__, known.get(name, TEXT), TEXT))


def fuzzable(app: Any) -> list[tuple[str, list[str], list[str]]]:
    """Every route of the app: (path template, methods, query parameter names)."""
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            names = [p.alias for p in route.dependant.query_params]
            found.append((route.path, sorted(route.methods), names))
        elif isinstance(route, Route):
            found.append((route.path, sorted(route.methods or ["GET"]), []))
        elif isinstance(route, Mount):
            found.append((route.path + "/{file:path}", ["GET"], []))
    return found


def request_for(draw: Any, template: str, names: list[str], hostile: Hostile) -> str:
    def fill(match: re.Match[str]) -> str:
        value = draw(value_for(match[1], hostile))
        return quote(value, safe="/:@!$&'()*+,;=~[]%")

    path = re.sub(r"\{([a-z_]+)(?::path)?\}", fill, template)
    pairs = [(name, draw(value_for(name, hostile))) for name in names if draw(st.booleans())]
    pairs += draw(st.lists(st.tuples(st.sampled_from([*names, "filter", "x", ""]), TEXT), max_size=3))
    query = urlencode(pairs) if draw(st.booleans()) else quote("&".join(f"{k}={v}" for k, v in pairs), safe="=&%")
    return path + (f"?{query}" if query else "")


def test_every_route_answers_hostile_input_without_a_server_error(client, hostile):
    routes = fuzzable(client.app)
    assert len(routes) >= 18, routes
    for template, methods, names in routes:
        fuzz_route(client, hostile, template, methods, names)


def fuzz_route(client: Any, hostile: Hostile, template: str, methods: list[str], names: list[str]) -> None:
    """Hostile requests to one route: never a 5xx, never slow, never the client's Host in a link."""

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        target = request_for(data.draw, template, names, hostile)
        method = data.draw(st.sampled_from(methods))
        headers = {
            name: data.draw(HEADER_TEXT)
            for name in ("Accept-Datetime", "X-Forwarded-Host", "X-Forwarded-Proto", "Cookie")
            if data.draw(st.booleans())
        }
        headers["Host"] = data.draw(st.sampled_from([EVIL, f"{EVIL}:8000", "testserver"]))
        started = time.monotonic()
        response = client.request(method, f"http://testserver{target}", headers=headers)
        assert response.status_code < 500, (template, method, target, response.text[:500])
        assert time.monotonic() - started < BOUND * 2, (template, target)
        shown = " ".join(response.headers.get_list("location") + response.headers.get_list("link"))
        assert EVIL not in shown, (template, target, shown)

    fuzz()


@pytest.mark.parametrize(
    "target",
    [
        "/demo/20260101000000id_/http://x/\x01",
        "/demo/cdx?url=\x7f",
        "/demo/cdx?url=%ff%fe%00&filter=~url:%ff",
        "/%00",
        "/demo/" + "a" * 60_000,
        "/demo/cdx?url=" + "b" * 60_000,
        "/demo/timemap/link/http://www.presstv.ir/%",
        "/demo/http://www.presstv.ir/Detail/2026/1/1/1/\u062e\u0628\u0631\u2013",
        "/static/..%2f..%2f..%2fetc/passwd",
        "/static/swagger-ui/..%2f..%2fswagger_ui_bundle/__init__.py",
        "/demo/api/articles/%2e%2e",
        "/demo/article/1/compare?a=99999999999999999999999&b=1",
        "/demo/changes?limit=99999999999999999999999",
        "http://evil.example/demo/cdx?url=x.org",
        "*",
    ],
)
def test_raw_hostile_requests_never_get_a_server_error(server, target):
    try:
        answer = fetch(server, target, timeout=BOUND * 2)
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return  # the HTTP parser refused the request line outright: no server error
    assert answer.status < 500, (target, answer.status, answer.body[:300])
