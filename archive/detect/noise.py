"""Noise: what differs between two fetches of an article without an editor's act, and how it is learned.

An edit is an act of the outlet's editors; a cache-busting query, a per-request image name, a
view counter, a rotating "read more" line or an ad slot differs on every fetch without one. No
list of such sources can be complete (the next outlet has its own), so besides the few fixed
rules of :mod:`archive.detect.normalize` the outlet's noise is *learned* from its own captures:

- **volatile slots**: an article's item (a paragraph, a caption, an image URL) is cut into
  tokens; the tokens with digits (and, in URLs, hex or mixed-case tokens) are its *slots*, the
  rest its *shape*. When two captures of the same article show items of one shape whose slot
  ``n`` differs, that slot flipped; a slot that flipped in many articles of one crawl
  (:func:`threshold`) is the outlet's noise (``img780142_<sig>.jpg``: the signature flips in every
  article, the photo's id never) and is masked from then on. A number edited in one story
  ("12 killed" → "15 killed") has a shape of its own and is never learned. A slot's *context*
  (the words either side of it) is learned the same way, so that a counter inside an
  article's own text ("… Views: 1,234") is masked whatever the rest of the item says.
- **template items**: a paragraph, caption, lead or image that appears word for word in
  two articles of one crawl ("Advertisement", a rotating teaser),
  or a numbered item whose shape does ("12,345 views", "Updated 5 minutes ago"), is the
  site's template, not an article's text, and is left out.
- **volatile tokens**: when, with the above applied, two captures of an article still differ
  in nothing but their image URLs, the tokens one URL has and the other lacks are noise of
  their kind (``hex:16`` for a 16-digit signature, ``digits:3`` for a width, ``word:resized``
  for a path the CDN adds); a kind seen so in many articles of a crawl is left out of
  every image's identity (a width at 800 here and 1200 there counts once for both lengths:
  :func:`to_learn`). A photo's own name (a UUID's long groups, a word) stays.
- **place-only fields**: when even then copies differ in nothing but their image URLs, in
  many articles of a crawl, the outlet names its images anew in ways no token rule
  captures; its images are then identified by their place in the article (and their
  captions, a field of their own) only.

Evidence counts only within one crawl: per-request noise shows in nearly every article at
once, while real edits that look alike (a photo swapped here, a figure corrected there) come
one at a time and must never add up to "noise" over months.

Learning happens per crawl batch *before* any capture of the batch is turned into a version
(the first crawl of an outlet already fetches each article on several domains), and the
model is applied to stored versions too whenever they are compared: versions are compared by
the fingerprint under today's model, never by a hash stored under an older one.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from itertools import combinations
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast

from archive.detect.normalize import Content, hashable_fields, normalize_image_url, normalize_text
from archive.index.records import NoisePattern

if TYPE_CHECKING:
    from archive.index.records import LearnedNoise

MIN_ARTICLES = 3
"""Different articles of one crawl in which a slot, an item or a field must flip (or repeat) to be noise."""
MIN_SHARE = 0.2
"""...and at least this share of the crawl's articles: noise shows in (nearly) every article at once."""


TEMPLATE_TEXT_ARTICLES = 2
"""Articles of one crawl that must carry an item word for word for it to be template: articles
do not share paragraphs, so two suffice (a "trending" box drawing from a pool of headlines
puts each in only a few pages of a crawl)."""


OWN_ARTICLES = 2
"""Articles that must show a number at one length for the articles showing it at the length a
digit apart to count as well (:func:`to_learn`): one article's edit (its photo 1234 swapped for
5678) never joins a width's noise however many articles the width flips in."""


PER_REQUEST_VALUES = 3
"""Distinct values a slot takes among one article's copies of one crawl that mark it as changing
per request: an edit gives two (old and new), noise one per fetch."""


def threshold(articles: int, kind: str = "slot") -> int:
    """How many of a crawl's ``articles`` must show a pattern of ``kind`` for it to be learned as noise."""
    if kind == "text":
        return TEMPLATE_TEXT_ARTICLES
    return max(MIN_ARTICLES, math.ceil(MIN_SHARE * articles))


