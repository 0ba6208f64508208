"""What every extractor returns, and the one error extraction raises.

Kept apart from the package's ``__init__`` so that the extractor modules can import it
without importing each other through the package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from archive.errors import EdittrailError


class ExtractError(EdittrailError):
    """A page cannot be extracted at all: unknown extractor, binary content, corrupt compression.

    Broken markup is never a reason: extractors return what they can from any HTML.
    """


@dataclass(frozen=True)
class Extracted:
    """One article page as an extractor read it.

    Text fields are whitespace-collapsed but otherwise as published (curly quotes and
    dashes kept, for people to read); :func:`archive.detect.fingerprint.fingerprint` normalizes
    further before hashing. ``last_update``, ``dc_created``, ``slug``, ``title_tag`` and
    ``meta`` are metadata: the content hash leaves them out, so that the outlet's own
    "Last Update" can tell declared edits from silent ones instead of being one.
    """

    headline: str = ""
    lead: str = ""
    """The page's description (``meta[name=description]``, else ``og:description``)."""
    body: tuple[str, ...] = ()
    """Paragraphs in order, boilerplate and photo captions left out."""
    captions: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    """Absolute image URLs: ``og:image`` first when present, then the body's in order."""
    section: str = ""
    """The breadcrumb as shown, e.g. "News / Syria"."""
    section_ids: tuple[str, ...] = ()
    byline: str = ""
    published: datetime | None = None
    """Timezone-aware UTC."""
    last_update: date | datetime | None = None
    dc_created: datetime | None = None
    slug: str = ""
    """The URL's slug, percent-decoded; it freezes an early headline on Press TV."""
    title_tag: str = ""
    meta: Mapping[str, str] = field(default_factory=dict)
    """``og:title``, ``og:description``, ``og:image``, ``description`` and ``title``, those present."""
    not_article: str = ""
    """Why the page is not an article at all (a seizure notice, an error page served with 200,
    no headline and no body), or "" for an article. The detect stage records such a capture
    and makes no version of it: a seized mirror must not look like an edit."""
    linked_hosts: frozenset[str] | None = None
    """The hosts the page names in the links and images the extractor resolved, or None when the
    extractor does not note them: the same bytes on a mirror named nowhere here extract the same
    (:class:`archive.extract.dom.Base`)."""


_SEIZURE = re.compile(r"\b(?:domain|website|site) (?:name )?has been seized\b|\bhas been seized by the\b", re.I)
_ERROR_TITLE = re.compile(
    r"^\W*(?:[45]\d\d(?=\s*(?:$|[-:|\u2013]|error\b|not found\b|forbidden\b|gone\b|bad gateway\b|"
    r"service unavailable\b|internal server error\b))|(?:page|article|file) not found\b|not found\s*$|"
    r"error\s*(?:$|[-:|\u2013]))",
    re.IGNORECASE,
)
"""An HTTP error's title ("404", "503 Service Unavailable", "Page not found - PressTV"), not a
headline that starts with a number ("500 killed in ...") or with the word "Error"."""
_SHORT_BODY = 2
"""A notice page has at most this many paragraphs; an article quoting a notice has more."""


def not_an_article(e: Extracted) -> str:
    """Why an extracted page is not an article, whatever the outlet; "" when it may be one.

    Only pages with (almost) no body qualify, so a news story *about* a seizure or headlined
    "Error ..." stays an article.
    """
    if len(e.body) <= _SHORT_BODY:
        for text in (e.headline, e.title_tag, *e.body):
            if text and _SEIZURE.search(text):
                return f"a domain seizure notice ({text[:120]!r})"
    if not e.body:
        for text in (e.headline, e.title_tag):
            if text and _ERROR_TITLE.search(text):
                return f"an error page ({text[:120]!r})"
        if not e.headline:
            return "no headline and no body"
    return ""
