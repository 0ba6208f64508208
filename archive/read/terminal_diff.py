"""Two versions of an article as a terminal diff: the changed fields only, the changed paragraphs
with a few unchanged ones around them, colour when a person is looking.

``edittrail diff`` used to print each change's stored diff, which for a body is the whole body
with ``[-…-]{+…+}`` markup somewhere inside: one reworded sentence in a long article was hard
to find. Here a body (and the captions and images, which are lists too) is cut to its changed
paragraphs and ``context`` unchanged ones either side, ``…`` marking what is left out, in the
marks :attr:`archive.detect.diff.ParagraphDiff.text` uses (``+`` added, ``-`` removed, ``~`` reworded).
A one-line field (headline, date, byline, ...) reads old then new. With colour, removed words
are red and added ones green (as ``git diff --word-diff=color``); without it, the
``[-removed-]{+added+}`` markup says the same in plain text, for pipes and files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import click

from archive.detect.changes import FIELD_OF_KIND, is_declared
from archive.detect.diff import FieldDiff, around_changes, diff_text, paragraph_steps
from archive.index import Version

LIST_FIELDS = ("body", "captions", "images")
DEFAULT_CONTEXT = 1
"""Unchanged paragraphs shown either side of a change (the web's change cards show one too)."""
_SPACES = re.compile(r"(?<=\S) {2,}")
"""The double space an insertion or deletion leaves on the side that lacks it."""


def changed_fields(before: Version, after: Version) -> list[str]:
    """The ``--field`` names whose content differs (by fingerprint, as detection decides), in page order."""
    return [kind for kind, name in FIELD_OF_KIND.items() if before.hashes.get(name) != after.hashes.get(name)]


def render(
    before: Version,
    after: Version,
    *,
    fields: Sequence[str] | None = None,
    context: int = DEFAULT_CONTEXT,
    color: bool = False,
) -> list[str]:
    """The lines of the diff of ``fields`` (default: every changed one) from ``before`` to ``after``."""
    label = "declared" if is_declared(before, after) else "silent"
    wanted = list(fields) if fields is not None else changed_fields(before, after)
    lines: list[str] = []
    for kind in wanted:
        name = FIELD_OF_KIND[kind]
        if before.hashes.get(name) == after.hashes.get(name):
            lines.append(f"{kind}: the same in versions {before.version} and {after.version}")
            continue
        lines.append(_style(f"== {kind} changed ({label})", color, bold=True))
        lines += field_lines(before, after, kind, context=context, color=color)
        lines.append("")
    return lines


def field_lines(before: Version, after: Version, kind: str, *, context: int, color: bool) -> list[str]:
    """The diff of one field (a ``--field`` name) without its heading."""
    name = FIELD_OF_KIND[kind]
    if name in LIST_FIELDS:
        return paragraph_lines(getattr(before, name), getattr(after, name), context=context, color=color)
    return line_pair(_text(before, name), _text(after, name), color=color)


def paragraph_lines(before: Sequence[str], after: Sequence[str], *, context: int, color: bool) -> list[str]:
    """The changed paragraphs with ``context`` unchanged ones either side, ``…`` for the rest."""
    steps = paragraph_steps(before, after)
    changed = [i for i, (mark, _, _) in enumerate(steps) if mark != "="]
    lines: list[str] = []
    for i in around_changes(len(steps), changed, context):
        if i is None:
            lines.append("  …")
            continue
        mark, text, words = steps[i]
        if mark == "=":
            lines.append(f"  {text}")
        elif mark == "~" and words is not None:
            lines.append("~ " + inline(words, color=color))
        elif mark == "+":
            lines.append(_style(f"+ {text}", color, fg="green") if color else f"+ {{+{text}+}}")
        else:
            lines.append(_style(f"- {text}", color, fg="red") if color else f"- [-{text}-]")
    return lines


def line_pair(old: str, new: str, *, color: bool) -> list[str]:
    """A one-line field as two lines, old then new; with colour the changed words stand out."""
    if not color:
        return [f"- {old}", f"+ {new}"]
    removed, added = _sides(diff_text(old, new))
    return [_style("- ", True, fg="red") + removed, _style("+ ", True, fg="green") + added]


def inline(words: FieldDiff, *, color: bool) -> str:
    """A word diff on one line: ``[-removed-]{+added+}`` markup, or removed words red and struck
    through before the added ones in green."""
    if not color:
        return words.text
    pieces: list[str] = []
    for shared, removed, added in _runs(words):
        pieces.append(shared)
        pieces.append(_style(removed, True, fg="red", strikethrough=True) if removed else "")
        pieces.append(" " if removed and added else "")
        pieces.append(_style(added, True, fg="green", bold=True) if added else "")
    return "".join(pieces)


def _sides(words: FieldDiff) -> tuple[str, str]:
    """Old and new text, each with its own changed words in bold colour."""
    old: list[str] = []
    new: list[str] = []
    for shared, removed, added in _runs(words):
        old.append(shared + (_style(removed, True, fg="red", bold=True) if removed else ""))
        new.append(shared + (_style(added, True, fg="green", bold=True) if added else ""))
    return _SPACES.sub(" ", "".join(old)), _SPACES.sub(" ", "".join(new))


def _runs(words: FieldDiff) -> Iterator[tuple[str, str, str]]:
    """(unchanged text before, removed words, added words) for each hunk, then the rest with no change.

    Read back from the marked-up text, where each hunk was written in order as
    ``[-removed-]{+added+}``; the unchanged text between is the after-text's.
    """
    text, position = words.text, 0
    for hunk in words.hunks:
        marked = (f"[-{hunk.removed}-]" if hunk.removed else "") + (f"{{+{hunk.added}+}}" if hunk.added else "")
        found = text.find(marked, position)
        if found < 0:  # cannot happen (see above); the hunk is then shown in the text as marked
            continue
        yield text[position:found], hunk.removed, hunk.added
        position = found + len(marked)
    yield text[position:], "", ""


def _text(version: Version, name: str) -> str:
    value = getattr(version, name)
    return "\n".join(value) if isinstance(value, tuple) else (value or "")


def _style(text: str, color: bool, *, fg: str | None = None, bold: bool = False, strikethrough: bool = False) -> str:
    if not color:
        return text
    return click.style(text, fg=fg, bold=bold or None, strikethrough=strikethrough or None)
