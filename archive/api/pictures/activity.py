"""The outlet page's pictures: edits per day by kind, silent against declared, the most-edited articles.

Drawn from the window's aggregates (``archive.index.activity``): a stacked bar per day (one
colour per kind, a legend naming them), a bar per day split at a baseline (declared above,
silent below), and for each most-edited article a small bar of its silent and declared changes
beside its headline (the headline a link in the page's HTML, not inside the picture). Each
segment's ``<title>`` says its day, kind and count; the page gives the same counts as a table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup

from archive.api.pictures.svg import TimeScale, element, figure, join, text, time_axis, tooltip
from archive.detect.changes import CHANGE_KINDS
from archive.index.activity import DayCount, Edited, Window

WIDTH = 820
LEFT = 44
RIGHT = WIDTH - 150
KIND_COLOURS = dict(
    zip(
        CHANGE_KINDS,
        (
            "#1f5fbf",
            "#2a9d8f",
            "#6a3fb0",
            "#a35a00",
            "#c2185b",
            "#558b2f",
            "#455a64",
            "#8d6e63",
            "#b71c1c",
            "#00838f",
            "#2e7d32",
            "#7b1fa2",
            "#546e7a",
        ),
        strict=False,
    )
)
DECLARED, SILENT = "#1f5fbf", "#b34700"


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, "#616161")


def _days(span: Window) -> tuple[list[str], TimeScale]:
    dates = span.dates()
    start = datetime.fromisoformat(span.first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(span.last).replace(tzinfo=UTC)
    return dates, TimeScale(start, end, LEFT, RIGHT)


def _slot(dates: list[str]) -> float:
    return (RIGHT - LEFT) / max(len(dates), 1)


def _x(dates: list[str], index: int) -> float:
    return LEFT + _slot(dates) * index


def _axis(dates: list[str], y: float) -> Markup:
    """Day labels under the bars (about six), the first and last always."""
    first = datetime.fromisoformat(dates[0]).replace(tzinfo=UTC)
    last = datetime.fromisoformat(dates[-1]).replace(tzinfo=UTC)
    half = _slot(dates) / 2
    return time_axis(TimeScale(first, last, LEFT + half, _x(dates, len(dates) - 1) + half), y, count=6)


def _scale_label(top: int, y: float, height: float) -> Markup:
    return join(
        [
            text(LEFT - 6, y + 4, str(top), {"text-anchor": "end", "font-size": 11}),
            text(LEFT - 6, y + height, "0", {"text-anchor": "end", "font-size": 11}),
        ]
    )


def per_kind(counts: Sequence[DayCount], span: Window) -> Markup:
    """Stacked bars, a bar a day, a segment per kind, and the kinds' legend at the right."""
    dates, _ = _days(span)
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts:
        by_day[row.day][row.kind] += row.changes
    top = max((sum(kinds.values()) for kinds in by_day.values()), default=0) or 1
    chart_top, chart_height = 14.0, 150.0
    width = _slot(dates)
    parts = [_scale_label(top, chart_top, chart_height)]
    kinds_seen = [k for k in CHANGE_KINDS if any(k in d for d in by_day.values())]
    kinds_seen += sorted({k for d in by_day.values() for k in d} - set(kinds_seen))
    for index, day in enumerate(dates):
        y = chart_top + chart_height
        for kind in kinds_seen:
            n = by_day.get(day, {}).get(kind, 0)
            if not n:
                continue
            h = chart_height * n / top
            y -= h
            parts.append(
                element(
                    "rect",
                    {
                        "x": _x(dates, index) + 0.5,
                        "y": y,
                        "width": max(width - 1, 1.0),
                        "height": h,
                        "fill": kind_colour(kind),
                    },
                    tooltip(f"{day}: {n} {kind} change{'s' if n != 1 else ''}"),
                )
            )
    parts.append(_axis(dates, chart_top + chart_height))
    parts.append(_legend([(kind, kind_colour(kind)) for kind in kinds_seen], RIGHT + 16, chart_top))
    total = sum(r.changes for r in counts)
    return figure(
        "activity-kinds",
        WIDTH,
        int(max(chart_top + chart_height + 28, chart_top + 16 * len(kinds_seen) + 4)),
        f"Changes per day by kind, {span.first} to {span.last}",
        f"{total} changes over {span.days} days, the most on one day {top if total else 0}; "
        f"kinds: {', '.join(kinds_seen) or 'none'}. The counts per day are in the table after the pictures.",
        *parts,
    )


