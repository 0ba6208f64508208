"""The outlet's front page: recent changes and the archive's counts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.app import archive_of
from archive.api.ui import page

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


@router.get("/{outlet}/")
@router.get("/{outlet}")
def outlet_home(request: Request, outlet: str) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    with archive.index() as idx:
        recent = articles.changes(idx.db, chosen.name, limit=20)
        counts = idx.summary(chosen.name)
    return page(request, "outlet.html", {"outlet": chosen, "recent": recent, "counts": counts})
