"""Press TV's article pages (markup of 2023-2026, shared/PRESSTV.md), selector by selector.

What is content: the headline (``h1.news-title-container``), the breadcrumb
(``div.news-section-container``), the date in ``time.news-modifydate-container``, and the
paragraphs of ``div.news-body-container`` with their images; photo captions are kept apart
from the paragraphs (see :func:`archive.extract.dom.is_caption`).

What is not: the related-story cards the editors embed in the text (``div[data-oembed-url]``),
share and embed widgets, view counters, and the boilerplate the outlet types into every
body: "Install the new version of PressTv application", the sentence "Press TV's website
can also be accessed at the following alternate addresses:" with its list of links,
"Press TV News Roku" and "SHARE THIS ARTICLE". "Last Update" is kept as metadata only.

Times: the page shows a wall-clock time without a zone. The simulated outlet writes UTC
and the pre-2020 pages labelled their times GMT, so the time is read as UTC
(:data:`PAGE_TIMEZONE`); should evidence show Tehran time, that constant is the one place
to change (an already stored version would then get one "date" change).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from archive.detect.diff import similarity
from archive.detect.normalize import collapse_whitespace
from archive.extract import dom
from archive.extract.content import html_text
from archive.extract.model import Extracted

log = logging.getLogger(__name__)

PAGE_TIMEZONE: tzinfo = UTC
"""The zone of the wall-clock times Press TV prints (see the module docstring)."""
PUBLISHED_FORMATS = ("%A, %d %B %Y %I:%M %p", "%A, %d %B %Y %H:%M", "%A, %d %B %Y", "%d %B %Y %I:%M %p")
LAST_UPDATE_FORMATS = (
    "%d %B %Y %I:%M %p",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%a %b %d, %Y",
    "%A %B %d, %Y",
    "%d/%m/%Y",
    "%Y-%m-%d",
)
DC_CREATED_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")
"""``DC.Date.Created`` is month first, like "3/9/2026 11:50:13 AM" (as the simulated outlet writes it)."""

FOOTER = re.compile(r"can also be accessed at the following alternate address", re.IGNORECASE)
BOILERPLATE = re.compile(
    r"^(?:install the new version of press ?tv application|press ?tv news roku|share this article)\b"
    r"|^(?:promoted|ad)\s*(?:[:·|\u2013\u2014-]|$)"
    r"|^(?:sponsored|advertisement|advertorial|paid (?:content|post|partnership)|partner content|recommended for you)"
    r"\b(?! by\b)",
    re.IGNORECASE,
)
"""Paragraphs the outlet puts in the body that are not the article (matched at their start):
its own boilerplate, and anything labelled as an ad ("Sponsored: …", "Promoted · …")."""
SKIPPED_CLASSES = frozenset(
    {"share-widget", "related-news", "related-title", "news-views", "widget-clock", "app-install-banner"}
)
"""Widgets that broken nesting can pull inside the body container; any ``share*`` class and
ad slots (``ad``, ``ads``, ``ad-*``, ``*advert*``) too."""
_AD_CLASS = re.compile(r"^(?:ads?|ad[-_].*|.*[-_]ads?|.*advert.*|adsbygoogle|.*sponsor.*|share.*)$", re.IGNORECASE)
_AD_ID = re.compile(r"(?:^|[-_])(?:ad|ads|gpt-ad|google_ads?|advert\w*|sponsor\w*)(?:[-_]|$)", re.IGNORECASE)
SKIPPED_TAGS = frozenset({"aside", "ins"})
"""Asides (pull quotes, related-story boxes) and ``<ins>`` (ad slots) inside the body are not its text."""
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?", re.IGNORECASE)
_SECTION_HREF = re.compile(r"^/section/(\d+)", re.IGNORECASE)
_ARTICLE_ID = re.compile(r"/detail/(?:\d{4}/\d{1,2}/\d{1,2}/)?(\d+)", re.IGNORECASE)
_SLUG = re.compile(r"/detail/\d{4}/\d{1,2}/\d{1,2}/\d+/([^/?#]+)", re.IGNORECASE)
_LAST_UPDATE = re.compile(r"last\s+update\s*:?\s*(.+)", re.IGNORECASE)
_TITLE_SUFFIX = " - PressTV"
_BY = re.compile(r"^by\s+", re.IGNORECASE)


def extract(html: bytes, url: str, *, content_type: str | None = None) -> Extracted:
    """Read one Press TV article page; broken markup yields what can be read, never an error."""
    tree = dom.parse(html_text(html, content_type, url))
    meta = dom.head_meta(tree)
    title = dom.title_tag(tree)
    headline = (
        dom.text_of(tree.css_first("h1.news-title-container"))
        or meta.get("og:title")
        or title.removesuffix(_TITLE_SUFFIX)
    )
    crumb = tree.css_first("div.news-section-container")
    base = dom.Base(url)
    body, captions, images = _content(tree, base)
    if not images and meta.get("og:image"):  # og:image is a hint (a share card, perhaps); the body shows the photos
        images = [base.join(meta["og:image"])]
    stamp = tree.css_first("time.news-modifydate-container")
    not_article = ""
    if tree.css_first("h1.news-title-container") is None and tree.css_first("div.news-body-container") is None:
        not_article = f"no h1.news-title-container and no div.news-body-container (page title {title[:120]!r})"
    return Extracted(
        headline=headline,
        lead=_lead(tree, body),
        body=tuple(body),
        captions=tuple(captions),
        images=tuple(dict.fromkeys(images)),
        section=dom.text_of(crumb),
        section_ids=_section_ids(crumb, url),
        byline=_byline(tree),
        published=_published(stamp),
        last_update=_last_update(stamp),
        dc_created=_moment(_meta_content(tree, "DC.Date.Created"), DC_CREATED_FORMATS),
        slug=slug_of(url),
        title_tag=title,
        meta=meta,
        not_article=not_article,
        linked_hosts=frozenset(base.named),
    )


def alternate_addresses(html: bytes) -> tuple[str, ...]:
    """Host names listed after "Press TV's website can also be accessed at the following
    alternate addresses:", in page order, lower case: the outlet announcing its mirrors.

    Hosts are read from the sentence's own paragraph (after the colon) and from the
    paragraphs that follow it as long as they hold nothing but host names.
    """
    tree = dom.parse(html_text(html, None, "<alternate addresses>"))
    container = tree.css_first("div.news-body-container") or tree.body
    if container is None:
        return ()
    found: list[str] = []
    listing = False
    for block in dom.blocks(container, dom.Base(""), _skipped):
        if FOOTER.search(block.text):
            listing = True
            found.extend(_hosts(block.text.partition(":")[2]) or [])
            continue
        if listing:
            hosts = _hosts(block.text)
            if hosts is None:
                break
            found.extend(hosts)
    return tuple(dict.fromkeys(found))


def slug_of(url: str) -> str:
    """The percent-decoded slug of ``/Detail/YYYY/MM/DD/<id>/<slug>``; "" when the URL has none."""
    match = _SLUG.search(urlsplit(url).path)
    return unquote(match.group(1)) if match else ""


def _content(tree: LexborHTMLParser, base: dom.Base) -> tuple[list[str], list[str], list[str]]:
    """Paragraphs, captions and images of the body container, boilerplate dropped."""
    url = base.url
    container = tree.css_first("div.news-body-container")
    if container is None:
        log.warning("no div.news-body-container url=%s: not an article page or a new template", url)
        return [], [], []
    body: list[str] = []
    captions: list[str] = []
    images: list[str] = []
    footer = False
    thumbnail = 0  # images of the block just before, when it held nothing else: a card's picture?
    hidden_classes, hidden_ids = dom.stylesheet_hidden(tree)

    def skip(node: LexborNode) -> bool:
        attributes = node.attributes
        if hidden_classes and hidden_classes & set((attributes.get("class") or "").split()):
            return True
        if hidden_ids and attributes.get("id") in hidden_ids:
            return True
        return _skipped(node) or _card(node, url)

    for block in dom.blocks(container, base, skip):
        if _navigation(block, base):  # "Tags: a, b, c", topic links: the site's map, not the story
            continue
        if _teaser(block, url):  # a related-story card, with the picture just above its headline
            del images[len(images) - thumbnail :]
            thumbnail = 0
            continue
        images.extend(block.images)
        thumbnail = len(block.images) if not block.text else 0
        text = block.text
        if not text:
            continue
        if FOOTER.search(text):
            footer = True
            continue
        if footer and (block.link_only or _hosts(text) is not None):
            continue
        footer = False
        if BOILERPLATE.match(text):
            continue
        if block.tag == "figcaption" or dom.is_caption(text):
            captions.append(text)
        else:
            body.append(text)
    return body, captions, images


def _lead(tree: LexborHTMLParser, body: list[str]) -> str:
    """The description: ``meta[name=description]``, else ``og:description``. When a key appears
    more than once (a layout writing the site's description before the article's), every value,
    one a line, the one sharing most words with the body's opening first: the site's own is
    learned as template (archive.detect.noise) and left out of the comparison."""
    for key in ("description", "og:description"):
        values = list(dict.fromkeys(dom.meta_values(tree, key)))
        if len(values) > 1:  # every one, the closest to the body first: the noise model drops the site's
            opening = " ".join(body[:2])
            return "\n".join(sorted(values, key=lambda v: -similarity(v, opening)))
        if values:
            return values[0]
    return ""


def _navigation(block: dom.Block, base: dom.Base) -> bool:
    """A short line that is mostly links to pages of this site that are not articles (tag, topic,
    section pages): navigation, whatever order the template lists them in."""
    text_chars = dom.visible_chars(block.text)
    if not block.links or not block.text or text_chars > CARD_MAX_CHARS or block.link_chars * 2 < text_chars:
        return False
    for href in block.links:
        target = base.split(href)
        if _ARTICLE_ID.search(target.path) or target.path in ("", "/") or not base.is_own(href, target):
            return False  # the host asked last: only a host that decides the answer is noted (dom.Base)
    return True


def _teaser(block: dom.Block, url: str) -> bool:
    """A card or "read more" line promoting other stories: most of its text (or, for a thumbnail,
    its only content) is links to other articles."""
    if not block.links or block.link_chars * 2 < dom.visible_chars(block.text):
        return False
    own = _article_linked(url, "")
    targets = [_article_linked(url, href) for href in block.links]
    return all(t is not None and t != own for t in targets)


def _skipped(node: LexborNode) -> bool:
    """Widgets, ad slots, and the card of an embedded related story.

    The card is the first element inside ``div[data-oembed-url]``; anything after it in
    that div only got there because the card's markup was left unclosed (the simulated
    outlet's malformed pages do this), so it is article text and stays.
    """
    classes = (node.attributes.get("class") or "").split()
    if any(c in SKIPPED_CLASSES or _AD_CLASS.match(c) for c in classes):
        return True
    if node.tag in SKIPPED_TAGS or _AD_ID.search(node.attributes.get("id") or ""):
        return True
    parent = node.parent
    if parent is None or "data-oembed-url" not in parent.attributes:
        return False
    first = next(iter(parent.iter(include_text=False)), None)
    return first is not None and first.mem_id == node.mem_id


CARD_TAGS = frozenset({"div", "figure", "li", "section", "article", "p"})
CARD_MAX_CHARS = 300


def _card(node: LexborNode, url: str) -> bool:
    """A related-story card with its picture, in whatever markup: a small element holding an image,
    whose every link goes to another article and whose text is mostly those links. (A card
    whose picture sits in a ``<figure>`` of its own before the headline's link is two blocks;
    :func:`_content` drops the picture with the teaser.)"""
    if node.tag not in CARD_TAGS or "news-body-container" in (node.attributes.get("class") or ""):
        return False
    if node.css_first("img") is None:  # a headline link alone is a teaser block (see _content)
        return False
    text = _short_text(node)
    if text is None:
        return False
    links = [a.attributes.get("href") or "" for a in node.css("a[href]")]
    if not links:
        return False
    own = _article_linked(url, "")
    for href in links:
        target = _article_linked(url, href)
        if target is None or target == own:
            return False
    linked = sum(len("".join(a.text(deep=True).split())) for a in node.css("a[href]"))
    return linked * 2 >= len(text)


@lru_cache(maxsize=4096)
def _article_linked(url: str, href: str) -> str | None:
    """The id of the article a link of the page at ``url`` leads to (``""``: the page itself), or
    None. Remembered: a card's links are asked for by every element around it."""
    match = _ARTICLE_ID.search(urlsplit(urljoin(url, href)).path)
    return match.group(1) if match else None


