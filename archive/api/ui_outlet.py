"""The outlet's pages: the front page (recent changes, counts, edit activity over a window of
days) and the domains page (each domain's state over time and its events)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from archive.api import articles
from archive.api.deps import archive_of
from archive.api.pictures import activity as activity_pictures
from archive.api.pictures.domains import domain_bands
from archive.api.ui import page
from archive.index import activity
from archive.mirrors.history import HistoryError, read_history
from archive.mirrors.state import mirrors_db_path

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


@router.get("/{outlet}/")
@router.get("/{outlet}")
def outlet_home(request: Request, outlet: str, days: str = "") -> Response:
    """Recent changes and counts, and the edit activity of the last ``days`` days (7, 30, 90 or 365)."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    chosen_days, days_note = _days(days)
    span = activity.window(chosen_days)
    with archive.index() as idx:
        recent = articles.changes(idx, chosen.name, limit=20)
        counts = idx.summary(chosen.name)
        per_day = activity.per_day(idx, chosen.name, span)
        edited = activity.most_edited(idx, chosen.name, span)
        latest = activity.latest_change(idx, chosen.name) if not per_day else None
    most = max((e.changes for e in edited), default=1)
    return page(
        request,
        "outlet.html",
        {
            "outlet": chosen,
            "recent": recent,
            "counts": counts,
            "span": span,
            "windows": activity.WINDOWS,
            "days_note": days_note,
            "latest_change": latest,
            "per_kind": activity_pictures.per_kind(per_day, span),
            "declared_silent": activity_pictures.declared_silent(per_day, span),
            "day_rows": _day_rows(per_day),
            "edited": [(e, activity_pictures.edited_bar(e, most)) for e in edited],
        },
    )


def _days(given: str) -> tuple[int, str | None]:
    """The window asked for, or the default with a note saying why the one asked for was not used."""
    text = given.strip()
    if not text:
        return activity.DEFAULT_DAYS, None
    if text.isascii() and text.isdigit() and int(text) in activity.WINDOWS:  # "²" is a digit, no int
        return int(text), None
    offered = ", ".join(str(d) for d in activity.WINDOWS)
    return activity.DEFAULT_DAYS, f"days={given!r} is not one of {offered}; showing the last {activity.DEFAULT_DAYS}."


def _day_rows(per_day: list[activity.DayCount]) -> list[dict[str, Any]]:
    """The days with changes, for the table beside the pictures: counts by kind, declared, silent."""
    rows: dict[str, dict[str, Any]] = {}
    for count in per_day:
        row = rows.setdefault(count.day, {"day": count.day, "kinds": {}, "declared": 0, "silent": 0, "total": 0})
        row["kinds"][count.kind] = row["kinds"].get(count.kind, 0) + count.changes
        row["declared" if count.declared else "silent"] += count.changes
        row["total"] += count.changes
    return [rows[day] for day in sorted(rows, reverse=True)]


@router.get("/{outlet}/domains")
def domains_page(request: Request, outlet: str) -> Response:
    """Each domain's state over time (a band per domain) and its events, newest first, from the
    mirrors history; a page saying there is none yet when no probe or crawl has written it."""
    archive = archive_of(request)
    chosen = archive.outlet(outlet)
    context: dict[str, Any] = {
        "outlet": chosen,
        "history": None,
        "picture": None,
        "problem": None,
        "unprobed": [],
    }
    try:
        history = read_history(mirrors_db_path(archive.config.data_dir), chosen.name)
    except HistoryError:
        context["problem"] = "The mirrors history exists but could not be read just now; try again later."
        return page(request, "domains.html", context)
    if history is not None:
        context |= {
            "history": history,
            "picture": domain_bands(chosen.name, history.hosts, history.spans) if history.spans else None,
            "unprobed": [d for d in chosen.domains if d not in history.hosts],
        }
    return page(request, "domains.html", context)
