"""The web pages: server-rendered Jinja2, no script, autoescaped (``archive.api.templating``).

Search, an article's timeline of versions and captures across the mirrors with its changes
(inline diffs, kind, declared or silent), two versions side by side, the changes list with
filters, and (in ``archive.api.app``) the framed view of an archived page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.app import APP_PAGE_HEADERS, archive_of, since_param
from archive.api.templating import templates
from archive.changes import CHANGE_KINDS

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
MAX_VERSION = 2**31
"""Version numbers beyond any article's; larger ones would not fit SQLite's integers."""


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"outlets": archive_of(request).config.outlets, **context},
        status_code=status_code,
        headers=APP_PAGE_HEADERS,
    )


@router.get("/")
def home(request: Request) -> Response:
    return page(request, "home.html", {})


@router.get("/{outlet}/search")
def search_page(request: Request, outlet: str, q: str = "") -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    hits: list[dict[str, Any]] = []
    error = None
    if q.strip():
        with archive.index() as idx:
            try:
                hits = articles.search(idx.db, chosen.name, q)
            except articles.BadSearchError as exc:
                try:
                    hits = articles.search(idx.db, chosen.name, articles.plain_words(q))
                except articles.BadSearchError:
                    error = str(exc)
    return page(request, "search.html", {"outlet": chosen, "q": q, "hits": hits, "error": error})


@router.get("/{outlet}/changes")
def changes_page(
    request: Request,
    outlet: str,
    kind: str = "",
    declared: str = "",
    since: str = "",
    limit: int = Query(200, ge=1, le=MAX_VERSION),
) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    flag = {"declared": True, "silent": False}.get(declared)
    error = None
    rows: list[dict[str, Any]] = []
    try:
        with archive.index() as idx:
            rows = articles.changes(
                idx.db, chosen.name, kind=kind or None, declared=flag, since=since_param(since), limit=min(limit, 2000)
            )
    except articles.BadSearchError as exc:
        error = str(exc)
    return page(
        request,
        "changes.html",
        {
            "outlet": chosen,
            "rows": rows,
            "kinds": CHANGE_KINDS,
            "kind": kind,
            "declared": declared,
            "since": since,
            "error": error,
        },
        status_code=400 if error else 200,
    )