def _short_text(node: LexborNode) -> str | None:
    """The node's visible characters (spaces dropped), or None past :data:`CARD_MAX_CHARS`: stops
    early, so that asking every element of a deeply nested page stays cheap."""
    pieces: list[str] = []
    size = 0
    for child in node.traverse(include_text=True):
        if child.tag == "-text":
            piece = "".join((child.text_content or "").split())
            size += len(piece)
            if size > CARD_MAX_CHARS:
                return None
            pieces.append(piece)
    return "".join(pieces)


def _hosts(text: str) -> list[str] | None:
    """The host names ``text`` consists of, or None when it holds anything else."""
    tokens = [t.strip(".") for t in re.split(r"[\s,;|]+", text.strip()) if t.strip(".")]
    if not tokens or not all(_HOST.fullmatch(t) for t in tokens):
        return None if text.strip() else []
    return [t.lower() for t in tokens]


def _section_ids(crumb: LexborNode | None, url: str = "") -> tuple[str, ...]:
    """The section ids the breadcrumb links to, however the link is spelled (relative, absolute on
    any mirror, protocol-relative, with a trailing slash or a query)."""
    if crumb is None:
        return ()
    paths = (urlsplit(urljoin(url or "http://x/", a.attributes.get("href") or "")).path for a in crumb.css("a"))
    ids = (_SECTION_HREF.match(path) for path in paths)
    return tuple(dict.fromkeys(m.group(1) for m in ids if m))