SLOT_FIELDS = ("headline", "lead", "body", "captions", "images", "byline", "section")
TEMPLATE_FIELDS = ("lead", "body", "captions", "images")
"""Fields whose items may be site template; never headline, byline or section, which many
articles legitimately share ("News / Syria", an author's name)."""
PLACE_ONLY_FIELDS = ("images",)
"""Fields that may fall back to "identified by place": references to media, never text."""

_TOKEN = re.compile(r"(?<![^\W_])\d+(?:[.,:]\d+)+[KkMmBb]?(?![^\W_])|[^\W_]+")
"""Alphanumeric runs; a number with thousands or decimal separators ("12,345", "3.5") is one token."""
_HEX = re.compile(r"[0-9a-fA-F]{4,}")
_MASK = "#"
_SLOT = "\x00"
_UNKNOWN = object()
T = TypeVar("T")
MEMO_ITEMS = 1 << 16
"""Distinct items (or item lists) remembered per memoized function: a few crawl batches' worth."""
_RELATIVE_TIME = re.compile(
    r"\b(?:\d+|an?|one|a few)\s+(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:just now|moments ago)\b|(?:(?<=[\u00b7\u2022|] )|^)\d{1,3}[smhdw]\b"
    r"|(?<=[\s)])(?:\d{1,3}[smhdw]|yesterday|today|now)$",
    re.IGNORECASE,
)
"""Relative times ("5 minutes ago", "an hour ago", "just now", "· 3h" as embedded posts write
them, or ending an item without a full stop: "(@PressTV) 6h", "… yesterday"): their value is
the fetch's, not the story's. "3m" inside a sentence is left: it may be metres or millions."""


@lru_cache(maxsize=MEMO_ITEMS)
def normalized_item(field_name: str, item: str) -> str:
    """An item in the form it is compared in: URLs without query (see :func:`normalize_image_url`),
    text normalized with relative times masked.

    Memoized, as :func:`shape_of` is: a batch compares each article's copies pairwise and with
    what its hosts showed before, so the same paragraphs come back many times (pure functions
    of their text; the cache bounds their cost per distinct item, not per comparison)."""
    if field_name == "images":
        return normalize_image_url(item)
    text = normalize_text(item)
    return _RELATIVE_TIME.sub("<relative time>", text) if _may_tell_time(text) else text


def _may_tell_time(text: str) -> bool:
    """Whether ``text`` holds what every relative time holds: "ago", "now", "today", "yesterday"
    (in any case) or a digit before a unit letter. Most paragraphs hold none, and this costs a
    tenth of :data:`_RELATIVE_TIME`'s search."""
    folded = text.casefold()  # as IGNORECASE matches: "yeſterday" is "yesterday"
    return any(word in folded for word in _TIME_WORDS) or _DIGIT_UNIT.search(text) is not None


_TIME_WORDS = ("ago", "now", "today", "yesterday")
_DIGIT_UNIT = re.compile(r"\d[smhdw]", re.IGNORECASE)


def _is_slot(token: str, field_name: str) -> bool:
    if any(map(str.isdigit, token)):
        return True
    if field_name != "images":
        return False
    mixed = token != token.lower() and token != token.capitalize() and token != token.upper()
    return bool(_HEX.fullmatch(token)) or mixed or len(token) > 20


@lru_cache(maxsize=MEMO_ITEMS)
def shape_of(field_name: str, text: str) -> tuple[str, tuple[str, ...]]:
    """The item's shape (slots replaced by a marker) and its slots' values, in order."""
    if field_name != "images" and text.isascii():  # most items: one regex pass instead of a loop per token
        return _ASCII_SLOT.sub(_SLOT, text), tuple(_ASCII_SLOT.findall(text))
    return _shape_by_tokens(field_name, text)


_ASCII_SLOT = re.compile(
    r"(?<![A-Za-z0-9])(?:[0-9]+(?:[.,:][0-9]+)+[KkMmBb]?(?![A-Za-z0-9])|[A-Za-z0-9]*[0-9][A-Za-z0-9]*)"
)
"""In ASCII text, the tokens of :data:`_TOKEN` that hold a digit (the slots of a text field): the
same alternatives, ``[^\\W_]`` being ``[A-Za-z0-9]`` there, so they split the text as it does.
Both start where a run of letters and digits starts (the lookbehind): a search then tries each
run once, not from each of its letters."""


