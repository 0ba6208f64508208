"""Every page of the web UI in headless Chromium (the machine's ``chromium``, driven by Playwright)
against a real ``edittrail serve``, at a desktop width and a phone width: no console error, no
script error, no request off the service's origin, no serious or critical accessibility
violation (axe-core from the npm registry, pinned in package-lock.json, installed by ``make test``
with ``npm ci``), and a screenshot of each kept under build/screenshots/ as an artifact.

The service has one origin: the framed archived page is served by the same ``edittrail serve``
(``/{outlet}/{timestamp}if_/{url}``); what keeps it from the app is the frame's ``sandbox`` and
the response's CSP ``sandbox`` (an opaque origin), not another host (``archive.api.origin``,
``archive.api.raw``). So the only origin a page may reach is the one the browser opened.

With ``EDITTRAIL_DOCS_SCREENSHOTS=1`` the pages the README's researcher guide shows are also shot
as a desktop window's first screenful (``<page>-desktop-top.png``) and copied to
``docs/screenshots/<page>.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from archive import pipeline
from archive.index import Index
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import EDITED_HEADLINE, Built, build_archive, wait_past
from tests.integration.browser import chromium, serving, skip_without_chromium
from tests.support import HOSTS, ROOT

pytestmark = pytest.mark.integration
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "build" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING_IMPACTS = ("serious", "critical")
REWORDED_PARAGRAPH = "Officials later said the talks were postponed, not cancelled, and would resume next month."
DOCS_PAGES = ("outlet", "changes", "article", "compare", "domains")
"""The pages the README's researcher guide shows: the desktop window's first screenful."""
DOCS = os.environ.get("EDITTRAIL_DOCS_SCREENSHOTS") == "1"

skip_without_chromium()
if shutil.which("node") is None or shutil.which("npm") is None:
    pytest.skip("node/npm are not installed: no axe-core for the accessibility check", allow_module_level=True)


@dataclass(frozen=True)
class PageSpec:
    """A page of the UI: its name (the screenshot's), how to reach it, and the route that serves it."""

    name: str
    route: str
    status: int = 200


PAGES = [
    PageSpec("home", "/"),
    PageSpec("outlet", "/{outlet}/"),
    PageSpec("search", "/{outlet}/search"),
    PageSpec("changes", "/{outlet}/changes"),
    PageSpec("changes-filtered", "/{outlet}/changes"),
    PageSpec("article", "/{outlet}/article/{article_id}"),
    PageSpec("compare", "/{outlet}/article/{article_id}/compare"),
    PageSpec("memento", "/{outlet}/{rest:path}"),
    PageSpec("not-found", "/{outlet}/article/{article_id}", status=404),
    PageSpec("not-found-below-article", "/{outlet}/article/{article_id}/{rest:path}", status=404),
    PageSpec("domains", "/{outlet}/domains"),
]


NOTES: list[str] = []
"""What the run saw that fails no test (moderate and minor accessibility findings, a page wider
than the phone's screen): printed at the end for the pages' owners."""


@dataclass
class Visit:
    """What the browser saw while it showed one page."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` at the repository root (`make test` does)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The shared test archive (a silent headline edit between two crawls), then a third crawl
    after more edits: a declared body edit of the same article, a backdating and a retraction,
    so the pages show (and axe checks) each kind of change and a capture that failed."""
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        built = build_archive(tmp_path_factory.mktemp("browser-pages"), sim)
        with Index(built.config.index_path, readonly=True) as idx:
            wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])
        backdated, retracted = sim.site.article_ids()[2:4]
        sim.edit_body(int(built.edited_id), replace={1: REWORDED_PARAGRAPH}, declared=True)
        sim.edit_date(backdated, datetime(2020, 1, 2, 3, 4, tzinfo=UTC))
        sim.retract(retracted)
        pipeline.run_cycle(built.config, "demo")
        return built


@pytest.fixture(scope="module")
def routes(built) -> set[str]:
    """The paths of the app's routes, to tell a page not built yet from a broken one."""
    from archive.api import create_app

    return {getattr(route, "path", "") for route in create_app(built.config).routes}


