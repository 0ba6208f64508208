"""Memento (RFC 7089): which captures stand for a URL, datetime negotiation, and link formats.

A URL-R on any domain of an outlet, under any slug, names the article (``Outlet.article_id``):
its TimeMap lists the captures of that article on every domain, each memento under the URL
it was captured at. A URL that is no article is matched by its SURT key (scheme, ``www.``
and case aside), as pywb does. URLs follow pywb's scheme, one collection per outlet:

- ``/{outlet}/{url}``: the TimeGate (``Accept-Datetime`` → 302 to the closest memento);
- ``/{outlet}/timemap/link/{url}``: the TimeMap in ``application/link-format``;
- ``/{outlet}/{timestamp}/{url}``: a memento (the archived page, framed);
- ``/{outlet}/{timestamp}id_/{url}``: the archived response itself;
- ``/{outlet}/{timestamp}if_/{url}``: the same with its links into the archive, for the frame.

Link headers and TimeMaps carry absolute URIs, as RFC 7089's examples do and Memento
aggregators expect; their base is this service's trusted origin (``archive.api.origin``),
never the client's Host header. Redirects (``Location``) are path-absolute references (RFC
9110 section 10.2.2), right for whatever name the client reached the service by. Every URL
written into a header or a TimeMap is a URI (:func:`uri`): non-ASCII characters and the
characters that would end a ``<...>`` link target (``<``, ``>``, ``"``, space) are
percent-encoded, so an archived or client-given URL can neither break the header's encoding
nor smuggle in links of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import surt

from archive.api.budget import Deadline
from archive.api.cdx import datetime_of, timestamp_of
from archive.config import Outlet
from archive.errors import EdittrailError
from archive.index import Capture, Index
from archive.index import captures as captures_index

LINK_FORMAT = "application/link-format"
_RFC1123 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT$"
)


_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"
"""What a URI may hold besides letters, digits and ``-._``: everything else is percent-encoded."""


RAW = "id_"
"""pywb's modifier for the archived response as captured."""
FRAMED = "if_"
"""pywb's modifier for a response rewritten to be shown in a frame."""


class BadDatetimeError(EdittrailError):
    """An Accept-Datetime that is not an RFC 1123 date (HTTP 400)."""


@dataclass(frozen=True, eq=False)
class Memento:
    """One capture as a memento: the URL it was captured at and when (compared by identity)."""

    url: str
    timestamp: str
    moment: datetime
    row: Capture


def parse_accept_datetime(value: str) -> datetime:
    """``Accept-Datetime: Thu, 31 May 2007 20:35:00 GMT`` (RFC 1123, as RFC 7089 requires)."""
    text = value.strip()
    if not _RFC1123.match(text):
        raise BadDatetimeError(
            f"Accept-Datetime {value!r} is not an RFC 1123 date such as 'Thu, 31 May 2007 20:35:00 GMT'"
        )
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        raise BadDatetimeError(f"Accept-Datetime {value!r} is not a valid date") from None


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(moment: datetime) -> str:
    """RFC 1123 in GMT: ``Thu, 31 May 2007 20:35:00 GMT`` (``email.utils.format_datetime``'s
    output, written directly: a TimeMap writes one per memento)."""
    m = moment.astimezone(UTC)
    return (
        f"{_DAYS[m.weekday()]}, {m.day:02d} {_MONTHS[m.month - 1]} {m.year:04d} "
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d} GMT"
    )


def uri(url: str) -> str:
    """``url`` as a URI for a header or a link target: what a URI cannot hold percent-encoded
    (an existing ``%XX`` escape is kept as it is)."""
    return quote(url, safe=_URI_SAFE)


def mementos(idx: Index, outlet: Outlet, url: str, *, deadline: Deadline | None = None) -> list[Memento]:
    """The captures a URL-R stands for, oldest first: the article's on every domain, else the URL's
    (within ``deadline`` when one is given)."""
    article_id = outlet.article_id(url)
    if article_id is not None:
        rows = captures_index.of_article(idx, outlet.name, article_id)
    else:
        rows = captures_index.of_urlkey(idx, outlet.name, surt.surt(url))
    found = []
    for row in deadline.each(rows) if deadline is not None else rows:
        stamp = timestamp_of(row.fetched_at)
        found.append(Memento(row.url, stamp, datetime_of(stamp), row))
    return found


def closest(found: Sequence[Memento], moment: datetime) -> Memento:
    """The memento nearest in time; on a tie the earlier, which was live at that moment."""
    return min(found, key=lambda m: (abs((m.moment - moment).total_seconds()), m.moment))


