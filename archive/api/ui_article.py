"""An article's pages: its timeline of versions and captures across the mirrors with its
changes, and two of its versions side by side."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles, cite
from archive.api.compare import VersionOrderError, check_order, sections
from archive.api.deps import archive_of, links_for
from archive.api.pictures.timeline import article_timeline, bands
from archive.api.ui import MAX_VERSION, page
from archive.index import versions as vx
from archive.index.citations import record_locations
from archive.moments import parse_utc

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
DIGESTED_CHANGES = 10
"""How many of the newest changes' citations carry the SHA-256 of their records' bytes, read from
the store as the page renders (each version's citation always does): an article with thousands of
changes must not read thousands of records per view. The page says so."""


@router.get("/{outlet}/article/{article_id}")
def article_page(request: Request, outlet: str, article_id: str) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    links = links_for(request, chosen)
    with archive.index() as idx:
        found = articles.article(idx, chosen, article_id, links)
        cited = record_locations(idx, cite.records_cited(found["versions"], found["changes"])) if found else {}
    if found is None:
        raise HTTPException(404, f"no article {article_id!r} in collection {outlet}")
    read = cite.records_cited(found["versions"], found["changes"][:DIGESTED_CHANGES])
    digests = cite.record_digests(lambda: archive.store(chosen), (cited[r] for r in read if r in cited))
    version_cites = {
        v["version"]: cite.version_citation(chosen, links, article_id, v, cited.get(v["record_id"]), digests)
        for v in found["versions"]
    }
    change_cites = [(c, cite.change_citation(chosen, links, c, cited, digests)) for c in found["changes"]]
    picture = article_timeline(article_id, found["hosts"], found["captures"], found["versions"], found["changes"])
    last_capture = found["captures"][-1]["fetched_at"] if found["captures"] else None
    numbers = [v["version"] for v in found["versions"]]
    return page(
        request,
        "article.html",
        {
            "outlet": chosen,
            "a": found,
            "version_cites": version_cites,
            "change_cites": change_cites,
            "digested_changes": DIGESTED_CHANGES if len(change_cites) > DIGESTED_CHANGES else None,
            "timeline": picture,
            "bands": bands(found["versions"], parse_utc(last_capture)) if last_capture else [],
            "article_id": article_id,
            "versions": found["versions"],
            "pick_a": numbers[-2] if len(numbers) > 1 else None,
            "pick_b": numbers[-1] if numbers else None,
        },
    )


@router.get("/{outlet}/article/{article_id}/compare")
def compare_page(
    request: Request,
    outlet: str,
    article_id: str,
    a: int = Query(1, ge=1, le=MAX_VERSION),
    b: int = Query(2, ge=1, le=MAX_VERSION),
) -> Response:
    """Two versions compared, inline and side by side: the older with deletions marked, the newer
    with insertions. Versions out of order, or the same twice, get the pickers again and a message."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    context = {"outlet": chosen, "article_id": article_id, "pick_a": a, "pick_b": b}
    try:
        check_order(a, b)
    except VersionOrderError as exc:
        with archive.index() as idx:
            versions = vx.versions_of(idx, chosen.name, article_id)
        if not versions:
            raise HTTPException(404, f"no article {article_id!r} in collection {outlet}") from None
        return page(
            request,
            "compare.html",
            context | {"versions": versions, "error": str(exc), "swapped": (b, a) if a > b else None},
            status_code=400,
        )
    with archive.index() as idx:
        before = vx.version_number(idx, chosen.name, article_id, a)
        after = vx.version_number(idx, chosen.name, article_id, b)
        versions = vx.versions_of(idx, chosen.name, article_id)
    if before is None or after is None:
        raise HTTPException(404, f"article {article_id} has no version {a if before is None else b}")
    return page(
        request,
        "compare.html",
        context | {"versions": versions, "a": before, "b": after, "sections": sections(before, after), "error": None},
    )


@router.get("/{outlet}/article/{article_id}/{rest:path}")
def article_subpage(request: Request, outlet: str, article_id: str, rest: str) -> Response:
    """No such page below an article: an HTML 404 saying what there is, not the replay's JSON."""
    archive_of(request).outlet(outlet)
    raise HTTPException(
        404, f"no page {rest!r} below article {article_id!r}: see /{outlet}/article/{article_id} or its compare page"
    )
