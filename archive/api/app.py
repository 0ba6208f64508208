"""The read-only web service: pywb's URL scheme, one collection per outlet.

``create_app(config)`` builds the FastAPI application (``edittrail serve`` runs it with
uvicorn; its OpenAPI schema is at ``/openapi.json``). Requests read the index through a
read-only connection per worker thread, kept between requests and checked before each one
(``archive.api.readers``): between requests it holds no transaction, so the service never
holds a lock the pipeline's writer could wait on. Routes, in matching order:

- ``/{outlet}/cdx``: the CDX API (``archive.api.cdx``);
- ``/{outlet}/timemap/link/{url}``: the Memento TimeMap (``archive.api.memento``);
- ``/{outlet}/api/articles/{id}``, ``/{outlet}/api/search``, ``/{outlet}/api/changes``: JSON;
- ``/{outlet}/changes.atom``, ``/{outlet}/article/{id}/changes.atom``: Atom feeds of changes,
  each entry linking to the archived version and the diff page in this service;
- the web pages (``archive.api.ui``);
- ``/{outlet}/{timestamp}id_/{url}``: the archived response (``archive.api.raw``);
- ``/{outlet}/{timestamp}/{url}``: a memento: the archived page framed in a sandboxed iframe;
- ``/{outlet}/{url}``: the TimeGate.

A URL on any of the outlet's domains names the article's captures on every domain.

Every route is a plain ``def``: Starlette runs it in its thread pool, so a slow query never
stops the event loop, and ``/openapi.json`` or another query answers meanwhile. Each request's
index work runs within a time budget (``archive.api.budget``): CDX, TimeMap and replay lookups
get ``query_seconds``, everything else a more generous one. Errors become HTTP answers with a
message in ``archive.api.failures``: a client's mistake 400, a query over its budget 503, an
archived record that cannot be served (damaged, or a body too large to rewrite) 502.

Absolute links name the service by its trusted origin (``archive.api.origin``), never by
the client's Host header; redirects are path-absolute. ``/docs`` serves Swagger UI from the
installed ``swagger-ui-bundle`` (``archive.api.docs``): nothing is loaded from another origin.
What every route reads from its request (the shared :class:`~archive.api.deps.Archive`, the
collection's links, the page headers) is in ``archive.api.deps``, so no router imports this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive.api import articles, cdx, docs, failures, memento, raw, rewrite
from archive.api.budget import QUERY_SECONDS
from archive.api.deps import APP_PAGE_HEADERS, Archive, archive_of, links_for, redirects_for
from archive.api.direct import DirectLookups
from archive.api.origin import service_base
from archive.api.templating import templates
from archive.api.ui import router as ui_router
from archive.api.ui_article import router as article_router
from archive.api.ui_outlet import router as outlet_router
from archive.api.urls import archived_url
from archive.config import Config, Outlet
from archive.errors import EdittrailError
from archive.index import ListedChange
from archive.moments import utc_bound
from archive.read.retrieve import retrieve

log = logging.getLogger(__name__)

_NON_ASCII = re.compile(rb"[\x80-\xff]")
_MEMENTO_PATH = re.compile(r"^(?P<ts>\d{1,14})(?P<mod>id_|if_)?/(?P<url>.+)$", re.S)


def url_after(request: Request, prefix: str) -> str:
    """The archived URL in the request path, exactly as sent: the raw (still percent-encoded)
    path after ``prefix``, plus the query string, which belongs to the archived URL. Bytes a
    client sent unencoded beyond ASCII are percent-encoded, as a browser sends them and as the
    archive stores URLs."""
    path = _ascii(request.scope.get("raw_path") or request.url.path.encode())
    query = _ascii(request.scope.get("query_string", b""))
    if not path.startswith(prefix):
        path = request.url.path
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return rest + (f"?{query}" if query else "")


def _ascii(raw: bytes) -> str:
    return _NON_ASCII.sub(lambda byte: b"%%%02X" % byte[0][0], raw).decode("ascii")


def create_app(config: Config, *, public_url: str | None = None, query_seconds: float = QUERY_SECONDS) -> FastAPI:
    """The service for every outlet of ``config``.

    ``public_url`` (e.g. ``https://archive.example.org``) is the base of the absolute links the
    service writes, for a service behind a reverse proxy or reached by a DNS name; without it
    they name the address the request came in on. ``query_seconds`` is the time budget of one
    CDX, TimeMap or replay lookup.
    """
    app = FastAPI(
        title="edittrail",
        version=_version(),
        description=(
            "Read-only access to an edittrail archive, in pywb's URL scheme with one collection per outlet: "
            "the CDX API, Memento (RFC 7089) TimeMaps, TimeGates and mementos, the archived responses, "
            "article versions, changes and full-text search. A URL on any of an outlet's domains "
            "stands for the article's captures on every domain."
        ),
        docs_url=None,  # served from local files by archive.api.docs, not from a CDN
        redoc_url=None,  # ReDoc has no local bundle here; /docs is the documentation
    )
    app.state.archive = Archive(config, public_url=public_url, query_seconds=query_seconds)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(EdittrailError, failures.answer)  # type: ignore[arg-type]
    app.add_middleware(DirectLookups, handlers={cdx_api: cdx_answer, timemap: timemap})

    app.add_api_route("/{outlet}/cdx", cdx_api, methods=["GET"], tags=["CDX"])
    app.add_api_route("/{outlet}/timemap/link/{url:path}", timemap, methods=["GET"], tags=["Memento"])
    app.add_api_route("/{outlet}/timemap/link/{url:path}", timemap, methods=["HEAD"], include_in_schema=False)
    app.add_api_route("/{outlet}/api/articles/{article_id}", article_json, methods=["GET"], tags=["Articles"])
    app.add_api_route("/{outlet}/api/search", search_json, methods=["GET"], tags=["Articles"])
    app.add_api_route("/{outlet}/api/changes", changes_json, methods=["GET"], tags=["Articles"])
    app.add_api_route("/{outlet}/changes.atom", atom_feed, methods=["GET"], tags=["Articles"])
    app.add_api_route(
        "/{outlet}/article/{article_id}/changes.atom", article_atom_feed, methods=["GET"], tags=["Articles"]
    )
    app.include_router(ui_router)
    app.include_router(outlet_router)
    app.include_router(article_router)
    app.add_api_route("/{outlet}/{rest:path}", replay, methods=["GET"], tags=["Memento"])
    app.add_api_route("/{outlet}/{rest:path}", replay, methods=["HEAD"], include_in_schema=False)
    app.state.page_routes = failures.PageRoutes([*ui_router.routes, *outlet_router.routes, *article_router.routes])
    app.add_exception_handler(StarletteHTTPException, failures.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, failures.invalid_request)  # type: ignore[arg-type]
    return app


def cdx_api(
    request: Request,
    outlet: str,
    url: str | None = Query(
        None, description="URL to look up (required); a trailing * means matchType=prefix, a leading *. domain"
    ),
    matchType: str = Query("exact", description="exact, prefix, host, domain, or article (every domain, any slug)"),  # noqa: N803
    from_: str | None = Query(None, alias="from", description="1-14 digit timestamp, padded down"),
    to: str | None = Query(None, description="1-14 digit timestamp, padded up"),
    limit: int | None = Query(None, description=f"at most this many lines (1 to {cdx.MAX_LIMIT})"),
    sort: str | None = Query(None, description="reverse, or closest (with closest=)"),
    closest: str | None = Query(None, description="timestamp for sort=closest"),
    filter: Annotated[list[str] | None, Query(description="[!][=|~]field:expression, repeatable")] = None,
    fl: str | None = Query(None, description="comma-separated fields to output"),
    output: str = Query("cdxj", description="cdxj (default), json (NDJSON), text, or link"),
) -> Response:
    """Wayback/pywb CDX server query over one outlet's captures."""
    return cdx_answer(request, outlet)


def cdx_answer(request: Request, outlet: str) -> Response:
    """The CDX query's answer; reads and checks the query parameters itself (``cdx.build_query``),
    so that ``archive.api.direct`` can call it without FastAPI's parameter solving."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    query = cdx.build_query(chosen, params)
    deadline = archive.query_deadline("the CDX query")
    with archive.index(deadline) as idx:
        lines = cdx.run_query(idx, chosen.name, query, deadline=deadline)
    links = links_for(request, chosen)

    def link_line(line: dict[str, str]) -> str:
        when = memento.http_date(cdx.datetime_of(line["timestamp"]))
        return f'<{links.at(line["timestamp"], line["url"])}>; rel="memento"; datetime="{when}"'

    body = "".join(cdx.render(query, lines, link_line))
    return Response(body, media_type=cdx.MEDIA_TYPES[query.output])


def _mementos_or_404(archive: Archive, outlet: Outlet, url: str) -> list[memento.Memento]:
    deadline = archive.query_deadline(f"the lookup of {url[:200]}")
    with archive.index(deadline) as idx:
        found = memento.mementos(idx, outlet, url, deadline=deadline)
    if not found:
        raise HTTPException(404, f"{url} has no capture in collection {outlet.name}")
    return found


def timemap(request: Request, outlet: str, url: str) -> Response:
    """The Memento TimeMap (RFC 7089, application/link-format) of a URL: the article's captures on every domain."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    target = archived_url(url_after(request, f"/{outlet}/timemap/link/"))
    found = _mementos_or_404(archive, chosen, target)
    return Response(memento.timemap(links_for(request, chosen), target, found), media_type=memento.LINK_FORMAT)


def replay(request: Request, outlet: str, rest: str) -> Response:
    """The TimeGate (``/{outlet}/{url}``), a memento (``/{outlet}/{timestamp}/{url}``) or the archived
    response (``/{outlet}/{timestamp}id_/{url}``)."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    path = url_after(request, f"/{outlet}/")
    if not path:
        raise HTTPException(404, "give a URL: /{outlet}/{url}")
    match = _MEMENTO_PATH.match(path)
    if match is None:
        return _timegate(request, archive, chosen, archived_url(path))
    url = archived_url(match["url"])
    stamp = cdx.pad_timestamp(match["ts"], upper=False, name="timestamp")
    moment = cdx.datetime_of(stamp)
    found = _mementos_or_404(archive, chosen, url)
    links = links_for(request, chosen)
    m = memento.exact(found, stamp, url)
    if m is None:
        nearest = memento.closest(found, moment)
        here = redirects_for(request, chosen)
        return Response(
            status_code=302, headers={"Location": here.at(nearest.timestamp, nearest.url, modifier=match["mod"] or "")}
        )
    headers = memento.memento_headers(links, url, found, m)
    if match["mod"]:
        return _raw(request, archive, chosen, m, headers, modifier=match["mod"])
    page = templates.TemplateResponse(
        request,
        "memento.html",
        {
            "outlet": chosen,
            "m": m,
            "raw_url": links.raw(m),
            "framed_url": links.framed(m),
            "when": m.row.fetched_at,
            "others": found,
            "article_id": m.row.article_id,
        },
        headers={**APP_PAGE_HEADERS, **headers},
    )
    return page


def _timegate(request: Request, archive: Archive, outlet: Outlet, url: str) -> Response:
    asked = request.headers.get("accept-datetime")
    moment = memento.parse_accept_datetime(asked) if asked else None
    found = _mementos_or_404(archive, outlet, url)
    chosen = memento.closest(found, moment) if moment else found[-1]
    links = links_for(request, outlet)
    return Response(
        status_code=302,
        headers={
            "Location": redirects_for(request, outlet).memento(chosen),
            "Vary": "accept-datetime",
            "Link": memento.timegate_link(links, url, found, chosen),
        },
    )


def _raw(
    request: Request,
    archive: Archive,
    outlet: Outlet,
    m: memento.Memento,
    headers: dict[str, str],
    *,
    modifier: str = memento.RAW,
) -> Response:
    """The archived response (``id_``: the stored bytes, still Content-Encoded, never decoded here), or
    for the UI's frame its HTML or CSS decoded (bounded) and rewritten into the archive (``if_``)."""
    deadline = archive.query_deadline(f"replaying {m.url[:200]}")
    with archive.index(deadline) as idx:
        got = retrieve(archive.store(outlet), idx, m.row)
    links, here = links_for(request, outlet), redirects_for(request, outlet)

    def relocated(target: str) -> str:
        return here.at(m.timestamp, target, modifier=modifier)

    def archived(target: str) -> str:
        deadline.check()  # once per link: a page with millions of links stops at the budget
        return links.at(m.timestamp, target, modifier=modifier)

    payload, sent = got.payload, raw.replay_headers(got.http_headers, m.url, relocated)
    if modifier == memento.FRAMED:
        payload, sent = rewrite.framed(got, m.url, archived, sent)
    response = Response(payload, status_code=got.status or 200)
    response.raw_headers = [
        *(
            (name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
            for name, value in [*sent, *headers.items()]
        ),
        (b"content-length", str(len(payload)).encode()),
    ]
    return response


def article_json(request: Request, outlet: str, article_id: str) -> dict[str, Any]:
    """An article: its captures on every domain, its versions (full text) and its changes with diffs."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        found = articles.article(idx, chosen, article_id, links_for(request, chosen), cards=False)
    if found is None:
        raise HTTPException(404, f"no article {article_id!r} in collection {outlet}")
    return found


def search_json(
    request: Request,
    outlet: str,
    q: str = Query(
        description='FTS5 query over every version\'s headline and body: words, "phrases", OR, NOT, prefix*'
    ),
    limit: int = Query(articles.SEARCH_LIMIT, description=f"1 to {articles.MAX_SEARCH_LIMIT}"),
) -> dict[str, Any]:
    """Full-text search over every version of every article of the outlet."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        hits = articles.search(idx, chosen.name, q, limit=limit)
    for hit in hits:
        hit.pop("parts", None)
    return {"query": q, "hits": hits}


def changes_json(
    request: Request,
    outlet: str,
    kind: str | None = Query(None, description="only this kind of change"),
    declared: bool | None = Query(None, description="true: declared only; false: silent only"),
    since: str | None = Query(None, description="only changes captured at or after this ISO 8601 UTC time"),
    limit: int = Query(200, ge=1, le=5000),
) -> dict[str, Any]:
    """Detected changes, newest first, with their diffs."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        rows = articles.changes(
            idx, chosen.name, kind=kind, declared=declared, since=utc_bound("since", since), limit=limit, cards=False
        )
    return {"changes": rows}


FEED_ENTRIES = 200
"""How many of the newest changes a feed served by the service lists."""


def atom_feed(request: Request, outlet: str) -> Response:
    """The outlet's Atom feed of changes, newest first: each entry links to the archived version
    and to the two versions compared, in this service."""
    return _feed(request, outlet, None)


def article_atom_feed(request: Request, outlet: str, article_id: str) -> Response:
    """One article's Atom feed of changes: subscribe to learn when it is edited again."""
    return _feed(request, outlet, article_id)


def _feed(request: Request, outlet: str, article_id: str | None) -> Response:
    from archive.alerts import FeedLinks, feed_xml

    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        if article_id is not None and not articles.known(idx, chosen.name, article_id):
            raise HTTPException(404, f"no article {article_id!r} in collection {outlet}")
        listed = articles.carded(idx, chosen.name, article_id=article_id, limit=FEED_ENTRIES)
    base = service_base(request.scope, archive.public_url)
    home = f"{base}/{chosen.name}/" + (f"article/{article_id}" if article_id else "")
    links = FeedLinks[ListedChange](
        feed=f"{base}{request.url.path}",
        home=home,
        memento=lambda change: _absolute(base, articles.memento_path(chosen.name, change)),
        compare=lambda change: _absolute(base, articles.compare_path(chosen.name, change)),
    )
    shown = [replace(change, summary=card.summary, diff_text=card.diff_text) for change, card in reversed(listed)]
    about = {change.article_id: {"headline": card.headline, "url": card.url} for change, card in listed}
    name = chosen.title or chosen.name
    body = feed_xml(
        chosen,
        shown,
        about,
        links=links,
        feed_id=f"urn:edittrail:{chosen.name}:changes" + (f":article:{article_id}" if article_id else ""),
        title=f"{name}: changes of article {article_id}" if article_id else None,
    )
    return Response(body, media_type="application/atom+xml")


def _absolute(base: str, path: str | None) -> str | None:
    """A path of this service as the absolute URL a feed reader follows."""
    return f"{base}{path}" if path else None


def _version() -> str:
    try:
        return metadata.version("edittrail")
    except metadata.PackageNotFoundError:
        return "unknown"