def declared_silent(counts: Sequence[DayCount], span: Window) -> Markup:
    """A bar a day split at a baseline: declared changes above it, silent ones below."""
    dates, _ = _days(span)
    declared: dict[str, int] = defaultdict(int)
    silent: dict[str, int] = defaultdict(int)
    for row in counts:
        (declared if row.declared else silent)[row.day] += row.changes
    top = max([*declared.values(), *silent.values(), 1])
    half = 70.0
    base = 14.0 + half
    width = _slot(dates)
    parts = [
        text(LEFT - 6, 18, str(top), {"text-anchor": "end", "font-size": 11}),
        text(LEFT - 6, base + 4, "0", {"text-anchor": "end", "font-size": 11}),
        text(LEFT - 6, base + half, str(top), {"text-anchor": "end", "font-size": 11}),
    ]
    for index, day in enumerate(dates):
        x = _x(dates, index) + 0.5
        for n, up, colour, label in (
            (declared.get(day, 0), True, DECLARED, "declared"),
            (silent.get(day, 0), False, SILENT, "silent"),
        ):
            if n:
                h = half * n / top
                parts.append(
                    element(
                        "rect",
                        {
                            "x": x,
                            "y": base - h if up else base,
                            "width": max(width - 1, 1.0),
                            "height": h,
                            "fill": colour,
                        },
                        tooltip(f"{day}: {n} {label} change{'s' if n != 1 else ''}"),
                    )
                )
    parts.append(_axis(dates, base + half + 2))
    parts.append(element("line", {"x1": LEFT, "x2": RIGHT, "y1": base, "y2": base, "stroke": "#555"}))
    parts.append(_legend([("declared (above)", DECLARED), ("silent (below)", SILENT)], RIGHT + 16, 14))
    return figure(
        "activity-declared",
        WIDTH,
        int(base + half + 30),
        f"Declared against silent changes per day, {span.first} to {span.last}",
        f"{sum(declared.values())} declared changes (bars above the line) and {sum(silent.values())} silent "
        "changes (bars below it), a bar a day. The counts per day are in the table after the pictures.",
        *parts,
    )


def edited_bar(article: Edited, most: int) -> Markup:
    """A small bar of one article's changes in the window: silent part, then declared part."""
    width, height = 160.0, 14.0
    scale = width / max(most, 1)
    declared = article.changes - article.silent
    parts = []
    if article.silent:
        parts.append(
            element("rect", {"x": 0, "y": 0, "width": article.silent * scale, "height": height, "fill": SILENT})
        )
    if declared:
        parts.append(
            element(
                "rect",
                {"x": article.silent * scale, "y": 0, "width": declared * scale, "height": height, "fill": DECLARED},
            )
        )
    return figure(
        f"edited-{article.article_id}",
        int(width),
        int(height),
        f"{article.changes} changes: {article.silent} silent, {declared} declared",
        f"Article {article.article_id}, last changed {article.last}.",
        *parts,
    )


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float) -> Markup:
    rows = []
    for index, (label, colour) in enumerate(entries):
        top = y + index * 16
        rows.append(element("rect", {"x": x, "y": top, "width": 11, "height": 11, "fill": colour}))
        rows.append(text(x + 16, top + 10, label, {"font-size": 11}))
    return element("g", {"class": "legend"}, *rows)
