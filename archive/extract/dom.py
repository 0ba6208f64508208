"""The parsed page as extractors read it: head metadata and the body as a flow of text blocks.

Pages are parsed by selectolax's Lexbor engine, an HTML5 parser: broken markup (unclosed
paragraphs, misnested ``<b><i>``, stray closing tags) gets the tree a browser would build,
so what a reader saw is what gets extracted. :func:`blocks` flattens a container into
paragraph-like blocks without recursion (a page of ten thousand unclosed ``<div>`` cannot
exhaust the stack) and remembers which text sat inside links, which is how link lists
such as the alternate-addresses footer are told from prose.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from archive.detect.normalize import collapse_whitespace

log = logging.getLogger(__name__)

META_KEYS = ("og:title", "og:description", "og:image", "description", "title")
"""The head metadata every extractor reports (``meta[name=...]`` or ``meta[property=...]``)."""

# fmt: off
SKIPPED_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "form", "button", "select",
    "textarea", "input", "svg", "math", "video", "audio", "canvas", "head", "_comment",
})
"""Never article text: scripts, embeds, forms, media players (and comments)."""
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
})
"""Elements that start and end a block of text; all others continue the current one."""
# fmt: on
_CREDIT = re.compile(
    r"\(\s*[^()]*\b(?:photos?|images?|pictures?|file|credits?|courtesy|screen ?grabs?|screenshots?|"
    r"footage|illustration|graphic)\b[^()]*\)\s*\.?\s*$",
    re.IGNORECASE,
)
MAX_CAPTION_CHARS = 600
MAX_NESTING = 1000
"""Block elements open at once beyond which a page is cut (real pages stay under 100)."""
_BLOCK_TAG = re.compile(
    r"<(/?)(?:div|section|article|aside|nav|header|footer|main|blockquote|ul|ol|dl|center|details|dialog|"
    r"fieldset|figure|figcaption|address|menu|hgroup|search|summary|dir|listing|pre)\b",
    re.IGNORECASE,
)


@dataclass
class Block:
    """One paragraph-like run of text (or of images) in document order."""

    tag: str
    text: str = ""
    links: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    link_chars: int = 0
    """Non-space characters of ``text`` that sat inside ``<a>``."""

    @property
    def link_only(self) -> bool:
        """Every visible character is link text (a list of links, not prose)."""
        return bool(self.text) and self.link_chars >= visible_chars(self.text)


@dataclass
class _Run:
    tag: str
    pieces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    link_chars: int = 0


def parse(text: str) -> LexborHTMLParser:
    """The page's HTML5 tree, the page first cut where block nesting gets absurd.

    HTML5 tree building checks the whole stack of open elements for every ``<div>``-like
    start tag, so a page of tens of thousands of unclosed ``<div>`` costs time quadratic in
    their number (50,000 take seconds). Browsers stop nesting at a fixed depth; here the
    text is cut at the first block start tag deeper than :data:`MAX_NESTING` (estimated
    from the tags alone), and what came before is extracted.
    """
    depth = 0
    for match in _BLOCK_TAG.finditer(text):
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        if depth > MAX_NESTING:
            log.warning("page cut at offset %d: block elements nested deeper than %d", match.start(), MAX_NESTING)
            text = text[: match.start()]
            break
    return LexborHTMLParser(text)


def text_of(node: LexborNode | None) -> str:
    """A node's visible text as one line ("" for no node): inline markup joins without a
    space (``Iran<em>'s</em>`` is "Iran's"), block boundaries and ``<br>`` with one."""
    if node is None:
        return ""
    if node.tag in ("title", "textarea"):
        return collapse_whitespace(node.text(deep=True))
    return " ".join(block.text for block in blocks(node, Base("")) if block.text)


def head_meta(tree: LexborHTMLParser) -> dict[str, str]:
    """The :data:`META_KEYS` present in the page, first occurrence of each, content collapsed."""
    found: dict[str, str] = {}
    for node in tree.css("meta"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").strip().lower()
        if key in META_KEYS and key not in found:
            found[key] = collapse_whitespace(node.attributes.get("content") or "")
    return {key: found[key] for key in META_KEYS if key in found}


def meta_values(tree: LexborHTMLParser, *keys: str) -> list[str]:
    """Every non-empty content of the given ``meta`` keys, in page order (a layout may write a
    site-wide description before the article's own)."""
    wanted = {k.lower() for k in keys}
    values = []
    for node in tree.css("meta"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").strip().lower()
        if key in wanted and (value := collapse_whitespace(node.attributes.get("content") or "")):
            values.append(value)
    return values


_STYLE_HIDDEN = re.compile(r"([^{}]+)\{[^}]*(?:display\s*:\s*none|visibility\s*:\s*hidden)[^}]*\}", re.IGNORECASE)
_SIMPLE_SELECTOR = re.compile(r"^\s*(?:[a-z0-9]*)([.#])([\w-]+)\s*$", re.IGNORECASE)


def stylesheet_hidden(tree: LexborHTMLParser) -> tuple[frozenset[str], frozenset[str]]:
    """(classes, ids) the page's own ``<style>`` hides with a simple rule (``.tip{display:none}``):
    a plugin's tooltips and hidden glosses, never seen, must not be read into the text."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in tree.css("style"):
        for match in _STYLE_HIDDEN.finditer(style.text(deep=True) or ""):
            for selector in match.group(1).split(","):
                simple = _SIMPLE_SELECTOR.match(selector)
                if simple:
                    (classes if simple.group(1) == "." else ids).add(simple.group(2))
    return frozenset(classes), frozenset(ids)


def title_tag(tree: LexborHTMLParser) -> str:
    """The text of ``<title>``."""
    return text_of(tree.css_first("title"))


def is_caption(text: str) -> bool:
    """A photo caption: it ends with a credit in parentheses, "(Photo by AFP)", "(File photo)",
    "(Photo via Telegram)", "(Screengrab)", as news sites sign their pictures.

    A bare "(via ...)" is not enough: body text cites its sources that way too.
    """
    return len(text) <= MAX_CAPTION_CHARS and _CREDIT.search(text) is not None


def visible_chars(text: str) -> int:
    """Characters that are not white space (``str.isspace``), counted in C: it runs per text node."""
    return len("".join(text.split()))


class Base:
    """A page's own URL: resolves the page's references and notes every host they name.

    An extraction depends on the page's host only through references without a host of their
    own (resolved to it) and through comparisons with the hosts the page names. So the same
    bytes at the same path on a mirror the page never names extract the same, relative images
    rebased: :mod:`archive.extract.remembered` extracts such pages once for every mirror.
    """

    __slots__ = ("named", "netloc", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.netloc = urlsplit(url).netloc
        self.named: set[str] = set()

    def join(self, reference: str) -> str:
        """The reference made absolute (for what the extraction returns); a host it names is noted."""
        self._note(reference)
        return urljoin(self.url, reference)

    def is_own(self, reference: str, target: SplitResult) -> bool:
        """Whether the reference, resolved to ``target``, leads to this page's host; a host it
        names is noted, since the answer for it would differ on that host."""
        self._note(reference)
        return target.netloc == self.netloc

    def split(self, reference: str) -> SplitResult:
        """The reference made absolute and split, nothing noted: for its path, which no host changes."""
        return urlsplit(urljoin(self.url, reference))

    def _note(self, reference: str) -> None:
        named = urlsplit(reference).netloc
        if named:
            self.named.add(named)


def blocks(container: LexborNode, base: Base, skip: Callable[[LexborNode], bool] | None = None) -> list[Block]:
    """The container's content as blocks: a block element or ``<br>`` ends a block, text and
    inline elements continue it; ``skip(node)`` drops a node with everything inside it.

    Blocks holding neither text nor images are left out. Image URLs are made absolute
    against ``base``; ``data:`` URLs are dropped.
    """
    out: list[Block] = []
    run = _Run("p")
    anchors = 0
    stack: list[tuple[LexborNode, bool]] = [(child, True) for child in reversed(list(_children(container)))]
    while stack:
        node, entering = stack.pop()
        tag = node.tag or ""
        if not entering:
            if tag == "a":
                anchors -= 1
            elif tag in BLOCK_TAGS:
                run = _flush(out, run, "p")
            continue
        if tag == "-text":
            piece = node.text_content or ""
            run.pieces.append(piece)
            if anchors:
                run.link_chars += visible_chars(piece)
            continue
        if tag in SKIPPED_TAGS or (tag != "img" and is_hidden(node)) or (skip is not None and skip(node)):
            continue
        if tag == "br":
            run = _flush(out, run, run.tag)
            continue
        if tag == "img":
            source = image_source(node.attributes)
            if source:
                run.images.append(base.join(source))
            continue
        if tag == "a":
            anchors += 1
            href = (node.attributes.get("href") or "").strip()
            if href:
                run.links.append(href)
        elif tag in BLOCK_TAGS:
            run = _flush(out, run, tag)
        stack.append((node, False))
        stack.extend((child, True) for child in reversed(list(_children(node))))
    _flush(out, run, "p")
    return out


LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-srcset")
"""Where lazy-loading scripts keep an image's real address while ``src`` holds a placeholder."""
_IMAGE_URL = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:[?#]|$)|/photos?/", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"(?:^data:|blank|spacer|placeholder|loading|lazy|pixel|transparent|1x1|grey\.|gray\.)", re.I)
"""What lazy-loaders put in ``src`` until the real image loads."""


def image_source(attributes: Mapping[str, str | None]) -> str:
    """The address an ``<img>`` shows, however the page loads it; "" for none.

    A lazy-loading attribute names the real image while ``src`` holds a placeholder (a ``data:``
    pixel, blank.png, a loading spinner). Loaders name that attribute as they like
    (``data-src``, ``data-cfsrc``, ``data-echo``, ``data-hi-res-src``), so besides the usual
    names any ``data-*`` attribute holding an image's address counts; then ``src`` unless it is
    a placeholder; then the first candidate of ``srcset`` (whose list of sizes varies between
    fetches); a placeholder ``src`` only when nothing else names the image.
    """
    named = [(n, attributes.get(n)) for n in LAZY_ATTRIBUTES]
    named += [(n, v) for n, v in attributes.items() if n.startswith("data-") and v and _IMAGE_URL.search(v)]
    named += [("src", attributes.get("src")), ("srcset", attributes.get("srcset"))]
    fallback = ""
    for name, raw in named:
        value = (raw or "").strip()
        if name.endswith("srcset"):
            value = _SRCSET_SPLIT.split(value)[0].strip().split(" ")[0] if value else ""
        if not value or value.lower().startswith("data:"):
            continue
        if _PLACEHOLDER.search(value.rsplit("/", 1)[-1]):
            fallback = fallback or value
            continue
        return value
    return fallback


_SRCSET_SPLIT = re.compile(r",\s+|,(?=[^,\s]+\s+\d+(?:\.\d+)?[wx])")
"""Between ``srcset`` candidates: a comma before a space or before a URL with a width or density
(a URL may itself hold commas, as resizing CDNs write ``/w=800,q=75/``)."""


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "hide", "invisible"}
)
"""Utility classes that keep an element from being rendered (Bootstrap, Tailwind, WordPress)."""


def is_hidden(node: LexborNode) -> bool:
    """An element a browser does not show: ``hidden``, ``aria-hidden="true"``, an inline
    ``display: none`` or ``visibility: hidden``, or a utility class for it. Pages hide text
    there for scrapers, screen readers or later scripts; readers never see it. (An ``<img>``
    hidden so is a lazy-loader's, shown by its script: :func:`blocks` keeps images.)"""
    attributes = node.attributes
    if not attributes:
        return False
    if "hidden" in attributes or (attributes.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if _HIDDEN_STYLE.search(attributes.get("style") or ""):
        return True
    return any(c.lower() in HIDDEN_CLASSES for c in (attributes.get("class") or "").split())


def _children(node: LexborNode) -> Iterator[LexborNode]:
    return node.iter(include_text=True)


def _flush(out: list[Block], run: _Run, next_tag: str) -> _Run:
    if not (run.pieces or run.images or run.links or run.link_chars):  # most element ends close nothing
        run.tag = next_tag
        return run
    text = collapse_whitespace("".join(run.pieces))
    if text or run.images:
        out.append(Block(run.tag, text, tuple(run.links), tuple(run.images), run.link_chars))
    return _Run(next_tag)
