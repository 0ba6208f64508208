"""Word-level diffs of article text, for terminals, alerts and web pages.

Built on the standard library's :mod:`difflib` (``SequenceMatcher`` over words, without
its "autojunk" heuristic, which on long texts would treat common words as noise and give
odd alignments). Words are compared in their normalized form
(:func:`archive.detect.normalize.normalize_text`), so a curly quote straightened in passing does
not show up as an edit, exactly as it does not change the fingerprint.

The plain form marks changes like ``git diff --word-diff``: ``[-removed-]{+added+}``. The
HTML form uses ``<del>``/``<ins>``, with every piece of text escaped: article text is
outside data and must never become markup in an alert or a page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

from archive.detect.normalize import normalize_text

CONTEXT_WORDS = 6
"""Unchanged words shown either side of a change in :func:`short_summary`."""
REWORD_THRESHOLD = 0.5
"""Word similarity from which a changed paragraph counts as reworded, below as removed + added."""
REWRITE_THRESHOLD = 0.2
"""The lower similarity that suffices where paragraphs were replaced one for one in place
(a stretch of n old paragraphs replaced by n new ones): a rewritten paragraph, not a new one."""
_TOKEN = re.compile(r"(\S+)(\s*)")


@dataclass(frozen=True)
class Hunk:
    """One changed stretch of words with a little unchanged context either side."""

    removed: str
    added: str
    context_before: str
    context_after: str


@dataclass(frozen=True)
class FieldDiff:
    """The word diff of one field's text between two versions."""

    field: str
    before: str
    after: str
    text: str
    """``[-removed-]{+added+}`` inline, the rest as in ``after``."""
    html: str
    """``<del>``/``<ins>`` inline, all text escaped, newlines as ``<br>``."""
    added_words: int
    removed_words: int
    hunks: tuple[Hunk, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether any word differs (a change of spacing or quote style alone is none)."""
        return bool(self.added_words or self.removed_words)


@dataclass(frozen=True)
class ParagraphDiff:
    """Paragraphs aligned between two versions: which were added, removed or reworded.

    A changed paragraph is *reworded* when it keeps at least :data:`REWORD_THRESHOLD` of
    its words, and its word diff is in ``reworded_diffs``; a rewrite beyond that counts
    as one paragraph removed and one added.
    """

    added: int
    removed: int
    reworded: int
    unchanged: int
    reworded_diffs: tuple[FieldDiff, ...]
    added_paragraphs: tuple[str, ...]
    removed_paragraphs: tuple[str, ...]
    text: str
    """Every change in document order: ``+ `` added, ``- `` removed, ``~ `` reworded (word diff)."""
    html: str

    @property
    def changed(self) -> bool:
        """Whether any paragraph was added, removed or reworded."""
        return bool(self.added or self.removed or self.reworded)


def diff_text(before: str, after: str, field: str = "body") -> FieldDiff:
    """Word diff of two texts; whitespace between words follows ``after`` (``before`` inside removals)."""
    old, new = _tokens(before), _tokens(after)
    matcher = SequenceMatcher(None, [k for k, _, _ in old], [k for k, _, _ in new], autojunk=False)
    text: list[str] = [after[: len(after) - len(after.lstrip())]]
    html: list[str] = [_html(text[0])]
    hunks: list[Hunk] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            run = _join(new[j1:j2], trailing=True)
            text.append(run)
            html.append(_html(run))
            continue
        gone, came = _join(old[i1:i2]), _join(new[j1:j2])
        removed, added = removed + (i2 - i1), added + (j2 - j1)
        space = (new[j2 - 1] if j2 > j1 else old[i2 - 1])[2]
        text.append((f"[-{gone}-]" if gone else "") + (f"{{+{came}+}}" if came else "") + space)
        html.append(
            (f"<del>{_html(gone)}</del>" if gone else "") + (f"<ins>{_html(came)}</ins>" if came else "") + _html(space)
        )
        hunks.append(
            Hunk(
                removed=gone,
                added=came,
                context_before=" ".join(w for _, w, _ in new[max(0, j1 - CONTEXT_WORDS) : j1]),
                context_after=" ".join(w for _, w, _ in new[j2 : j2 + CONTEXT_WORDS]),
            )
        )
    return FieldDiff(field, before, after, "".join(text), "".join(html), added, removed, tuple(hunks))


def paragraph_steps(before: Sequence[str], after: Sequence[str]) -> list[tuple[str, str, FieldDiff | None]]:
    """Every non-empty paragraph in document order as ``(mark, text, word diff)``: ``=`` unchanged,
    ``+`` added, ``-`` removed, ``~`` reworded (with its word diff); what a diff with a few
    paragraphs of context around each change is cut from."""
    old = [p for p in before if normalize_text(p)]
    new = [p for p in after if normalize_text(p)]
    matcher = SequenceMatcher(None, [normalize_text(p) for p in old], [normalize_text(p) for p in new], autojunk=False)
    steps: list[tuple[str, str, FieldDiff | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            steps.extend(("=", text, None) for text in new[j1:j2])
        else:
            steps.extend(_pair(old[i1:i2], new[j1:j2]))
    return steps


def around_changes(count: int, changed: Sequence[int], context: int) -> list[int | None]:
    """Which of ``count`` aligned items to show around the ``changed`` ones: their positions, in
    order, within ``context`` of a change, and None once for each run left out between them.

    The terminal's ``edittrail diff --context N`` and the web's change cards (one paragraph of
    context) cut a body to its changes this same way."""
    near = {j for i in changed for j in range(i - context, i + context + 1) if 0 <= j < count}
    shown: list[int | None] = []
    for i in range(count):
        if i in near:
            shown.append(i)
        elif not shown or shown[-1] is not None:
            shown.append(None)
    return shown


def diff_paragraphs(before: Sequence[str], after: Sequence[str]) -> ParagraphDiff:
    """Align paragraphs (difflib over their normalized text), then pair the changed ones."""
    every = paragraph_steps(before, after)
    unchanged = sum(1 for kind, _, _ in every if kind == "=")
    steps = [step for step in every if step[0] != "="]
    rewordings = tuple(d for kind, _, d in steps if kind == "~" and d is not None)
    return ParagraphDiff(
        added=sum(1 for kind, _, _ in steps if kind == "+"),
        removed=sum(1 for kind, _, _ in steps if kind == "-"),
        reworded=len(rewordings),
        unchanged=unchanged,
        reworded_diffs=rewordings,
        added_paragraphs=tuple(text for kind, text, _ in steps if kind == "+"),
        removed_paragraphs=tuple(text for kind, text, _ in steps if kind == "-"),
        text="\n\n".join(f"{kind} {d.text if d else text}" for kind, text, d in steps),
        html="\n".join(_paragraph_html(kind, text, d) for kind, text, d in steps),
    )


def short_summary(diff: FieldDiff | ParagraphDiff, max_chars: int = 400) -> str:
    """A one-line account of a diff for an alert: the changes with a few words of context,
    at most ``max_chars`` characters (cut at a word, ending in "…")."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if isinstance(diff, ParagraphDiff):
        counts = [
            f"{n} {what}"
            for n, what in ((diff.added, "added"), (diff.removed, "removed"), (diff.reworded, "reworded"))
            if n
        ]
        if not counts:
            return "no change"
        parts = [_hunk_line(h) for d in diff.reworded_diffs for h in d.hunks]
        parts += [f"{{+{p}+}}" for p in diff.added_paragraphs] + [f"[-{p}-]" for p in diff.removed_paragraphs]
        line = f"paragraphs {', '.join(counts)}: " + " … ".join(parts)
    else:
        if not diff.hunks:
            return "no change"
        line = " … ".join(_hunk_line(h) for h in diff.hunks)
    return _cut(line, max_chars)


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """(comparison key, word, following whitespace) for each word."""
    return [(normalize_text(m.group(1)), m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]


def _join(tokens: Sequence[tuple[str, str, str]], *, trailing: bool = False) -> str:
    joined = "".join(word + space for _, word, space in tokens)
    return joined if trailing else joined.rstrip()


def _html(text: str) -> str:
    return escape(text, quote=True).replace("\n", "<br>\n")


def _pair(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, str, FieldDiff | None]]:
    """Within one changed stretch: each old paragraph pairs with the most similar new one
    at or after the last pairing (if similar enough); the others are removed or added."""
    steps: list[tuple[str, str, FieldDiff | None]] = []
    start = 0
    threshold = REWRITE_THRESHOLD if len(old) == len(new) else REWORD_THRESHOLD
    for paragraph in old:
        scores = [similarity(paragraph, candidate) for candidate in new[start:]]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is None or scores[best] < threshold:
            steps.append(("-", paragraph, None))
            continue
        steps.extend(("+", text, None) for text in new[start : start + best])
        steps.append(("~", new[start + best], diff_text(paragraph, new[start + best], field="body")))
        start += best + 1
    steps.extend(("+", text, None) for text in new[start:])
    return steps


def similarity(a: str, b: str) -> float:
    """Share of words two texts have in common, in order (difflib's ratio over normalized words)."""
    return SequenceMatcher(None, normalize_text(a).split(), normalize_text(b).split(), autojunk=False).ratio()


def _paragraph_html(kind: str, text: str, diff: FieldDiff | None) -> str:
    if kind == "~" and diff is not None:
        return f"<p>{diff.html}</p>"
    tag = "ins" if kind == "+" else "del"
    return f"<p><{tag}>{_html(text)}</{tag}></p>"


def _hunk_line(hunk: Hunk) -> str:
    change = (f"[-{hunk.removed}-]" if hunk.removed else "") + (f"{{+{hunk.added}+}}" if hunk.added else "")
    return " ".join(p for p in (hunk.context_before, change, hunk.context_after) if p)


def _cut(line: str, max_chars: int) -> str:
    line = " ".join(line.split())
    if len(line) <= max_chars:
        return line
    head = line[: max_chars - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head + "…"
