"""Normalized text and URLs, and the content fingerprint that decides what is a new version.

An article gets a new version only when its fingerprint changes, so everything a reader
would not call an edit must be normalized away before hashing: Unicode composition,
spacing (non-breaking and zero-width spaces included), typographic quotes and dashes, and
tracking parameters in links. What the page says about itself ("Last Update",
DC.Date.Created), the slug and the head metadata are not hashed at all: "Last Update" is
the outlet's *declaration* of an edit and must be compared, not folded into the content.

Which differences are noise beyond these fixed rules is learned per outlet
(:mod:`archive.noise`); :func:`fingerprint` hashes the fields as a noise model compares them.

Each field is hashed on its own so that the detect stage can tell which fields changed;
``whole`` hashes the field hashes in a fixed order. The hashes are a pure function of the
extraction: the same stored record always gives the same fingerprint.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from archive.noise import NoiseModel


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


FIELDS = ("headline", "lead", "body", "captions", "images", "section", "byline", "published")
"""The hashed fields, in the order ``whole`` combines them."""

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
"""Zero-width space/joiners, word joiner, BOM and soft hyphen: present in markup, never seen."""
_WHITESPACE = re.compile(r"\s+")
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
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _WHITESPACE.sub(" ", text).strip()


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
    (:mod:`archive.noise`).
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


@dataclass(frozen=True)
class Fingerprint:
    """SHA-256 hex digests of the normalized fields of one extraction, and of them all."""

    fields: Mapping[str, str]
    whole: str

    def __hash__(self) -> int:
        """``whole`` stands for the field hashes, so fingerprints can go in sets and dict keys."""
        return hash(self.whole)

    def changed(self, other: Fingerprint) -> tuple[str, ...]:
        """The fields whose hash differs from ``other``'s, in :data:`FIELDS` order."""
        return tuple(name for name in FIELDS if self.fields.get(name) != other.fields.get(name))


def fingerprint(content: Content, model: NoiseModel | None = None) -> Fingerprint:
    """Hash each field of :data:`FIELDS` as the noise model compares it, then the field hashes together.

    Sequences (paragraphs, captions, image URLs) are hashed as their compared items joined
    by newlines: a normalized item never contains a newline, so the join is unambiguous.
    ``published`` is hashed as ISO 8601 UTC; a missing date as "". ``content`` is an
    extraction or a stored version (anything with those fields): stored versions are
    fingerprinted again under today's model whenever they are compared.
    """
    from archive.noise import EMPTY

    model = model or EMPTY
    return model.remembered(("fingerprint", *_hashed_fields(content)), lambda: _fingerprint(content, model))


def _hashed_fields(content: Content) -> tuple[Any, ...]:
    """Everything :func:`fingerprint` reads of ``content``, hashable: two contents alike in these
    have one fingerprint (an unedited page's copies, a version compared again)."""
    return tuple(
        value if isinstance(value, str | datetime | None) else tuple(value)
        for value in (getattr(content, name) for name in (*FIELDS, "section_ids"))
    )


def _fingerprint(content: Content, model: NoiseModel) -> Fingerprint:
    texts = {name: "\n".join(model.items(name, _items(content, name))) for name in FIELDS if name != "published"}
    texts["section"] += "\n" + ",".join(content.section_ids)
    texts["published"] = _published(content.published)
    leads = model.items("lead", content.lead.split("\n"))  # a page may carry several descriptions
    paragraph = lead_paragraph(leads[0], model.items("body", content.body)) if len(leads) == 1 else None
    if paragraph is not None:
        texts["lead"] = f"<the start of paragraph {paragraph + 1}>"
    fields = {name: _sha256(texts[name]) for name in FIELDS}
    whole = _sha256("".join(f"{name}={fields[name]}\n" for name in FIELDS))
    return Fingerprint(fields=fields, whole=whole)


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


def _items(content: Content, name: str) -> list[str]:
    value = getattr(content, name)
    if name == "lead":
        return str(value).split("\n")
    return [value] if isinstance(value, str) else list(value)


def _published(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else moment.isoformat()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
