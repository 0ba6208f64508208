"""The article page's picture: its captures on each host over time, its versions as bands, its changes as marks.

One row per host, a dot per capture (filled when the host answered 200, hollow for a revisit
record, red for an error status); behind the rows, one band per version from the capture that
first showed it to the one that first showed the next; under them a lane of changes, each mark
a link to the change's comparison with a tooltip saying what changed. The page lists the same
versions and changes as text beside it, and the captures in its table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from archive.api.pictures.svg import (
    TimeScale,
    element,
    figure,
    iso,
    join,
    linked,
    shorten,
    text,
    time_axis,
    tooltip,
)
from archive.moments import parse_utc

WIDTH = 820
LABEL = 170
ROW = 26
TOP = 22
BAND_FILLS = ("#e8eef8", "#f6f1e4")
CHANGE_FILL = {True: "#1f5fbf", False: "#b34700"}
"""Declared changes blue, silent ones dark orange (and the tooltip says which)."""


@dataclass(frozen=True)
class Band:
    """A version as the picture shows it: from its first capture until the next version's first."""

    version: int
    start: datetime
    end: datetime
    headline: str
    host: str


def bands(versions: Sequence[Mapping[str, Any]], until: datetime) -> list[Band]:
    """The versions in the order they first appeared, each lasting until the next appeared."""
    ordered = sorted(versions, key=lambda v: (v["fetched_at"], v["version"]))
    found = []
    for index, version in enumerate(ordered):
        start = parse_utc(version["fetched_at"])
        end = parse_utc(ordered[index + 1]["fetched_at"]) if index + 1 < len(ordered) else max(until, start)
        found.append(Band(version["version"], start, end, version.get("headline") or "", version["host"]))
    return found


def host_rows(hosts: Sequence[str], captures: Sequence[Mapping[str, Any]]) -> list[str]:
    """The article's hosts in their recorded order, then any other host a capture came from."""
    rows = list(dict.fromkeys(hosts))
    rows += [h for h in dict.fromkeys(c["host"] for c in captures) if h not in rows]
    return rows


def article_timeline(
    article_id: str,
    hosts: Sequence[str],
    captures: Sequence[Mapping[str, Any]],
    versions: Sequence[Mapping[str, Any]],
    changes: Sequence[Mapping[str, Any]],
) -> Markup:
    """The SVG picture of the article's captures, versions and changes (see the module docstring)."""
    rows = host_rows(hosts, captures)
    moments = [parse_utc(c["fetched_at"]) for c in captures] + [parse_utc(c["to_time"]) for c in changes]
    scale = TimeScale.around(moments, LABEL, WIDTH - 12)
    lane = TOP + ROW * len(rows)
    axis = lane + ROW + 4
    height = axis + 26
    parts: list[Markup] = []
    until = max(moments) if moments else scale.end
    for index, band in enumerate(bands(versions, until)):
        x0, x1 = scale.x(band.start), scale.x(band.end)
        parts.append(
            element(
                "g",
                {"class": "band"},
                element(
                    "rect",
                    {
                        "x": x0,
                        "y": TOP - 16,
                        "width": max(x1 - x0, 2.0),
                        "height": lane - TOP + 16,
                        "fill": BAND_FILLS[index % 2],
                    },
                    tooltip(
                        f"version {band.version}: from {iso(band.start)} (first on {band.host}) "
                        f"to {iso(band.end)}: {band.headline}"
                    ),
                ),
                text(x0 + 3, TOP - 4, f"v{band.version}", {"font-size": 11}) if x1 - x0 > 18 else Markup(""),
            )
        )
    for index, host in enumerate(rows):
        y = TOP + ROW * index + ROW / 2
        parts.append(text(4, y + 4, shorten(host, 26)))
        parts.append(element("line", {"x1": LABEL, "x2": WIDTH - 12, "y1": y, "y2": y, "stroke": "#bbb"}))
        for capture in (c for c in captures if c["host"] == host):
            parts.append(_dot(scale, y, capture))
    parts.append(text(4, lane + ROW / 2 + 4, "changes"))
    links = []
    for change in changes:
        parts.append(_mark(scale, TOP, lane, change))
        if change.get("compare"):
            links.append((change["compare"], _describe(change), _diamond(scale.x(parse_utc(change["to_time"])), lane)))
    parts.append(time_axis(scale, axis))
    silent = sum(1 for c in changes if not c["declared"])
    picture = figure(
        f"timeline-{article_id}",
        WIDTH,
        int(height),
        f"Timeline of article {article_id}: captures per host, versions and changes",
        f"{len(captures)} captures on {len(rows)} hosts from {iso(scale.start)} to {iso(scale.end)}; "
        f"{len(versions)} versions shown as bands; {len(changes)} changes ({silent} silent) shown as marks, "
        "each a link to its comparison. The same data is listed as text after the picture.",
        *parts,
    )
    return linked(picture, WIDTH, int(height), links)


def _dot(scale: TimeScale, y: float, capture: Mapping[str, Any]) -> Markup:
    status = capture.get("status")
    revisit = capture.get("record_type") == "revisit"
    failed = status is None or status >= 400
    fill = "#fff" if revisit else "#c62828" if failed else "#263238"
    stroke = "#c62828" if failed else "#263238"
    version = capture.get("version")
    shown = f"version {version}" if version is not None else (capture.get("outcome") or "no version")
    return element(
        "circle",
        {"cx": scale.x(parse_utc(capture["fetched_at"])), "cy": y, "r": 4, "fill": fill, "stroke": stroke},
        tooltip(
            f"{capture['host']} {capture['fetched_at']}: status {status if status is not None else 'none'}, "
            f"{capture.get('record_type') or 'record'}, {shown}"
        ),
    )


def _describe(change: Mapping[str, Any]) -> str:
    label = "declared" if change["declared"] else "silent"
    span = f" (version {change['from_version']} to {change['to_version']})" if change.get("compare") else ""
    return f"{change['kind']} change, {label}, seen {change['to_time']} on {change['host']}{span}"


def _diamond(x: float, lane: float) -> Markup:
    cy = lane + ROW / 2
    return element(
        "path", {"d": f"M{x:.1f} {cy - 8:.1f} L{x + 8:.1f} {cy:.1f} L{x:.1f} {cy + 8:.1f} L{x - 8:.1f} {cy:.1f} Z"}
    )


def _mark(scale: TimeScale, top: float, lane: float, change: Mapping[str, Any]) -> Markup:
    """The change's mark (a diamond in the changes lane, a dashed line up through the hosts); its
    link lies in the layer over the picture (``svg.linked``)."""
    x = scale.x(parse_utc(change["to_time"]))
    label = "declared" if change["declared"] else "silent"
    colour = CHANGE_FILL[bool(change["declared"])]
    shapes = join(
        [
            element(
                "line",
                {"x1": x, "x2": x, "y1": top - 6, "y2": lane + ROW / 2, "stroke": colour, "stroke-dasharray": "3 2"},
            ),
            _diamond(x, lane),
            tooltip(_describe(change)),
        ]
    )
    return element("g", {"class": f"mark {label}", "fill": colour}, shapes)
