"""A change's edit as a person reads it: old → new with the changed words marked, a body as its
changed paragraphs with one paragraph of context, and the same as plain text.

Built from the two versions the change joins, never from the stored ``[-…-]{+…+}`` summary.
The web's change cards draw the :class:`Block` s, the exports and the terminal take
:func:`diff_lines` and :func:`plain_summary`. Marking words costs more than the text grows, so
one card has a budget (``WORD_DIFF_WORDS``, ``CARD_WORDS``): past it, the rest is shown as
replaced, and the card says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from difflib import SequenceMatcher

from archive.detect.changes import FIELD_OF_KIND
from archive.detect.diff import around_changes, paragraph_steps
from archive.detect.normalize import normalize_text
from archive.index import StoredChange, Version
from archive.moments import parse_iso

SUMMARY_CHARS = 300
"""How much of an old or new text a plain summary quotes before cutting it with "…"."""
WORD_DIFF_WORDS = 3000
"""The most words (old and new together) one paragraph or line of a card is marked word by word;
a longer edit is shown as replaced, whole, and the card says so (a word diff grows faster than the text)."""
CARD_WORDS = 12000
"""The most words a card's edit aligns and marks in all, over all its fields: beyond it the rest is
shown as replaced, so one card costs a bounded time however long the article."""
WHOLE_NOTE = "too long to mark word by word: shown as replaced"


@dataclass(frozen=True)
class Segment:
    """A run of words of one side of an edit; ``mark`` is ``del``, ``ins`` or empty (unchanged)."""

    text: str
    mark: str = ""


@dataclass(frozen=True)
class Pair:
    """One line of an edit: ``context`` (the same on both sides), ``changed`` (old → new),
    ``removed`` (only ``old``), ``added`` (only ``new``) or ``gap`` (unchanged text left out)."""

    role: str
    old: tuple[Segment, ...] = ()
    new: tuple[Segment, ...] = ()
    whole: bool = False
    """Left unmarked, shown as replaced: too long to mark word by word within the card's budget."""


@dataclass(frozen=True)
class Block:
    """The edit of one field: a headline or date is one ``changed`` pair, a body its changed
    paragraphs with a paragraph of context either side."""

    field: str
    pairs: tuple[Pair, ...]
    paragraphs: bool = False
    """Whether the pairs are paragraphs (shown one under the other) or one line (old → new)."""
    note: str = ""
    """Said under the field when the edit was too long to mark word by word (``WHOLE_NOTE``)."""


_PARAGRAPH_FIELDS = {"body", "captions", "images"}
_LABEL = {"published": "date", "captions": "caption", "images": "image"}


class _Budget:
    """The words a card may still align and mark word by word (``CARD_WORDS``)."""

    def __init__(self, words: int = CARD_WORDS) -> None:
        self.words = words

    def take(self, words: int, *, most: int = WORD_DIFF_WORDS) -> bool:
        """Whether ``words`` more may be marked (then they are counted), else leave them whole."""
        if words > min(most, self.words):
            return False
        self.words -= words
        return True


def edit_of(change: StoredChange, before: Version | None, after: Version | None) -> tuple[Block, ...]:
    """The edit as blocks, from the versions; empty for a change of fate (retraction, redirect, ...).
    Its cost is bounded per card (``CARD_WORDS``, ``WORD_DIFF_WORDS``): longer edits are shown whole."""
    kind, details = change.kind, change.details
    budget = _Budget()
    if kind == "slug_mismatch":
        pair = _line_pair(str(details.get("slug", "")), str(details.get("headline", "")), budget)
        return (Block("slug → headline", (pair,), note=WHOLE_NOTE if _whole(pair) else ""),)
    if before is None or after is None:
        return ()
    if kind == "mirror_divergence":
        kinds = [k for k in details.get("kinds", []) if k in FIELD_OF_KIND]
        return tuple(b for k in kinds for b in _field_blocks(FIELD_OF_KIND[k], before, after, budget))
    if kind not in FIELD_OF_KIND:
        return ()
    names = [FIELD_OF_KIND[kind]]
    if kind == "image" and "caption" in details.get("fields", []):
        names.append("captions")
    if kind == "body" and "lead" in details.get("fields", []):  # a lead rewritten with the first paragraph
        names.insert(0, "lead")
    return tuple(b for name in names for b in _field_blocks(name, before, after, budget))