def _shape_by_tokens(field_name: str, text: str) -> tuple[str, tuple[str, ...]]:
    """:func:`shape_of` token by token: for URLs (whose slots are also hex and mixed-case
    tokens) and for text beyond ASCII (whose digits and letters are Unicode's)."""
    parts: list[str] = []
    values: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[last : match.start()])
        token = match.group(0)
        if _is_slot(token, field_name):
            parts.append(_SLOT)
            values.append(token)
        else:
            parts.append(token)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), tuple(values)


@lru_cache(maxsize=MEMO_ITEMS)
def slot_contexts(field_name: str, text: str) -> tuple[str, ...]:
    """For each slot of a text item, the token either side of it (slots as ``#``), lower case:
    what a counter or a timestamp keeps whatever article it is in ("views: #")."""
    tokens = [(m.group(0), _is_slot(m.group(0), field_name)) for m in _TOKEN.finditer(text)]
    words = [_MASK if slot else token.lower() for token, slot in tokens]
    return tuple(
        " ".join(words[max(0, i - 1) : i]) + f" {_MASK} " + " ".join(words[i + 1 : i + 2])
        for i, (_, slot) in enumerate(tokens)
        if slot
    )


def _fill(shape: str, values: Sequence[str], masked: frozenset[int]) -> str:
    pieces = shape.split(_SLOT)
    out = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        out.append(_MASK if index in masked else values[index])
        out.append(piece)
    return "".join(out)


def readable(shape: str) -> str:
    """A shape as people read it: each slot shown as ``#``."""
    return shape.replace(_SLOT, _MASK)


