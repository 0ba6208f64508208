"""The web UI in headless Chromium (the machine's ``chromium``, driven by Playwright) against a
real ``edittrail serve``: search, an article with its diff, an archived page; and a hostile
archived page whose script tries to read cookies, call the app's API and take over the top
window, and achieves none of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.simulate import SimulatedOutlet
from tests.archive.api.support import EDITED_HEADLINE, HOSTILE_ID, Built, build_archive
from tests.integration.browser import chromium, serving, skip_without_chromium
from tests.support import HOSTS

pytestmark = pytest.mark.integration
skip_without_chromium()


class Collector:
    """A loopback server that records every request: where a hostile script would send its loot."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = _record  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory, collector) -> Built:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        return build_archive(tmp_path_factory.mktemp("browser"), sim, hostile_collector=collector.url)


@pytest.fixture(scope="module")
def server(built, tmp_path_factory) -> Iterator[str]:
    with serving(built.config.path, tmp_path_factory.mktemp("serve") / "stderr.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    context = browser.new_context()
    context.add_cookies([{"name": "session", "value": "app-secret", "url": server}])
    page = context.new_page()
    yield page
    context.close()


def test_search_open_an_article_see_its_diff_and_view_an_archived_page(page, server, built):
    page.goto(f"{server}/demo/")
    page.fill("input[name=q]", "nobody announced")
    page.click("form.search button")
    page.wait_for_url("**/demo/search?q=*")
    page.click(f"a.headline[href*='/article/{built.edited_id}']")
    page.wait_for_url(f"**/demo/article/{built.edited_id}*")
    assert page.locator("h1").inner_text() == EDITED_HEADLINE
    change = page.locator("li.change.kind-headline").first
    assert change.locator(".badge.silent").inner_text() == "silent"
    edit = change.locator(".edit-line").first  # the headline as old → new, the changed words marked
    assert edit.locator(".new").inner_text().strip() == EDITED_HEADLINE
    assert edit.locator(".new ins").first.is_visible()
    assert edit.locator(".old del").first.is_visible()
    page.locator("table.timeline a.view").first.click()
    page.wait_for_selector("iframe.archived")
    assert page.locator("iframe.archived").get_attribute("sandbox") == ""
    frame = page.frame_locator("iframe.archived")
    assert frame.locator("h1").first.inner_text().strip()  # the archived article, shown


def test_a_hostile_archived_page_cannot_act_on_the_app(page, server, built, collector):
    from archive.api.cdx import timestamp_of
    from archive.index import Index

    with Index(built.config.index_path, readonly=True) as idx:
        (row,) = idx._db.query("SELECT * FROM captures WHERE article_id = ?", [HOSTILE_ID])
    stamp = timestamp_of(row["fetched_at"])
    memento = f"{server}/demo/{stamp}/{row['url']}"
    page.goto(memento)
    title = page.title()
    frame = page.frame_locator("iframe.archived")
    assert frame.locator("#headline").inner_text() == "An archived page with a hostile script"  # shown
    page.wait_for_timeout(1500)
    assert frame.locator("#headline").inner_text() != "SCRIPT RAN"  # its script never ran
    nested = frame.frame_locator("iframe#from-archive")  # a frame of the outlet's page, loaded from the archive
    assert nested.locator("a[href*='/Detail/']").first.get_attribute("href")
    assert page.url == memento and page.title() == title
    assert page.locator("#pwned").count() == 0 and page.locator(".memento-bar").is_visible()
    assert (frame.locator("#to-home").get_attribute("href") or "").startswith(f"{server}/demo/{stamp}if_/http")
    frame.locator("#to-live").click()  # the framed copy's links lead into the archive, not out
    page.wait_for_timeout(1000)
    archived_frame = page.locator("iframe.archived").element_handle().content_frame()
    assert archived_frame is not None and archived_frame.url.startswith(f"{server}/demo/{stamp}if_/")
    # opened directly, outside the frame, the response's CSP sandbox still stops it
    page.goto(f"{server}/demo/{stamp}id_/{row['url']}")
    page.wait_for_timeout(1500)
    assert page.locator("#headline").inner_text() != "SCRIPT RAN"
    assert page.url.startswith(server)
    assert collector.hits == []  # no cookie, API answer, navigation or live image, style or frame got out
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies == {"session": "app-secret"}  # the archived Set-Cookie was not applied
