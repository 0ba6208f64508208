"""The web pages: server-rendered Jinja2, no script, autoescaped (``archive.api.templating``).

Search, an article's timeline of versions and captures across the mirrors with its changes
(inline diffs, kind, declared or silent), two versions side by side, the changes list with
filters, and (in ``archive.api.app``) the framed view of an archived page.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.deps import APP_PAGE_HEADERS, archive_of
from archive.api.templating import templates
from archive.detect.changes import CHANGE_KINDS
from archive.moments import BadTimeError, utc_bound
from archive.read import change_rows

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
                hits = articles.search(idx, chosen.name, q)
            except articles.BadSearchError as exc:
                try:
                    hits = articles.search(idx, chosen.name, articles.plain_words(q))
                except articles.BadSearchError:
                    error = str(exc)
    return page(request, "search.html", {"outlet": chosen, "q": q, "hits": hits, "error": error})


CHANGES_PER_PAGE = 50
MAX_PER_PAGE = 500
EXPORT_LIMIT = change_rows.MAX_LIMIT
"""How many changes one CSV or JSON Lines download holds at most (narrow the filters for more)."""
_DECLARED = {"declared": True, "true": True, "silent": False, "false": False, "": None}
FILTER_PARAMS = ("kind", "section", "declared", "host", "since", "until", "keyword")


@dataclass(frozen=True)
class ChangeQuery:
    """The changes page's query string, checked: the filters, the page and its size."""

    filters: change_rows.ChangeFilter
    page: int
    limit: int
    given: dict[str, str]
    """The filter parameters as given (non-empty ones), to carry into links."""

    def link(self, path: str, **extra: str | int) -> str:
        query = urlencode({**self.given, **{k: str(v) for k, v in extra.items()}})
        return f"{path}?{query}" if query else path


def change_query(params: Mapping[str, str], *, default_limit: int, max_limit: int) -> ChangeQuery:
    """The filters of a changes page or export from its query string; a bad value is a
    :class:`archive.read.change_rows.BadFilterError` (a bad time an :class:`archive.moments.BadTimeError`)
    naming the parameter and saying why."""
    given = {name: params[name].strip() for name in FILTER_PARAMS if params.get(name, "").strip()}
    declared = given.get("declared", "").lower()
    if declared not in _DECLARED:
        raise change_rows.BadFilterError(f"declared={given['declared']!r} must be declared or silent (or empty: both)")
    filters = change_rows.ChangeFilter(
        kind=given.get("kind"),
        section=given.get("section"),
        declared=_DECLARED[declared],
        host=given.get("host"),
        since=utc_bound("since", given.get("since")),
        until=utc_bound("until", given.get("until"), upper=True),
        keyword=given.get("keyword"),
    )
    change_rows.check_filter(filters)
    limit = _whole("limit", params.get("limit", ""), default_limit, 1, max_limit)
    last = max(1, MAX_OFFSET // limit + 1)
    page_number = _whole("page", params.get("page", ""), 1, 1, MAX_PAGE)
    if page_number > last:
        raise change_rows.BadFilterError(
            f"page={page_number} is past the newest {MAX_OFFSET + limit} changes a view pages through "
            f"(page {last} at most with limit={limit}): narrow by date (until=) to read older ones"
        )
    return ChangeQuery(filters, page_number, limit, given)


MAX_PAGE = 100_000
MAX_OFFSET = 10_000
"""How many changes a page may skip (SQL ``OFFSET`` reads and drops them all): older ones are
reached by narrowing the dates, which the index serves directly."""
SCAN_LIMIT = change_rows.SCAN_LIMIT


def _whole(name: str, value: str, default: int, low: int, high: int) -> int:
    if not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise change_rows.BadFilterError(f"{name}={value!r} is not a whole number") from None
    if not low <= number <= high:
        raise change_rows.BadFilterError(f"{name} must be from {low} to {high}, not {number}")
    return number


@router.get("/{outlet}/changes")
def changes_page(request: Request, outlet: str) -> Response:
    """The changes as cards, filtered and paged by the query string (a filtered view is a link)."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    raw = dict(request.query_params)
    context: dict[str, Any] = {
        "outlet": chosen,
        "kinds": CHANGE_KINDS,
        "hosts": (chosen.primary, *chosen.mirrors),
        "form": {name: raw.get(name, "") for name in FILTER_PARAMS},
        "rows": [],
        "error": None,
        "previous": None,
        "next": None,
        "first": 0,
        "csv": None,
        "jsonl": None,
        "heading_level": 2,
        "scan_limit": None,
    }
    try:
        query = change_query(raw, default_limit=CHANGES_PER_PAGE, max_limit=MAX_PER_PAGE)
        offset = (query.page - 1) * query.limit
        with archive.index() as idx:
            rows = articles.changes(
                idx, chosen.name, limit=query.limit + 1, offset=offset, scan=SCAN_LIMIT, **_kwargs(query)
            )
            reached = change_rows.scan_reached(idx, chosen.name, query.filters, SCAN_LIMIT)
    except (change_rows.BadFilterError, BadTimeError) as exc:
        context["error"] = str(exc)
        return page(request, "changes.html", context, status_code=400)
    here = f"/{chosen.name}/changes"
    size = {} if query.limit == CHANGES_PER_PAGE else {"limit": query.limit}
    context |= {
        "rows": rows[: query.limit],
        "first": offset + 1,
        "previous": query.link(here, page=query.page - 1, **size) if query.page > 1 else None,
        "next": query.link(here, page=query.page + 1, **size) if len(rows) > query.limit else None,
        "csv": query.link(f"/{chosen.name}/changes.csv"),
        "jsonl": query.link(f"/{chosen.name}/changes.jsonl"),
        "scan_limit": SCAN_LIMIT if reached else None,
    }
    return page(request, "changes.html", context)


def _kwargs(query: ChangeQuery) -> dict[str, Any]:
    f = query.filters
    return {
        "kind": f.kind,
        "section": f.section,
        "declared": f.declared,
        "host": f.host,
        "since": f.since,
        "until": f.until,
        "keyword": f.keyword,
    }


@router.get("/{outlet}/changes.csv")
def changes_csv(request: Request, outlet: str) -> Response:
    """The changes the page's filters select, as CSV (one row a change, a header row)."""
    return _export(request, outlet, "csv")


@router.get("/{outlet}/changes.jsonl")
def changes_jsonl(request: Request, outlet: str) -> Response:
    """The changes the page's filters select, as JSON Lines (one object a line)."""
    return _export(request, outlet, "jsonl")


def _export(request: Request, outlet: str, form: str) -> Response:
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    query = change_query(dict(request.query_params), default_limit=EXPORT_LIMIT, max_limit=EXPORT_LIMIT)
    with archive.index() as idx:
        rows = change_rows.change_rows(
            idx,
            chosen.name,
            query.filters,
            limit=query.limit,
            offset=(query.page - 1) * query.limit,
            scan=SCAN_LIMIT,
        )
    out = io.StringIO(newline="")
    if form == "csv":
        change_rows.write_csv(rows, out)
        media = "text/csv; charset=utf-8"
    else:
        change_rows.write_jsonl(rows, out)
        media = "application/x-ndjson"
    filename = f"{chosen.name}-changes.{form}"
    return Response(
        out.getvalue().encode("utf-8"),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )
