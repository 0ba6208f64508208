"""The web pages: server-rendered Jinja2, no script, autoescaped (``archive.api.templating``).

Search, an article's timeline of versions and captures across the mirrors with its changes
(inline diffs, kind, declared or silent), two versions side by side, the changes list with
filters, and (in ``archive.api.app``) the framed view of an archived page.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.app import APP_PAGE_HEADERS, archive_of, links_for, since_param
from archive.api.templating import templates
from archive.changes import CHANGE_KINDS, classify
from archive.index import versions as vx

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


@router.get("/{outlet}/")
@router.get("/{outlet}")
def outlet_home(request: Request, outlet: str) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        recent = articles.changes(idx.db, chosen.name, limit=20)
        counts = idx.summary(chosen.name)
    return page(request, "outlet.html", {"outlet": chosen, "recent": recent, "counts": counts})


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


@router.get("/{outlet}/article/{article_id}")
def article_page(request: Request, outlet: str, article_id: str) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        found = articles.article(idx.db, chosen, article_id, links_for(request, chosen))
    if found is None:
        raise HTTPException(404, f"no article {article_id!r} in collection {outlet}")
    return page(request, "article.html", {"outlet": chosen, "a": found})


@router.get("/{outlet}/article/{article_id}/compare")
def compare_page(
    request: Request,
    outlet: str,
    article_id: str,
    a: int = Query(1, ge=1, le=MAX_VERSION),
    b: int = Query(2, ge=1, le=MAX_VERSION),
) -> Response:
    """Two versions side by side: the older with deletions marked, the newer with insertions."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        before = vx.version_number(idx.db, chosen.name, article_id, a)
        after = vx.version_number(idx.db, chosen.name, article_id, b)
    if before is None or after is None:
        raise HTTPException(404, f"article {article_id} has no version {a if before is None else b}")
    sides = [
        {
            "kind": c.kind,
            "summary": c.summary,
            "left": re.sub(r"<ins>.*?</ins>", "", c.diff_html, flags=re.S),
            "right": re.sub(r"<del>.*?</del>", "", c.diff_html, flags=re.S),
        }
        for c in classify(before, after)
    ]
    return page(
        request, "compare.html", {"outlet": chosen, "article_id": article_id, "a": before, "b": after, "sides": sides}
    )


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