def _byline(tree: LexborHTMLParser) -> str:
    """Press TV signs few articles; when it does, under the headline (``div.news-writer``,
    "By Name"), or in another author element of the page's body. A leading "By" is dropped.

    Only text a reader sees counts: ``<link rel=author>`` and ``meta[name=author]`` in the head
    often name the site itself, and templates put them on some pages and not others."""
    body = tree.body
    if body is None:
        return ""
    for node in body.css("div.news-writer, .news-author, [rel=author], .author-name"):
        text = dom.text_of(node)
        if text and not dom.is_hidden(node):
            return _BY.sub("", text)
    return ""


def _meta_content(tree: LexborHTMLParser, name: str) -> str:
    for node in tree.css("meta"):
        if (node.attributes.get("name") or "").strip().lower() == name.lower():
            return node.attributes.get("content") or ""
    return ""


def _published(stamp: LexborNode | None) -> datetime | None:
    """The ``datetime`` attribute, like "Wednesday, 23 September 2026 8:20 AM" (or ISO 8601)."""
    return _moment((stamp.attributes.get("datetime") or "") if stamp is not None else "", PUBLISHED_FORMATS)


def _last_update(stamp: LexborNode | None) -> date | datetime | None:
    """The date after "Last Update:" in the time element's ``<strong>``; a date, or a
    datetime when the page gives a time too."""
    if stamp is None:
        return None
    for node in [*stamp.css("strong"), stamp]:
        match = _LAST_UPDATE.search(dom.text_of(node))
        if match:
            return _date_prefix(match.group(1))
    return None