@pytest.fixture(scope="module")
def server(built, tmp_path_factory) -> Iterator[str]:
    with serving(built.config.path, tmp_path_factory.mktemp("serve") / "stderr.log") as base:
        yield base


@pytest.fixture(scope="module")
def urls(built) -> dict[str, str]:
    """Each page's path and query in this archive."""
    from archive.api.cdx import timestamp_of

    with Index(built.config.index_path, readonly=True) as idx:
        capture = next(
            idx._db.query(
                "SELECT url, fetched_at FROM captures WHERE article_id = ? AND status = 200 ORDER BY fetched_at",
                [built.edited_id],
            )
        )
    article = f"/demo/article/{built.edited_id}"
    return {
        "home": "/",
        "outlet": "/demo/",
        "search": "/demo/search?q=" + quote(EDITED_HEADLINE),
        "changes": "/demo/changes",
        "changes-filtered": "/demo/changes?kind=headline&declared=silent",
        "article": article,
        "compare": f"{article}/compare?a=1&b=3",
        "memento": f"/demo/{timestamp_of(capture['fetched_at'])}/{capture['url']}",
        "not-found": "/demo/article/99999998",
        "not-found-below-article": f"{article}/versions",
        "domains": "/demo/domains",
    }


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def shots(request) -> Iterator[list[Path]]:
    """The screenshots taken; where they are is written to the terminal at the end (pytest's
    reporter, which output capture does not swallow), and they are copied to docs/ when asked."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    yield taken
    if not taken:
        return
    lines = [f"screenshots of the web pages ({len(taken)}): {SHOTS}", *(f"note: {n}" for n in NOTES)]
    if DOCS:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        for name in DOCS_PAGES:
            shot = SHOTS / f"{name}-desktop-top.png"
            if shot in taken:
                shutil.copyfile(shot, DOCS_SHOTS / f"{name}.png")
                lines.append(f"copied to {DOCS_SHOTS / f'{name}.png'}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


def watch(page: Any) -> Visit:
    """Record every request ``page`` makes (its frames' included), console error and script error."""
    seen = Visit()
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda m: seen.console_errors.append(f"{m.text} at {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    return seen


def visit(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, Any, Visit]:
    """Open ``url`` in a fresh context (no cache, no cookies), watched."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    seen = watch(page)
    response = page.goto(url, wait_until="load")  # the pages run no script: all they fetch is fetched by then
    return context, response, seen


def off_origin(requests: list[str], own: str) -> list[str]:
    """The requests to another origin (scheme, host and port) than ``own``."""
    origin = "{0.scheme}://{0.netloc}".format
    return [url for url in requests if origin(urlsplit(url)) != origin(urlsplit(own))]


def violations(page: Any, axe_source: str) -> list[tuple[str, str]]:
    """axe-core's violations on the page, one per element: impact, and a line with rule, impact, what
    it asks and the element's selector.

    The app's CSP (``script-src 'none'``) refuses a ``<script>`` element, so ``add_script_tag``
    cannot inject axe; Playwright's evaluate runs through the DevTools protocol, which the
    page's CSP does not govern. The framed archived page is the outlet's, not ours, and its
    sandbox runs no script: axe checks the frame element (its title), not inside it.
    """
    page.evaluate(axe_source)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           targets: v.nodes.map(n => n.target.join(" "))}));
        }"""
    )
    return [(v["impact"], f"{v['id']} ({v['impact']}: {v['help']}) at {t}") for v in result for t in v["targets"]]


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window: a phone reader scrolls sideways for them."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def expected_error(message: str, url: str, status: int, server: str) -> bool:
    """Whether a console error is one a correct page still logs: Chromium reports the page's own
    error status (the 404 page is meant to answer 404), and its own probe of ``/favicon.ico``
    (the browser asks for it unbidden, when it gets round to it, so whether the probe falls
    within a visit is timing; the pages name no icon)."""
    own_status = status >= 400 and f"status of {status}" in message and f"'url': '{url}'" in message
    return own_status or f"'url': '{server}/favicon.ico'" in message


def html_page_paths(app: Any) -> set[str]:
    """The paths of the app's GET routes that answer HTML pages (not ``.atom``, ``.csv`` ... files)."""
    from fastapi.responses import HTMLResponse
    from fastapi.routing import APIRoute

    paths = set()
    for route in app.routes:
        if not isinstance(route, APIRoute) or "GET" not in route.methods or "." in route.path.rsplit("/", 1)[-1]:
            continue
        response_class = getattr(route.response_class, "value", route.response_class)  # a router's default
        if response_class is HTMLResponse:
            paths.add(route.path.rstrip("/"))  # /{outlet} and /{outlet}/ are one page
    return paths


def test_every_page_route_is_visited(built):
    """A page added to the app without being added to PAGES fails here, not silently unchecked."""
    from archive.api import create_app

    pages = html_page_paths(create_app(built.config))
    assert "/{outlet}/search" in pages  # the test finds the UI's routes at all
    assert pages - {p.route.rstrip("/") for p in PAGES} == set()


def test_the_watch_sees_a_request_off_the_origin_and_a_script_error(browser, server):
    """The checks below can fail: a page that fetches from elsewhere or breaks is seen."""
    context = browser.new_context()
    try:
        page = context.new_page()
        seen = watch(page)
        page.goto(f"{server}/")
        elsewhere = "http://127.0.0.2:9/pixel.png"
        with page.expect_event("requestfailed"):
            page.evaluate(f"() => {{ document.body.append(Object.assign(new Image(), {{src: {elsewhere!r}}})); }}")
        page.evaluate("() => setTimeout(() => { throw new Error('broken page'); })")
        page.wait_for_timeout(200)
        assert off_origin(seen.requests, server) == [elsewhere]
        assert [e for e in seen.page_errors if "broken page" in e]
        assert [e for e in seen.console_errors if "pixel.png" in e or "ERR_" in e]
    finally:
        context.close()


def test_axe_names_the_rule_impact_and_element_of_a_serious_violation(axe_source, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<!doctype html><html lang="en"><title>t</title><main><input id="q"></main></html>')
        found = violations(page, axe_source)
        assert ("critical", "label (critical: Form elements must have labels) at #q") in found
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_is_clean_self_contained_and_accessible(axe_source, spec, width, browser, server, urls, routes, shots):
    if spec.route not in routes:
        pytest.skip(f"the app has no {spec.route} route (yet)")
    url = server + urls[spec.name]
    context, response, seen = visit(browser, url, WIDTHS[width])
    try:
        page = context.pages[0]
        shot = SHOTS / f"{spec.name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        shots.append(shot)
        if DOCS and width == "desktop" and spec.name in DOCS_PAGES:  # what a reader sees first, for the README
            shots.append(top := SHOTS / f"{spec.name}-desktop-top.png")
            page.screenshot(path=str(top))
        assert response is not None and response.status == spec.status, f"{url} answered {response and response.status}"
        assert "text/html" in response.headers.get("content-type", ""), f"{url} is not an HTML page"
        assert off_origin(seen.requests, server) == [], f"{spec.name} at {width} width left {server}"
        unexpected = [e for e in seen.console_errors if not expected_error(e, url, spec.status, server)]
        assert unexpected == [], f"console errors on {spec.name} at {width} width"
        assert seen.page_errors == [], f"script errors on {spec.name} at {width} width"
        found = violations(page, axe_source)
        serious = [line for impact, line in found if impact in BLOCKING_IMPACTS]
        NOTES.extend(
            f"{spec.name} at {width} width: {line}" for impact, line in found if impact not in BLOCKING_IMPACTS
        )
        if (wider := overflow(page)) > 0:
            NOTES.append(f"{spec.name} at {width} width is {wider}px wider than the window")
        assert serious == [], f"serious accessibility violations on {url} at {width} width:\n" + "\n".join(serious)
    finally:
        context.close()