def _field_blocks(name: str, before: Version, after: Version, budget: _Budget) -> list[Block]:
    label = _LABEL.get(name, name)
    if name in _PARAGRAPH_FIELDS:
        pairs = paragraph_pairs(_items(before, name), _items(after, name), budget=budget)
        note = WHOLE_NOTE if any(_whole(p) for p in pairs) else ""
        return [Block(label, pairs, paragraphs=True, note=note)] if pairs else []
    old, new = _shown(before, name), _shown(after, name)
    if normalize_text(old) == normalize_text(new):
        return []
    pair = _line_pair(old, new, budget)
    return [Block(label, (pair,), note=WHOLE_NOTE if _whole(pair) else "")]


def _shown(version: Version, name: str) -> str:
    """A field's text as a reader compares it: a date as ``2026-11-26 21:57 UTC`` (so a word diff
    marks the day or the time that moved), anything else as stored."""
    value = str(getattr(version, name) or "")
    if name != "published" or not value:
        return value
    try:
        moment = parse_iso(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _items(version: Version, name: str) -> list[str]:
    return [p for p in getattr(version, name) if normalize_text(p)]


def _whole(pair: Pair) -> bool:
    return pair.whole


def _line_pair(old: str, new: str, budget: _Budget | None = None) -> Pair:
    if not old.strip():
        return Pair("added", new=(Segment(new, "ins"),))
    if not new.strip():
        return Pair("removed", old=(Segment(old, "del"),))
    if not (budget or _Budget()).take(len(old.split()) + len(new.split())):
        return Pair("changed", (Segment(old, "del"),), (Segment(new, "ins"),), whole=True)
    left, right = word_segments(old, new)
    return Pair("changed", left, right)


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both sides of a text edit as runs of words, the removed ones marked ``del`` on the old side
    and the added ones ``ins`` on the new side (words compared in their normalized form)."""
    a, b = old.split(), new.split()
    matcher = SequenceMatcher(None, [normalize_text(w) for w in a], [normalize_text(w) for w in b], autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(Segment(" ".join(a[i1:i2])))
            right.append(Segment(" ".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Segment(" ".join(a[i1:i2]), "del"))
        if j2 > j1:
            right.append(Segment(" ".join(b[j1:j2]), "ins"))
    return tuple(left), tuple(right)


def paragraph_pairs(before: Sequence[str], after: Sequence[str], *, budget: _Budget | None = None) -> tuple[Pair, ...]:
    """The changed paragraphs only, each stretch with one unchanged paragraph of context either
    side, and a ``gap`` where unchanged paragraphs are left out.

    Paragraphs are aligned and paired by ``archive.detect.diff.paragraph_steps`` (as detection counts
    them). That pairing compares words, so when the paragraphs between the common first and last
    ones hold more words than the card's budget, the stretch is shown as replaced instead: the old
    paragraphs removed, the new ones added, and the block's note says so."""
    budget = budget or _Budget()
    same = [normalize_text(p) for p in before], [normalize_text(p) for p in after]
    head = 0
    while head < min(len(before), len(after)) and same[0][head] == same[1][head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and same[0][-1 - tail] == same[1][-1 - tail]:
        tail += 1
    old_mid, new_mid = before[head : len(before) - tail], after[head : len(after) - tail]
    words = sum(len(p.split()) for p in (*old_mid, *new_mid))
    if budget.take(words, most=budget.words):
        steps = [(mark, text, diff.before if diff else "") for mark, text, diff in paragraph_steps(before, after)]
    else:
        steps = [("=", p, "") for p in after[:head]]
        steps += [("!", p, "") for p in old_mid] + [("!+", p, "") for p in new_mid]
        steps += [("=", p, "") for p in after[len(after) - tail :]]
    return _with_context([_step_pair(mark, text, old, budget) for mark, text, old in steps])


def _step_pair(mark: str, text: str, old: str, budget: _Budget) -> Pair:
    """One ``paragraph_steps`` step as a pair (``!``, ``!+``: removed, added, left unpaired as too long)."""
    if mark == "=":
        return Pair("context", (Segment(text),), (Segment(text),))
    if mark in ("+", "!+"):
        return Pair("added", new=(Segment(text, "ins"),), whole=mark == "!+")
    if mark in ("-", "!"):
        return Pair("removed", old=(Segment(text, "del"),), whole=mark == "!")
    return _line_pair(old, text, budget)


def _with_context(pairs: Sequence[Pair]) -> tuple[Pair, ...]:
    """The changed pairs with one unchanged pair either side of each stretch, a ``gap`` for the rest."""
    changed = [n for n, p in enumerate(pairs) if p.role != "context"]
    if not changed:
        return ()
    return tuple(Pair("gap") if n is None else pairs[n] for n in around_changes(len(pairs), changed, 1))


def _text(segments: Iterable[Segment]) -> str:
    return " ".join(s.text for s in segments)


def diff_lines(edit: Sequence[Block]) -> str:
    """The edit as plain text: ``- `` old, ``+ `` new, two spaces for context, ``…`` for a gap;
    each block headed by its field when there are several, and its note in brackets."""
    lines: list[str] = []
    for block in edit:
        if len(edit) > 1:
            lines.append(f"{block.field}:")
        if block.note:
            lines.append(f"[{block.note}]")
        for pair in block.pairs:
            if pair.role == "gap":
                lines.append("  …")
            elif pair.role == "context":
                lines.append(f"  {_text(pair.new)}")
            else:
                lines += [f"- {_text(pair.old)}"] if pair.old else []
                lines += [f"+ {_text(pair.new)}"] if pair.new else []
    return "\n".join(lines)


def plain_summary(
    change: StoredChange, before: Version | None, after: Version | None, edit: Sequence[Block] | None = None
) -> str:
    """One line without markup: what changed, declared or silent, and how (old → new, or counts);
    ``edit`` is the change's :func:`edit_of` when already built (it is then not built again)."""
    kind, details = change.kind, change.details
    if kind not in FIELD_OF_KIND or before is None or after is None:
        return cut(str(change.summary or kind), SUMMARY_CHARS * 2)
    label = "declared" if change.declared else "silent"
    what = " and ".join(details.get("fields") or [kind])
    if details.get("revert") or details.get("reapplied"):
        verb = "returned to" if details.get("revert") else "re-applied"
        heading = f"{what} {verb} version {after.version} ({label})"
    else:
        heading = f"{what} changed ({label})"
    name = FIELD_OF_KIND[kind]
    if name in _PARAGRAPH_FIELDS:
        edit = edit_of(change, before, after) if edit is None else edit
        pairs = [p for b in edit if b.field == _LABEL.get(name, name) for p in b.pairs]
        counts = {role: sum(1 for p in pairs if p.role == role) for role in ("added", "removed", "changed")}
        account = ", ".join(f"{n} {'reworded' if r == 'changed' else r}" for r, n in counts.items() if n)
        return f"{heading}: {account or 'no paragraph changed'} ({'item' if name != 'body' else 'paragraph'}s)"
    old, new = _shown(before, name), _shown(after, name)
    return f"{heading}: “{cut(old, SUMMARY_CHARS)}” → “{cut(new, SUMMARY_CHARS)}”"


def cut(text: str, chars: int) -> str:
    """``text`` on one line, cut at a word to at most ``chars`` characters, ending in "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    head = text[: chars - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else head) + "…"
