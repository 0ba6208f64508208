"""The few SVG pieces the pictures share: escaped elements, the accessible frame, a time scale.

Every picture is markup built here, never by pasting text: element names and attribute names
are the builders' own constants, and every attribute value and text node goes through
``markupsafe.escape``, so archived text (a headline, a host name, a redirect target) is only
ever text. The frame gives each picture ``role="img"`` with a ``<title>`` and a ``<desc>``
named by ``aria-labelledby``; pages show the same data as text beside it.

Pages are served under a CSP without ``'unsafe-inline'`` styles, so the pictures use
presentation attributes (``fill``, ``stroke``) and classes, never ``style=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

Attr = str | int | float | None


def _value(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def element(tag: str, attrs: Mapping[str, Attr] | None = None, *children: Markup | str) -> Markup:
    """``<tag attrs>children</tag>``: attribute values and string children escaped; Markup children kept.

    ``tag`` and the attribute names are the caller's constants (never data); attributes whose
    value is None are left out.
    """
    parts = "".join(f' {name}="{escape(_value(value))}"' for name, value in (attrs or {}).items() if value is not None)
    inner = "".join(str(escape(child)) for child in children)
    return Markup(f"<{tag}{parts}>{inner}</{tag}>")  # noqa: S704 (names are constants, values escaped above)


def join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


def tooltip(text: str) -> Markup:
    """The ``<title>`` child that names an SVG shape (shown on hover, read by screen readers)."""
    return element("title", None, text)


def figure(ident: str, width: int, height: int, title: str, desc: str, *body: Markup) -> Markup:
    """An inline SVG picture with its accessible name (``title``) and description (``desc``).

    ``ident`` makes the ids unique on the page (two pictures may share one page).
    """
    return element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "picture",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "viewBox": f"0 0 {width} {height}",
            "width": width,
            "height": height,
            "preserveAspectRatio": "xMinYMin meet",
            "font-family": "system-ui, sans-serif",
            "font-size": 12,
        },
        element("title", {"id": f"{ident}-title"}, title),
        element("desc", {"id": f"{ident}-desc"}, desc),
        *body,
    )


def linked(picture: Markup, width: int, height: int, links: Iterable[tuple[str, str, Markup]]) -> Markup:
    """``picture`` with a layer of links over it: each ``(href, tooltip, shape)`` a link on that shape.

    Links inside a ``role="img"`` would be hidden from assistive technology (an image's children
    are presentational, and axe-core reports focusable content in one), so they lie in a second
    SVG over the picture, hidden from assistive technology and out of the tab order: a pointer
    follows them, everyone else follows the same links in the text beside the picture.
    """
    anchors = [
        element("a", {"href": href, "tabindex": -1}, element("g", {"fill": "transparent"}, shape, tooltip(label)))
        for href, label, shape in links
    ]
    layer = element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "picture-links",
            "aria-hidden": "true",
            "focusable": "false",
            "viewBox": f"0 0 {width} {height}",
            "width": width,
            "height": height,
            "preserveAspectRatio": "xMinYMin meet",
        },
        *anchors,
    )
    return element("div", {"class": "picture-frame"}, picture, layer if anchors else Markup(""))


def text(x: float, y: float, content: str, attrs: Mapping[str, Attr] | None = None) -> Markup:
    return element("text", {"x": x, "y": y, "fill": "#222", **(attrs or {})}, content)


def shorten(content: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking a cut (the full text stays in the tooltip)."""
    return content if len(content) <= limit else content[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class TimeScale:
    """Instants between ``start`` and ``end`` placed on ``left``..``right``."""

    start: datetime
    end: datetime
    left: float
    right: float

    @classmethod
    def around(cls, instants: Iterable[datetime], left: float, right: float) -> TimeScale:
        """A scale spanning ``instants`` (an hour either side of a single instant; the last day if none)."""
        found = sorted(instants)
        if not found:
            now = datetime.now(UTC)
            return cls(now - timedelta(days=1), now, left, right)
        start, end = found[0], found[-1]
        if end - start < timedelta(minutes=2):
            start, end = start - timedelta(hours=1), end + timedelta(hours=1)
        pad = (end - start) / 40
        return cls(start - pad, end + pad, left, right)

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        share = (moment - self.start).total_seconds() / span
        return self.left + min(max(share, 0.0), 1.0) * (self.right - self.left)

    def ticks(self, count: int = 5) -> list[tuple[float, str]]:
        """About ``count`` labelled positions: dates, or dates with times when the span is short."""
        span = self.end - self.start
        fmt = "%Y-%m-%d" if span > timedelta(days=3) else "%m-%d %H:%M"
        step = span / max(count - 1, 1)
        return [(self.x(self.start + step * i), (self.start + step * i).strftime(fmt)) for i in range(count)]


def time_axis(scale: TimeScale, y: float, count: int = 5) -> Markup:
    """A baseline at ``y`` with tick labels under it (UTC)."""
    ticks = scale.ticks(count)
    parts = [element("line", {"x1": scale.left, "x2": scale.right, "y1": y, "y2": y, "stroke": "#555"})]
    for index, (x, label) in enumerate(ticks):
        anchor = "start" if index == 0 else "end" if index == len(ticks) - 1 else "middle"
        parts.append(element("line", {"x1": x, "x2": x, "y1": y, "y2": y + 4, "stroke": "#555"}))
        parts.append(text(x, y + 16, label, {"text-anchor": anchor, "font-size": 11}))
    return join(parts)


def iso(moment: datetime) -> str:
    """The instant as the archive writes it (ISO 8601 UTC with ``Z``, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