def live_at(found: Sequence[Memento], moment: datetime) -> Memento | None:
    """The last memento at or before ``moment``: what a reader saw then."""
    before = [m for m in found if m.moment <= moment]
    return before[-1] if before else None


def exact(found: Sequence[Memento], timestamp: str, url: str) -> Memento | None:
    """The memento captured at exactly this 14-digit timestamp under this URL (by SURT key)."""
    key = surt.surt(url)
    for memento in found:
        if memento.timestamp == timestamp and (memento.url == url or memento.row.urlkey == key):
            return memento
    return None


@dataclass(frozen=True)
class Links:
    """URIs of one collection's Memento resources: absolute, or path-absolute for redirects."""

    base: str
    """e.g. ``http://127.0.0.1:8000/demo/``, or ``/demo/``"""

    def timegate(self, url: str) -> str:
        return f"{self.base}{uri(url)}"

    def timemap(self, url: str) -> str:
        return f"{self.base}timemap/link/{uri(url)}"

    def at(self, timestamp: str, url: str, *, modifier: str = "") -> str:
        """The memento of ``url`` captured at ``timestamp``; with a ``modifier`` the archived
        response (``RAW``) or its copy rewritten for the frame (``FRAMED``)."""
        return f"{self.base}{timestamp}{modifier}/{uri(url)}"

    def memento(self, m: Memento) -> str:
        return self.at(m.timestamp, m.url)

    def raw(self, m: Memento) -> str:
        return self.at(m.timestamp, m.url, modifier=RAW)

    def framed(self, m: Memento) -> str:
        """The archived response with its links into the archive (``archive.api.rewrite``)."""
        return self.at(m.timestamp, m.url, modifier=FRAMED)


def memento_rel(found: Sequence[Memento], m: Memento) -> str:
    words = []
    if m is found[0]:
        words.append("first")
    if m is found[-1]:
        words.append("last")
    return " ".join([*words, "memento"])


def memento_link(links: Links, found: Sequence[Memento], m: Memento) -> str:
    return f'<{links.memento(m)}>; rel="{memento_rel(found, m)}"; datetime="{http_date(m.moment)}"'


def timemap(links: Links, url: str, found: Sequence[Memento]) -> str:
    """The TimeMap (RFC 7089 section 5.1.1): original, self with from/until, timegate, then every memento."""
    entries = [
        f'<{uri(url)}>; rel="original"',
        f'<{links.timemap(url)}>; rel="self"; type="{LINK_FORMAT}"; '
        f'from="{http_date(found[0].moment)}"; until="{http_date(found[-1].moment)}"',
        f'<{links.timegate(url)}>; rel="timegate"',
        *(memento_link(links, found, m) for m in found),
    ]
    return ",\n".join(entries) + "\n"


def timegate_link(links: Links, url: str, found: Sequence[Memento], chosen: Memento) -> str:
    """The TimeGate's Link header (RFC 7089 section 4.1.1): original, timemap, and the mementos
    it knows near the one chosen (first, last, and the chosen one)."""
    near = dict.fromkeys([found[0], chosen, found[-1]])
    return ", ".join(
        [
            f'<{uri(url)}>; rel="original"',
            f'<{links.timemap(url)}>; rel="timemap"; type="{LINK_FORMAT}"; '
            f'from="{http_date(found[0].moment)}"; until="{http_date(found[-1].moment)}"',
            *(memento_link(links, found, m) for m in near),
        ]
    )


def memento_headers(links: Links, url: str, found: Sequence[Memento], m: Memento) -> dict[str, str]:
    """Memento-Datetime and Link for a memento (RFC 7089 section 4.1.1): original, timegate, timemap,
    first/last and the neighbours (prev/next)."""
    index = list(found).index(m)
    related = [
        f'<{uri(url)}>; rel="original"',
        f'<{links.timegate(url)}>; rel="timegate"',
        f'<{links.timemap(url)}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]
    neighbours: dict[Memento, list[str]] = {}
    if index > 0:
        neighbours.setdefault(found[index - 1], []).append("prev")
    if index + 1 < len(found):
        neighbours.setdefault(found[index + 1], []).append("next")
    for other in dict.fromkeys([found[0], *neighbours, found[-1], m]):
        words = [*neighbours.get(other, []), memento_rel(found, other)]
        related.append(f'<{links.memento(other)}>; rel="{" ".join(words)}"; datetime="{http_date(other.moment)}"')
    return {"Memento-Datetime": http_date(m.moment), "Link": ", ".join(related)}
