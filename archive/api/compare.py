"""Two versions of an article compared for the compare page: one section per kind of change,
headed in plain words (old → new), with the diff inline and side by side.

The stored summaries mark edits as ``[-removed-]{+added+}`` (``archive.detect.diff``), which reads
as noise in a heading; here a heading says what changed and shows the old and the new value as
plain text, and the markup is left to the diffs, which show it as ``<del>``/``<ins>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archive.detect.changes import FIELD_OF_KIND, classify
from archive.index import Version
from archive.read.change_edits import cut

MAX_VALUE_CHARS = 200
"""A value longer than this is cut at a word in a heading (the diff below shows it whole)."""


class VersionOrderError(ValueError):
    """The two versions asked for cannot be compared as older → newer."""


@dataclass(frozen=True)
class Section:
    """One kind of change between the two versions, as the compare page shows it."""

    kind: str
    title: str
    """e.g. ``Headline changed (silent)``."""
    old: str | None
    """The value before, as plain text (None for the body, summarised in ``account``)."""
    new: str | None
    account: str
    """Plain words for what the values do not say (the body's paragraph counts), or empty."""
    inline: str
    """The diff as one column, ``<del>``/``<ins>``, every archived word escaped (``archive.detect.diff``)."""
    left: str
    right: str


def compare_query(one: int, other: int) -> str:
    """The compare page's path below an article, the older version first whatever order the change
    joined them in (a revert goes from version 2 back to 1; the page compares 1 with 2)."""
    low, high = sorted((one, other))
    return f"compare?a={low}&b={high}"


def check_order(a: int, b: int) -> None:
    """Refuse a comparison that is not older → newer, saying what to pick instead."""
    if a == b:
        raise VersionOrderError(f"Both pickers name version {a}: pick two different versions to compare.")
    if a > b:
        raise VersionOrderError(
            f"Version {a} is newer than version {b}: pick the older version first "
            f"(compare version {b} with version {a})."
        )


def sections(before: Version, after: Version) -> list[Section]:
    """Every kind of content change from ``before`` to ``after``, in ``classify``'s order.

    Declared or silent is said of one edit, from a version to the next: across versions in
    between (1 → 3), a silent headline edit and a declared body edit would both read "declared",
    so such a comparison says neither (each change on the article page does)."""
    found = []
    adjacent = after.version - before.version == 1
    for change in classify(before, after):
        fields = [str(f) for f in change.details.get("fields", [change.kind])]
        label = f" ({'declared' if change.declared else 'silent'})" if adjacent else ""
        title = f"{' and '.join(fields).capitalize()} changed{label}"
        field = FIELD_OF_KIND.get(change.kind) if change.kind != "body" else None  # the body: ``account``
        account = ""
        if change.kind == "body":
            account = _paragraph_account(change.details)
        found.append(
            Section(
                kind=change.kind,
                title=title,
                old=_plain(before, field) if field else None,
                new=_plain(after, field) if field else None,
                account=account,
                inline=change.diff_html,
                left=re.sub(r"<ins>.*?</ins>", "", change.diff_html, flags=re.S),
                right=re.sub(r"<del>.*?</del>", "", change.diff_html, flags=re.S),
            )
        )
    return found


def _plain(version: Version, field: str) -> str:
    value = getattr(version, field)
    text = "; ".join(value) if isinstance(value, tuple) else (value or "")
    return cut(text, MAX_VALUE_CHARS) or "(none)"


def _paragraph_account(counts: Mapping[str, Any]) -> str:
    parts = [
        f"{counts[key]} paragraph{'s' if counts[key] != 1 else ''} {key}"
        for key in ("added", "removed", "reworded")
        if counts.get(key)
    ]
    return ", ".join(parts) if parts else "paragraphs rearranged"
