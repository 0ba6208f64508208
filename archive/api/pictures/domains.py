"""The domains page's picture: each domain's state over time, a band per domain coloured by state.

Colour is not the only carrier: each span's ``<title>`` names its state and dates, spans wide
enough carry the state's name as text, the legend names every colour, and the page lists the
spans and the events as text.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from archive.api.pictures.svg import TimeScale, element, figure, join, shorten, text, time_axis, tooltip
from archive.mirrors.classify import STATES
from archive.mirrors.history import Span
from archive.moments import parse_utc

WIDTH = 820
LABEL = 170
ROW = 30
TOP = 8
STATE_COLOURS = {
    "serving": "#2e7d32",
    "redirect": "#1565c0",
    "seized": "#6a1b9a",
    "parked": "#795548",
    "error": "#b34700",
    "unreachable": "#b71c1c",
}
"""Each dark enough for white text on it (contrast 4.5:1 or more)."""
UNKNOWN = "#616161"


def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, UNKNOWN)


def domain_bands(outlet: str, hosts: Sequence[str], spans: Sequence[Span]) -> Markup:
    """A band per host, a segment per span in its state's colour, a time axis and the legend."""
    moments = [parse_utc(s.start) for s in spans] + [parse_utc(s.end) for s in spans]
    scale = TimeScale.around(moments, LABEL, WIDTH - 12)
    parts: list[Markup] = []
    for index, host in enumerate(hosts):
        y = TOP + index * ROW
        parts.append(text(4, y + ROW / 2 + 2, shorten(host, 26)))
        for span in (s for s in spans if s.host == host):
            x0, x1 = scale.x(parse_utc(span.start)), scale.x(parse_utc(span.end))
            width = max(x1 - x0, 3.0)
            until = f"until {span.end} (latest check)" if span.ongoing else f"until {span.end}"
            parts.append(
                element(
                    "g",
                    {"class": f"span state-{span.state}"},
                    element(
                        "rect",
                        {"x": x0, "y": y + 3, "width": width, "height": ROW - 10, "fill": state_colour(span.state)},
                        tooltip(f"{host}: {span.shown} from {span.start} {until}"),
                    ),
                    text(x0 + 4, y + ROW / 2 + 2, span.state, {"fill": "#fff", "font-size": 11})
                    if width > 9 * len(span.state)
                    else Markup(""),
                )
            )
    axis = TOP + ROW * len(hosts) + 2
    parts.append(time_axis(scale, axis))
    used = [s for s in STATES if any(span.state == s for span in spans)]
    used += sorted({span.state for span in spans} - set(used))
    legend_y = axis + 36
    parts.append(_legend(used, legend_y))
    return figure(
        f"domains-{outlet}",
        WIDTH,
        int(legend_y + 20),
        f"State of each domain of {outlet} over time",
        f"{len(hosts)} domains, {len(spans)} spans from {spans[0].start if spans else 'none'}; "
        f"states shown: {', '.join(used) or 'none'}. The spans and events are listed as text after the picture.",
        *parts,
    )


def _legend(states: Sequence[str], y: float) -> Markup:
    items = []
    x = float(LABEL)
    for state in states:
        items.append(element("rect", {"x": x, "y": y - 10, "width": 12, "height": 12, "fill": state_colour(state)}))
        items.append(text(x + 16, y, state, {"font-size": 11}))
        x += 30 + 7 * len(state)
    return element("g", {"class": "legend"}, join(items))
