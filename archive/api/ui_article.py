"""An article's pages: its timeline of versions and captures across the mirrors with its
changes, and two of its versions side by side."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.app import archive_of, links_for
from archive.api.ui import MAX_VERSION, page
from archive.changes import classify
from archive.index import versions as vx

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


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
