"""Any outlet's article pages, through trafilatura: for outlets without their own extractor.

trafilatura finds the main text of a page by its structure and cleans it of navigation,
comments and widgets; it also reads title, author, date and lead image from the page's
metadata. It knows nothing of a particular outlet, so outlet-specific boilerplate typed
into the body (Press TV's alternate-addresses sentence, say) may survive: an outlet that
matters gets its own module beside this one. Captions are told from paragraphs by the
same credit rule as everywhere (:func:`archive.extract.dom.is_caption`).

trafilatura reads dates to the day only, so ``published`` is midnight UTC of that day.

trafilatura is imported on the first extraction, not with this module: it costs about 0.15 s,
which every process that imports :mod:`archive.extract` (each worker's forkserver, each Airflow
task) would pay for an outlet that has its own extractor.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin, urlsplit

from lxml.etree import _Element

from archive.detect.normalize import collapse_whitespace, normalize_text
from archive.extract import dom
from archive.extract.content import html_text
from archive.extract.model import Extracted

log = logging.getLogger(__name__)

TEXT_TAGS = frozenset({"p", "head", "item", "quote", "cell", "code"})
"""Elements of trafilatura's output format that hold text."""


def extract(html: bytes, url: str, *, content_type: str | None = None) -> Extracted:
    """Read one article page of any outlet; a page trafilatura finds no text in gives metadata only."""
    import trafilatura  # here, not above: see the module

    text = html_text(html, content_type, url)
    tree = dom.parse(text)
    meta = dom.head_meta(tree)
    title = dom.title_tag(tree)
    document = trafilatura.bare_extraction(
        text,
        url=url or None,
        with_metadata=True,
        include_images=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        deduplicate=False,
    )
    body: list[str] = []
    captions: list[str] = []
    images: list[str] = []
    headline = author = date = description = lead_image = ""
    categories: list[str] = []
    if isinstance(document, trafilatura.settings.Document):
        headline, author = document.title or "", document.author or ""
        date, description = document.date or "", document.description or ""
        lead_image, categories = document.image or "", list(document.categories or [])
        if document.body is not None:
            body, captions, images = _content(document.body, url, headline)
    else:
        log.info("trafilatura found no main text url=%s", url)
    if lead_image:
        images = [urljoin(url, lead_image), *images]
    return Extracted(
        headline=collapse_whitespace(headline) or meta.get("og:title", "") or title,
        lead=meta.get("description") or meta.get("og:description") or collapse_whitespace(description),
        body=tuple(body),
        captions=tuple(captions),
        images=tuple(dict.fromkeys(images)),
        section=" / ".join(collapse_whitespace(c) for c in categories if c.strip()),
        byline=collapse_whitespace(author),
        published=_day(date),
        slug=_slug(url),
        title_tag=title,
        meta=meta,
    )


def _content(root: _Element, url: str, headline: str) -> tuple[list[str], list[str], list[str]]:
    """Paragraphs, captions and images of trafilatura's main-text tree, in document order;
    a heading that repeats the headline (an ``<h1>`` inside ``<article>``) is not text."""
    body: list[str] = []
    captions: list[str] = []
    images: list[str] = []
    for element in root.iter():
        if element.tag == "graphic":
            source = (element.get("src") or "").strip()
            if source and not source.lower().startswith("data:"):
                images.append(urljoin(url, source))
            continue
        if element.tag not in TEXT_TAGS or any(d.tag in TEXT_TAGS for d in element.iterdescendants()):
            continue
        text = collapse_whitespace(" ".join(str(t) for t in element.itertext()))
        if element.tag == "head" and normalize_text(text) == normalize_text(headline):
            continue
        if text:
            (captions if dom.is_caption(text) else body).append(text)
    return body, captions, images


def _day(value: str) -> datetime | None:
    """trafilatura's ``YYYY-MM-DD`` as midnight UTC."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC) if value else None
    except ValueError:
        log.debug("unreadable date %r", value)
        return None


def _slug(url: str) -> str:
    """The last path segment when it is words (not a bare number), percent-decoded."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    last = unquote(segments[-1]) if segments else ""
    return "" if last.isdigit() else last.removesuffix(".html").removesuffix(".htm")