@dataclass(frozen=True)
class NoiseModel:
    """What one outlet has learned to ignore; empty for an outlet never seen."""

    slots: Mapping[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    """(field, shape) → the slots of that shape that are noise."""
    texts: frozenset[tuple[str, str]] = frozenset()
    """(field, normalized item) of template items."""
    shapes: frozenset[tuple[str, str]] = frozenset()
    """(field, shape) of numbered template items."""
    prefixes: frozenset[tuple[str, str]] = frozenset()
    """(field, first word) of short items that come and go between copies ("Promoted …",
    "Sponsored …": an ad network's label before a rotating line)."""
    contexts: frozenset[tuple[str, str]] = frozenset()
    """(field, words around a slot) of text slots that flip whatever the rest of the item says
    ("Views: 1,234" inside an article's own lead)."""
    tokens: frozenset[tuple[str, str]] = frozenset()
    """(field, token kind) of tokens that come and go in a reference field's items (``hex:16``,
    ``digits:3``, ``word:resized``): left out of its items' identity."""
    place_only: frozenset[str] = frozenset()
    """Fields whose items are identified by their place only."""
    _compared: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )
    """:meth:`items` by (field, raw items): a model is immutable, so its answers are too."""
    _remembered: dict[Hashable, Any] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)
    _compared_before: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )
    _remembered_before: dict[Hashable, Any] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )
    """What :meth:`items` and :meth:`remembered` answered before the last :meth:`age`."""

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` for this model (callers key by what the result depends on
        besides the model: a fingerprint by the fields it hashes)."""
        if key in self._remembered:
            return cast(T, self._remembered[key])
        if len(self._remembered) >= MEMO_ITEMS:
            self._remembered.clear()
        value = self._remembered_before.pop(key, _UNKNOWN)  # one call: an age() between two would lose the key
        if value is _UNKNOWN:
            value = compute()
        self._remembered[key] = value
        return cast(T, value)

    def age(self) -> None:
        """A new batch begins with this model: answers the last batch asked for are kept one batch
        more (an unedited page comes again), the others dropped, so that a model kept for a whole
        rebuild holds two batches' answers at most."""
        _age(self._compared, self._compared_before)
        _age(self._remembered, self._remembered_before)

    @cached_property
    def key(self) -> str:
        """Changes whenever the model does: cached fingerprints are valid for one key only."""
        parts = sorted(f"s|{f}|{s}|{sorted(v)}" for (f, s), v in self.slots.items())
        parts += sorted(f"t|{f}|{t}" for f, t in self.texts) + sorted(f"h|{f}|{s}" for f, s in self.shapes)
        parts += sorted(f"c|{f}|{c}" for f, c in self.contexts) + sorted(f"x|{f}|{w}" for f, w in self.prefixes)
        parts += sorted(f"k|{f}|{k}" for f, k in self.tokens) + sorted(f"p|{f}" for f in self.place_only)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def kept(self, field_name: str, raw: Iterable[str]) -> list[str]:
        """The field's items normalized, template items left out, nothing masked yet."""
        out = []
        for item in raw:
            text = normalized_item(field_name, item)
            if (
                text
                and (field_name, text) not in self.texts
                and (field_name, shape_of(field_name, text)[0]) not in self.shapes
            ):
                out.append(text)
        return out

    def items(self, field_name: str, raw: Iterable[str]) -> list[str]:
        """The field's items as compared: normalized, template items left out, noise slots masked."""
        key = (field_name, tuple(raw))
        compared = self._compared.get(key)
        if compared is None:
            if len(self._compared) >= MEMO_ITEMS:
                self._compared.clear()
            compared = self._compared_before.pop(key, None)  # an empty answer is one too: not `or`
            if compared is None:
                compared = tuple(self._items(field_name, key[1]))
            self._compared[key] = compared
        return list(compared)

    def _items(self, field_name: str, raw: Iterable[str]) -> list[str]:
        out = []
        for item in raw:
            text = normalized_item(field_name, item)
            if not text or (field_name, text) in self.texts or self._labelled(field_name, text):
                continue
            if field_name in self._shaped:
                shape, values = shape_of(field_name, text)
                if (field_name, shape) in self.shapes:
                    continue
                masked = self.slots.get((field_name, shape), frozenset())
                if self.contexts and values:
                    masked |= {
                        n for n, key in enumerate(slot_contexts(field_name, text)) if (field_name, key) in self.contexts
                    }
                if masked:
                    text = _fill(shape, values, masked)
                    if (field_name, text) in self.texts:
                        continue
            out.append(self._identity(field_name, text))
        if field_name in PLACE_ONLY_FIELDS:  # the lead photo is also og:image, in another form perhaps
            out = list(dict.fromkeys(out))
        if field_name in self.place_only:
            return [f"{field_name} {n}" for n in range(1, len(out) + 1)]
        return out

    def _labelled(self, field_name: str, text: str) -> bool:
        return bool(self.prefixes) and (field_name, first_word(text)) in self.prefixes and len(text) <= PREFIX_MAX_CHARS

    @cached_property
    def _shaped(self) -> frozenset[str]:
        """Fields whose items are compared by their shape: a numbered template item, a noise slot or
        a slot's context was learned there. In the others, shaping an item (the costliest step of
        a fingerprint under the empty model, which every capture gets first) changes nothing."""
        return frozenset(name for name, _ in (*self.shapes, *self.slots, *self.contexts))

    @cached_property
    def _volatile(self) -> dict[str, frozenset[str]]:
        """The token kinds learned to come and go, by field (asked for every item compared)."""
        kinds: dict[str, set[str]] = {}
        for name, kind in self.tokens:
            kinds.setdefault(name, set()).add(kind)
        return {name: frozenset(found) for name, found in kinds.items()}

    def _identity(self, field_name: str, text: str) -> str:
        """The item without the tokens learned to come and go in this field (a reference's identity)."""
        volatile = self._volatile.get(field_name)
        if not volatile:
            return text
        kept = [t for t in _TOKEN.findall(_path_of(field_name, text)) if token_kind(t) not in volatile]
        return "/".join(kept)


def _age(memo: dict[Any, Any], before: dict[Any, Any]) -> None:
    """``memo``'s answers become the ones from before; ``memo`` starts empty."""
    before.clear()
    before.update(memo)
    memo.clear()


EMPTY = NoiseModel()


def token_kind(token: str) -> str:
    """What a token is, as far as noise goes: ``digits:<n>`` (up to 5 digits), ``hex:<n>`` (a
    hexadecimal number; from 6 characters on digits alone too, since a random signature may
    lack letters), or ``word:<the token>`` for anything else, its numbers as ``#`` (``word:#x#``
    for a size like 640x480)."""
    if token.isdigit() and len(token) < 6:
        return f"digits:{len(token)}"
    if _HEX.fullmatch(token) and any(c.isdigit() for c in token):
        return f"hex:{len(token)}"
    return "word:" + re.sub(r"\d+", "#", token.lower())


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].partition("/")[0]


def _path_of(field_name: str, text: str) -> str:
    """For URLs, the part after the host (the host is the outlet's CDN: no identity in it)."""
    if field_name != "images" or "://" not in text:
        return text
    return text.split("://", 1)[1].partition("/")[2]


@dataclass(frozen=True)
class Evidence:
    """One article's sign that something is noise; learned once enough articles of a crawl agree."""

    kind: str
    """``slot``, ``text``, ``shape`` or ``place``."""
    field: str
    pattern: str
    """The shape (slot, shape), the item (text) or "" (place)."""
    slot: int
    article_id: str
    example: str = ""
    values: tuple[str, ...] = ()
    """The values seen flipping (slot, context, token): three or more in one article's copies of
    one crawl is per-request noise, which an edit (old, new) never is."""
    label: str = ""
    """For a number among a reference's tokens: the word before it (``w`` in ``w=800``), which
    says what the number is, whatever its length. A width drawn from 300-1600 is ``digits:3`` in
    most articles of a crawl and ``digits:4`` in a few: under one label the two are one noise,
    and :func:`to_learn` counts the articles of both."""

    @cached_property
    def key(self) -> str:
        raw = "|".join((self.kind, self.field, self.pattern, str(self.slot)))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def field_items(content: Content, field_name: str) -> list[str]:
    """A field's items: the paragraphs, captions or images; the lead's descriptions (one a line)."""
    value = getattr(content, field_name)
    if field_name == "lead":
        return str(value).split("\n")
    return [value] if isinstance(value, str) else list(value)


def slot_flips(article_id: str, a: Content, b: Content) -> Iterator[Evidence]:
    """The slots that differ between items of the same shape, aligned in order, in two captures.

    Text items are aligned by their shapes (a paragraph inserted before a counter must not hide
    it); references only by their place, since two different photos have one shape and a
    rotation of URL forms would pair the wrong ones, making a photo's own name look like noise.
    """
    for name in SLOT_FIELDS:
        left = [normalized_item(name, i) for i in field_items(a, name)]
        right = [normalized_item(name, i) for i in field_items(b, name)]
        if left == right:
            continue
        for (shape, before), (other, after) in _aligned(name, left, right):
            if shape != other or before == after:
                continue  # other items, or the same item: no slot flipped
            item = _fill(shape, before, frozenset())
            contexts = slot_contexts(name, item) if name not in PLACE_ONLY_FIELDS else []
            labels = slot_labels(name, item) if name in PLACE_ONLY_FIELDS else []
            for slot, (x, y) in enumerate(zip(before, after, strict=True)):
                if x != y:
                    yield Evidence("slot", name, shape, slot, article_id, f"{x} → {y}", (x, y))
                    if contexts:
                        yield Evidence("context", name, contexts[slot], -1, article_id, f"{x} → {y}", (x, y))
                    if labels:  # a reference: the kind of token too, as it flips in other names as well
                        label = labels[slot]
                        kinds = {token_kind(x): x, token_kind(y): y}
                        yield from (_token(name, k, article_id, kinds[k], label) for k in sorted(kinds))


def _token(field_name: str, kind: str, article_id: str, token: str, label: str) -> Evidence:
    """Evidence of a token's kind, labelled when it is a number (:attr:`Evidence.label`)."""
    return Evidence("token", field_name, kind, -1, article_id, token, label=label if _NUMBER(kind) else "")


_NUMBER = re.compile(r"digits:\d+").fullmatch


def _labels(tokens: Sequence[str], field_name: str) -> list[str]:
    """For each token, the word before it (the nearest token that is no slot), lower case: what
    names a number in a URL (``w`` in ``w=800``)."""
    out, word = [], ""
    for token in tokens:
        out.append(word)
        if not _is_slot(token, field_name):
            word = token.lower()
    return out


def slot_labels(field_name: str, text: str) -> list[str]:
    """For each slot of an item (as :func:`shape_of` finds them), the word before it."""
    tokens = _TOKEN.findall(text)
    return [
        label for token, label in zip(tokens, _labels(tokens, field_name), strict=True) if _is_slot(token, field_name)
    ]


def one_number(a: str, b: str) -> bool:
    """Whether two token kinds may be one number's at two lengths, a digit apart (``digits:3``
    and ``digits:4``: a width of 800 one fetch, 1200 the next)."""
    if not (_NUMBER(a) and _NUMBER(b)):
        return False
    return abs(int(a.partition(":")[2]) - int(b.partition(":")[2])) == 1


def _aligned(
    name: str, left: list[str], right: list[str]
) -> Iterator[tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]]:
    ls = [shape_of(name, t) for t in left if t]
    rs = [shape_of(name, t) for t in right if t]
    if name in PLACE_ONLY_FIELDS:
        if len(ls) == len(rs):
            yield from zip(ls, rs, strict=True)
        return
    matcher = SequenceMatcher(None, [s for s, _ in ls], [s for s, _ in rs], autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(ls[i1:i2], rs[j1 : j1 + (i2 - i1)], strict=True)


def template_items(batch: Sequence[tuple[str, Content]]) -> Iterator[Evidence]:
    """Items that appear in two or more articles of one batch (word for word, or by numbered shape)."""
    seen: dict[tuple[str, str, str], set[str]] = {}
    copies = {(article_id, hashable_fields(_READ_TEMPLATE, content)): content for article_id, content in batch}
    for (article_id, _), content in copies.items():  # an article's copies alike on every mirror count once
        for name in TEMPLATE_FIELDS:
            for item in field_items(content, name):
                text = normalized_item(name, item)
                if not text:
                    continue
                seen.setdefault(("text", name, text), set()).add(article_id)
                shape, values = shape_of(name, text)
                if values and name != "images":
                    seen.setdefault(("shape", name, shape), set()).add(article_id)
    for (kind, name, pattern), articles in seen.items():
        if len(articles) >= 2:
            for article_id in articles:
                yield Evidence(kind, name, pattern, -1, article_id)


def pairs(observations: Mapping[str, Sequence[Content]]) -> Iterator[tuple[str, Content, Content]]:
    """Every pair of captures of one article: its copies in this batch, and each against what its
    host showed before (the caller puts that version first in the article's list).

    Copies alike in every compared field are paired once: two of them show no flip, and each
    pairs with a third exactly as the other does (mirrors serving one page, an unedited page
    fetched again), so the evidence is the same and the work does not grow with the mirrors.
    """
    for article_id, contents in observations.items():
        for a, b in combinations(_distinct(contents), 2):
            yield article_id, a, b


def _distinct(contents: Sequence[Content]) -> list[Content]:
    """The copies, the first of each set alike in every field the noise rules compare."""
    first: dict[tuple[Any, ...], Content] = {}
    for content in contents:
        first.setdefault(_compared_fields(content), content)
    return list(first.values())


_READ_COMPARED = attrgetter(*SLOT_FIELDS)
_READ_TEMPLATE = attrgetter(*TEMPLATE_FIELDS)


def _compared_fields(content: Content) -> tuple[Any, ...]:
    """The fields the noise rules compare, as they are: alike exactly when their items are."""
    return hashable_fields(_READ_COMPARED, content)


def _only_difference(model: NoiseModel, a: Content, b: Content) -> str | None:
    """The one field two copies differ in under ``model``, when it is a reference field; else None."""
    differing = [n for n in SLOT_FIELDS if model.items(n, field_items(a, n)) != model.items(n, field_items(b, n))]
    if len(differing) == 1 and differing[0] in PLACE_ONLY_FIELDS:
        return differing[0]
    return None


def token_flips(model: NoiseModel, observations: Mapping[str, Sequence[Content]]) -> Iterator[Evidence]:
    """Tokens present in one copy of an item and not the other, in copies that differ in nothing else:
    the kinds of token (a 16-digit hex signature, a 3-digit width, the word "resized") a CDN adds."""
    for article_id, a, b in pairs(observations):
        name = _only_difference(model, a, b)
        if name is None or name in model.place_only:
            continue
        left, right = model.kept(name, field_items(a, name)), model.kept(name, field_items(b, name))
        if len(left) != len(right):
            continue
        for nx, ny in zip(left, right, strict=True):
            tx, ty = _TOKEN.findall(_path_of(name, nx)), _TOKEN.findall(_path_of(name, ny))
            if nx != ny and tx == ty:  # the same path on another host: each domain its own CDN
                yield Evidence("token", name, "host", -1, article_id, f"{_host_of(nx)} → {_host_of(ny)}")
            if not _same_reference(tx, ty):
                continue  # two different images (a swap, a placeholder): nothing to learn from their names
            labels = dict(zip(tx, _labels(tx, name), strict=True)) | dict(zip(ty, _labels(ty, name), strict=True))
            for token in sorted(set(tx) ^ set(ty)):  # sorted: the same order in every process
                yield _token(name, token_kind(token), article_id, token, labels[token])


PREFIX_FIELDS = ("body", "captions")
PREFIX_MAX_CHARS = 200
"""Only short items are taken for labelled inserts; a paragraph of the story is longer."""


def first_word(text: str) -> str:
    match = _TOKEN.search(text)
    return match.group(0).lower() if match else ""


def presence_flips(model: NoiseModel, observations: Mapping[str, Sequence[Content]]) -> Iterator[Evidence]:
    """Short items in one copy of an article and not in another, by their first word: an insert
    drawn from a large pool (ad lines, promoted links) repeats no item, but its label repeats."""
    for article_id, a, b in pairs(observations):
        for name in PREFIX_FIELDS:
            left, right = set(model.kept(name, field_items(a, name))), set(model.kept(name, field_items(b, name)))
            for item in sorted(left ^ right):  # sorted: the first, kept as the example, in every process
                word = first_word(item)
                if len(item) <= PREFIX_MAX_CHARS and len(word) >= 4 and item[:1].isupper():
                    yield Evidence("prefix", name, word, -1, article_id, item[:80], (item,))


SAME_REFERENCE = 0.5
"""Share of its tokens two copies of an image URL must have in common to be taken for one image."""


def _same_reference(a: list[str], b: list[str]) -> bool:
    """Whether two URLs' tokens say they name one file, the rest being what a CDN adds."""
    shared, smaller = len(set(a) & set(b)), min(len(set(a)), len(set(b)))
    return smaller > 0 and shared / smaller >= SAME_REFERENCE


def place_flips(model: NoiseModel, observations: Mapping[str, Sequence[Content]]) -> Iterator[Evidence]:
    """Copies that, with every token rule applied, still differ in a reference field and nothing else."""
    for article_id, a, b in pairs(observations):
        name = _only_difference(model, a, b)
        if name is not None and name not in model.place_only:
            yield Evidence("place", name, "", -1, article_id)


def to_learn(evidence: Iterable[Evidence], articles: int, known: set[str]) -> list[NoisePattern]:
    """The patterns enough articles of this batch show (:func:`threshold` of the batch's
    ``articles``, or :func:`per_request`), leaving out the ``known`` ones.

    Numbers under one label that are a digit apart in length (:attr:`Evidence.label`,
    :func:`one_number`) count the articles of both, once each shows in :data:`OWN_ARTICLES`:
    one width, 800 here and 1200 there.

    Evidence is never carried from one crawl to the next: noise shows in every article at once,
    while real edits that happen to look alike (three photo swaps in a year) come one at a time.
    """
    first: dict[str, Evidence] = {}
    shown: dict[str, set[str]] = {}
    """Articles by pattern, known ones too: a number learned before still counts for its other length."""
    labelled: dict[tuple[str, str], dict[str, str]] = {}
    """(field, label) → the numbers seen under it: key → kind."""
    values: dict[tuple[str, str], set[str]] = {}
    for item in evidence:
        shown.setdefault(item.key, set()).add(item.article_id)
        if item.label:
            labelled.setdefault((item.field, item.label), {})[item.key] = item.pattern
        if item.key not in known:
            first.setdefault(item.key, item)
            values.setdefault((item.key, item.article_id), set()).update(item.values)
    links = _one_number_links(labelled)
    needed = {kind: threshold(articles, kind) for kind in {item.kind for item in first.values()}}
    learned = []
    for key, item in first.items():
        ids = shown[key]
        if len(ids) >= OWN_ARTICLES:
            ids = ids.union(*(shown[other] for other in links.get(key, ())))
        if len(ids) >= needed[item.kind] or per_request(key, shown[key], values):
            learned.append(NoisePattern(key, item.kind, item.field, item.pattern, item.slot, len(ids), item.example))
    return learned


def _one_number_links(labelled: Mapping[tuple[str, str], Mapping[str, str]]) -> dict[str, set[str]]:
    """Pattern key → the keys of the same number at another length under the same label."""
    links: dict[str, set[str]] = {}
    for numbers in labelled.values():
        for (a, kind_a), (b, kind_b) in combinations(numbers.items(), 2):
            if one_number(kind_a, kind_b):
                links.setdefault(a, set()).add(b)
                links.setdefault(b, set()).add(a)
    return links


def per_request(key: str, articles: set[str], values: dict[tuple[str, str], set[str]]) -> bool:
    """Whether :data:`MIN_ARTICLES` articles each showed the pattern with a different value on
    nearly every copy: noise that only some articles carry (an embedded post's counters)."""
    changing = sum(1 for a in articles if len(values.get((key, a), ())) >= PER_REQUEST_VALUES)
    return changing >= MIN_ARTICLES


def model_of(entries: Iterable[LearnedNoise]) -> NoiseModel:
    """The noise model the learned patterns make."""
    slots: dict[tuple[str, str], set[int]] = {}
    texts: set[tuple[str, str]] = set()
    shapes: set[tuple[str, str]] = set()
    place: set[str] = set()
    tokens: set[tuple[str, str]] = set()
    contexts: set[tuple[str, str]] = set()
    prefixes: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.kind == "slot":
            slots.setdefault((entry.field, entry.pattern), set()).update(() if entry.slot is None else (entry.slot,))
        elif entry.kind == "text":
            texts.add((entry.field, entry.pattern))
        elif entry.kind == "shape":
            shapes.add((entry.field, entry.pattern))
        elif entry.kind == "prefix":
            prefixes.add((entry.field, entry.pattern))
        elif entry.kind == "context":
            contexts.add((entry.field, entry.pattern))
        elif entry.kind == "token":
            tokens.add((entry.field, entry.pattern))
        elif entry.kind == "place":
            place.add(entry.field)
    return NoiseModel(
        slots={k: frozenset(v) for k, v in slots.items()},
        texts=frozenset(texts),
        shapes=frozenset(shapes),
        tokens=frozenset(tokens),
        contexts=frozenset(contexts),
        prefixes=frozenset(prefixes),
        place_only=frozenset(place),
    )


def describe(entry: LearnedNoise) -> str:
    """One learned entry in words, for ``status`` and the article page."""
    name, pattern = entry.field, readable(entry.pattern)
    if entry.kind == "slot":
        slot = cast(int, entry.slot)  # a slot entry always names its slot
        return f"{name}: the {_nth_slot(slot)} token of “{slot_marked(entry.pattern, slot)}” changes without an edit"
    if entry.kind == "text":
        return f"{name}: “{pattern}” is site template, in many articles"
    if entry.kind == "shape":
        return f"{name}: “{pattern}” (any number) is site template, in many articles"
    if entry.kind == "prefix":
        return f"{name}: short lines starting “{entry.pattern}” come and go (e.g. “{entry.example}”)"
    if entry.kind == "context":
        return f"{name}: the number in “…{entry.pattern}…” changes without an edit, in any article"
    if entry.kind == "token" and entry.pattern == "host":
        return f"{name}: served from another host per domain or fetch ({entry.example}); identified by their path"
    if entry.kind == "token":
        return f"{name}: tokens like “{entry.example}” ({entry.pattern}) come and go without an edit"
    return f"{name}: renamed on every fetch; identified by their place in the article"


def slot_marked(shape: str, slot: int) -> str:
    """The shape with the learned slot shown as ``<*>`` and the others as ``#``."""
    pieces = shape.split(_SLOT)
    out = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        out += ["<*>" if index == slot else _MASK, piece]
    return "".join(out)


def _nth_slot(slot: int) -> str:
    ordinal = slot + 1
    suffix = "th" if 10 <= ordinal % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(ordinal % 10, "th")
    return f"{ordinal}{suffix}"


def applies(entry: LearnedNoise, content: Content) -> bool:
    """Whether a learned entry concerns one of this version's items."""
    name = entry.field
    items = [normalized_item(name, i) for i in field_items(content, name)]
    if entry.kind == "place":
        return bool(items)
    if entry.kind == "text":
        return entry.pattern in items
    if entry.kind == "prefix":
        return any(first_word(item) == entry.pattern for item in items)
    if entry.kind == "context":
        return any(entry.pattern in slot_contexts(name, item) for item in items)
    if entry.kind == "token":
        return any(token_kind(t) == entry.pattern for i in items for t in _TOKEN.findall(_path_of(name, i)))
    return any(shape_of(name, item)[0] == entry.pattern for item in items)