def _date_prefix(text: str) -> date | datetime | None:
    """The longest start of ``text`` that reads as a date: "24 November 2026 (3 hours ago)" and
    "24 November 2026 · updated 5 minutes ago" are 24 November 2026."""
    words = re.sub(r"[()\[\]·|,;]+\s*$", "", text).split()
    for end in range(len(words), 0, -1):
        head = " ".join(words[:end]).rstrip(" ,;·|(-")
        found = _day(head) or _moment(head, LAST_UPDATE_FORMATS)
        if found is not None:
            return found
    return None


def _day(value: str) -> date | None:
    """A calendar date without a time, as printed (no zone conversion can move it)."""
    value = collapse_whitespace(value)
    for form in LAST_UPDATE_FORMATS:
        if "%I" in form or "%H" in form:
            continue
        try:
            return datetime.strptime(value, form).date()  # noqa: DTZ007  # a calendar date, no zone
        except ValueError:
            continue
    return None


OTHER_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y %H:%M", "%d %B %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
"""Notations other templates write the same instant in (after "at" and a UTC/GMT label are dropped)."""
_UTC_LABEL = re.compile(r"\s*\b(?:UTC|GMT|Z)\s*$", re.IGNORECASE)


def _moment(value: str, formats: tuple[str, ...]) -> datetime | None:
    """``value`` read by the first format that fits, else as ISO 8601, as an e-mail date
    (RFC 1123, "Wed, 18 Nov 2026 08:20:00 GMT") or in another common notation; aware UTC, or
    None. The same instant written differently (per request, per mirror) is one date."""
    moment = _parse(value, formats)
    if moment is not None:
        return moment
    text = collapse_whitespace(value)
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = _other_notation(text)
    if parsed is None:
        if text:
            log.debug("unreadable date %r", value)
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=PAGE_TIMEZONE)).astimezone(UTC)


def _other_notation(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    plain = _UTC_LABEL.sub("", text.replace(" at ", " "))
    utc = plain != text.replace(" at ", " ")
    moment = _parse(plain, OTHER_FORMATS)
    return moment if moment is None or not utc else moment.replace(tzinfo=None).replace(tzinfo=UTC)


def _parse(value: str, formats: tuple[str, ...]) -> datetime | None:
    value = collapse_whitespace(value)
    for form in formats:
        try:
            moment = datetime.strptime(value, form)  # noqa: DTZ007  # the zone is PAGE_TIMEZONE, set next
        except ValueError:
            continue
        return moment.replace(tzinfo=PAGE_TIMEZONE).astimezone(UTC)
    return None
