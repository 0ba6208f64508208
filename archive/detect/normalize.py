"""Normalized text and URLs: what the content fingerprint (:mod:`archive.detect.fingerprint`) hashes.

An article gets a new version only when its fingerprint changes, so everything a reader
would not call an edit must be normalized away before hashing: Unicode composition,
spacing (non-breaking and zero-width spaces included), typographic quotes and dashes, and
tracking parameters in links. What the page says about itself ("Last Update",
DC.Date.Created), the slug and the head metadata are not hashed at all: "Last Update" is
the outlet's *declaration* of an edit and must be compared, not folded into the content.

Which differences are noise beyond these fixed rules is learned per outlet
(:mod:`archive.detect.noise`), which builds on these rules; the fingerprint sits above both.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class Content(Protocol):
    """What is fingerprinted: an extraction (:class:`archive.extract.Extracted`) or a stored version."""

    @property
    def headline(self) -> str: ...
    @property
    def lead(self) -> str: ...
    @property
    def body(self) -> tuple[str, ...]: ...
    @property
    def captions(self) -> tuple[str, ...]: ...
    @property
    def images(self) -> tuple[str, ...]: ...
    @property
    def section(self) -> str: ...
    @property
    def section_ids(self) -> tuple[str, ...]: ...
    @property
    def byline(self) -> str: ...
    @property
    def published(self) -> datetime | str | None: ...


def hashable_fields(read: Callable[[Content], tuple[Any, ...]], content: Content) -> tuple[Any, ...]:
    """The fields ``read`` takes of ``content``, as a key: as they are (extractions and versions
    hold tuples), or with its lists made tuples (a content given lists), so that contents alike
    in those fields have one key."""
    values = read(content)
    try:
        hash(values)
    except TypeError:
        return tuple(tuple(value) if isinstance(value, list) else value for value in values)
    return values


FIELDS = ("headline", "lead", "body", "captions", "images", "section", "byline", "published")
"""The hashed fields, in the order ``whole`` combines them."""

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
"""Zero-width space/joiners, word joiner, BOM and soft hyphen: present in markup, never seen."""
_SPACED_ELLIPSIS = re.compile(r"\.\s\.\s\.")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "\uff07": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\ufe58": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\u2026": "...",
    }
)
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "rb_clickid",
        "s_cid",
    }
)
"""Click and campaign identifiers added by ad and mail systems; ``utm_*`` is dropped as a prefix."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def collapse_whitespace(text: str) -> str:
    """NFC, invisible characters dropped, every run of whitespace (NBSP included) one space, stripped.

    This is the light clean-up extracted text gets for display; :func:`normalize_text`
    goes further for hashing.
    """
    if not text.isascii():  # ASCII is its own NFC and holds no invisible character
        text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return " ".join(text.split())  # str.split's whitespace is regex \s: str.isspace, NBSP included


def normalize_text(s: str) -> str:
    """The form two texts are compared in: :func:`collapse_whitespace`, then curly quotes
    made straight and hyphen-like dashes (en, em, minus, ...) made ``-``, every format
    character dropped (Unicode category Cf: bidi marks, joiners, soft hyphens), and character
    references a page escaped twice (``Iran&#39;s`` shown as such) read as what they stand for."""
    for _ in range(3):
        if "&" not in s:
            break
        unescaped = html.unescape(s)
        if unescaped == s:
            break
        s = unescaped
    s = "".join(c for c in s if unicodedata.category(c) != "Cf") if not s.isascii() else s
    return _SPACED_ELLIPSIS.sub("...", collapse_whitespace(s.translate(_QUOTES)))


def normalize_url(url: str) -> str:
    """The URL without what varies between links to the same thing: tracking parameters
    (``utm_*``, ``fbclid``, ``gclid``, ...), the fragment, the default port, and case in
    the scheme and host. Path and the remaining query are kept as they are."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{credentials}@{host}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if not (k.lower().startswith("utm_") or k.lower() in TRACKING_PARAMS)]
    kept = parts.query if len(query) == len(pairs) else urlencode(query)
    return urlunsplit((scheme, netloc, parts.path, kept, ""))


def normalize_image_url(url: str) -> str:
    """An image's address as its identity: :func:`normalize_url` without query or fragment.

    Asset URLs carry cache-busters, sizes and signatures in their query (``?v=1043``,
    ``?w=800&sig=...``); the file they name is the image. Escapes of plain characters are
    decoded (RFC 3986 calls them equivalent) and the path is compared in lower case (two
    photos whose names differ only in case are not a thing; mirrors that capitalise are).
    Path-level variants (per-request file names) are the noise model's business
    (:mod:`archive.detect.noise`).
    """
    normal = normalize_url(url)
    try:
        parts = urlsplit(normal)
    except ValueError:
        return normal
    path = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), parts.path).lower()
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


_UNRESERVED_ESCAPE = re.compile(r"%(2[dDeE]|5[fF]|7[eE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])")
"""Percent-escapes of characters that never need one (letters, digits, ``-._~``): ``%2D`` is ``-``."""


LEAD_PREFIX_CHARS = 20
"""A description shorter than this is not taken for the start of a paragraph."""
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")


def lead_paragraph(lead: str, paragraphs: list[str]) -> int | None:
    """The index of the paragraph the lead is the start of (as descriptions cut the first
    paragraph, each mirror at its own length, "..." or "…" after), or None.

    Such a lead says nothing the body does not, so it is hashed as "the start of paragraph n":
    mirrors cutting it differently are not an edit, and a rewrite of that paragraph is one.
    """
    text = _ELLIPSIS.sub("", normalize_text(lead))
    if len(text) < LEAD_PREFIX_CHARS:
        return None
    return next((n for n, p in enumerate(paragraphs) if p.startswith(text)), None)
