"""Versions of an article and the changes between them: what changed, and whether the outlet said so.

A *version* is a distinct normalized content of an article (its fingerprint); a *change*
is one kind of difference between two versions (headline, body, dates, ...) or a change of
the article's fate (retraction, redirect, restoration). Each change is *declared* when the
outlet's own "Last Update" moved with it and *silent* when it did not: the distinction
researchers care about most.

Everything here is pure: the detect stage feeds it versions and writes what it returns. The
records themselves (``Version``, ``Change``) are the index's (:mod:`archive.index.records`): the
index stores and reads them without importing the stage that makes them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from archive.detect.diff import FieldDiff, ParagraphDiff, diff_paragraphs, diff_text, short_summary, similarity
from archive.detect.normalize import normalize_text
from archive.index.records import Change, Version
from archive.kinds import CHANGE_KINDS as CHANGE_KINDS  # the kinds this module classifies,
from archive.kinds import CONTENT_KINDS as CONTENT_KINDS  # named in archive.kinds for the config too

# Version field → change kind (the version's fields are the fingerprint's fields).
_FIELD_KIND = {
    "headline": "headline",
    "lead": "lead",
    "body": "body",
    "published": "date",
    "captions": "caption",
    "images": "image",
    "section": "section",
    "byline": "byline",
}
FIELD_OF_KIND: dict[str, str] = {kind: name for name, kind in _FIELD_KIND.items()}
"""Content change kind → the Version field holding it: the one table the change cards, the compare
page and ``edittrail diff --field`` read (``date`` → ``published``, ``caption`` → ``captions``, ...)."""
SLUG_MISMATCH_THRESHOLD = 0.5


def is_declared(before: Version, after: Version) -> bool:
    """The outlet declared the update when its "Last Update" moved to a new value."""
    return after.last_update is not None and after.last_update != before.last_update


def classify(before: Version, after: Version, *, revert: bool = False, reapplied: bool = False) -> list[Change]:
    """Every content change from ``before`` to ``after``, one Change per kind, with its diff.

    ``revert`` says ``after`` is an older version the article returns to, ``reapplied`` that
    it is a later version seen before (an edit made again after a revert): the details say
    so and the summary names the version. A lead rewritten together with the body's first
    paragraph into the same text (Press TV's description is its first paragraph) is one
    rewrite: one ``body`` change whose ``details["fields"]`` names both; a photo swapped
    together with its caption is one ``image`` change naming ``image`` and ``caption``.
    """
    declared = is_declared(before, after)
    label = "declared" if declared else "silent"
    changed = [name for name in _FIELD_KIND if before.hashes.get(name) != after.hashes.get(name)]
    same_lead = normalize_text(before.lead) == normalize_text(after.lead)
    if same_lead and "lead" in changed:  # the lead stayed; only the paragraph it started moved on
        changed.remove("lead")
    merged = _merged(changed, before, after)
    changes = []
    for name in changed:
        if any(name in absorbed for absorbed in merged.values()):
            continue
        kind = _FIELD_KIND[name]
        fields = [kind, *(_FIELD_KIND[n] for n in merged.get(name, ()))]
        fields = ["lead", "body"] if name == "body" and "lead" in merged.get(name, ()) else fields
        text_diff, what, details = _field_change(before, after, name)
        diff_plain, diff_html = text_diff.text, text_diff.html
        for part in merged.get(name, ()):
            if part != "captions":  # the lead is the first paragraph again: the body's diff shows it
                continue
            extra, extra_what, _ = _field_change(before, after, part)
            diff_plain, diff_html = f"{diff_plain}\ncaption: {extra.text}", f"{diff_html}<br>\ncaption: {extra.html}"
            what = f"{what}; caption: {extra_what}"
        details["fields"] = fields
        heading = f"{' and '.join(fields)} changed ({label})"
        if revert or reapplied:
            details["revert" if revert else "reapplied"] = True
            verb = "returned to" if revert else "re-applied"
            heading = f"{' and '.join(fields)} {verb} version {after.version} ({label})"
        changes.append(
            Change(
                outlet=after.outlet,
                article_id=after.article_id,
                kind=kind,
                declared=declared,
                host=after.host,
                to_record=after.record_id,
                to_time=after.fetched_at,
                from_version=before.version,
                to_version=after.version,
                from_record=before.record_id,
                from_time=before.fetched_at,
                summary=f"{heading}: {what}",
                diff_text=diff_plain,
                diff_html=diff_html,
                section=after.section,
                details=details,
            )
        )
    return changes


def _merged(changed: list[str], before: Version, after: Version) -> dict[str, tuple[str, ...]]:
    """Fields that changed as parts of one act, by the field whose change reports them all:
    a lead rewritten with the first paragraph (one ``body`` change), a photo swapped with its
    caption (one ``image`` change)."""
    merged: dict[str, tuple[str, ...]] = {}
    lead_moved = "lead" in changed or normalize_text(before.lead) != normalize_text(after.lead)
    if lead_moved and "body" in changed and lead_is_rewritten_paragraph(before, after):
        merged["body"] = ("lead",)
    if "images" in changed and "captions" in changed:
        merged["images"] = ("captions",)
    return merged


def lead_is_rewritten_paragraph(before: Version, after: Version) -> bool:
    """The new lead says what a paragraph new in ``after`` says (the same text, or its start, as
    descriptions cut it): Press TV's description is its first paragraph, so one rewrite changes both."""
    old = {normalize_text(p) for p in before.body}
    fresh = [normalize_text(p) for p in after.body if normalize_text(p) not in old]
    for line in after.lead.split("\n"):  # a page may carry several descriptions, one a line
        lead = normalize_text(line).rstrip(".… ")
        if lead and any(p.startswith(lead) or similarity(lead, p) >= LEAD_SIMILARITY for p in fresh):
            return True
    return False


LEAD_SIMILARITY = 0.8
"""Word similarity from which a lead counts as the first paragraph's text."""


def _field_change(before: Version, after: Version, name: str) -> tuple[FieldDiff | ParagraphDiff, str, dict[str, Any]]:
    """The diff, the summary's account and the details of one changed field."""
    if name == "body":
        paragraphs = diff_paragraphs(before.body, after.body)
        details: dict[str, Any] = {
            "added": paragraphs.added,
            "removed": paragraphs.removed,
            "reworded": paragraphs.reworded,
        }
        text_diff = diff_text("\n\n".join(before.body), "\n\n".join(after.body), field="body")
        what = f"{paragraphs.added} added, {paragraphs.removed} removed, {paragraphs.reworded} reworded paragraph(s)"
        return text_diff, what, details
    old, new = _field_text(before, name), _field_text(after, name)
    text_diff = diff_text(old, new, field=name)
    details = {}
    if name == "published" and before.published and after.published:
        details = {
            "before": before.published,
            "after": after.published,
            "backdated": after.published < before.published,
        }
    return text_diff, short_summary(text_diff, max_chars=200), details


def _field_text(version: Version, name: str) -> str:
    value = getattr(version, name)
    if isinstance(value, tuple):
        return "\n".join(value)
    return value or ""


_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u2032`]")


def slug_words(slug: str) -> set[str]:
    """Words of a URL slug or a headline: percent-decoded, accents folded, apostrophes dropped,
    split on anything else not a letter or digit.

    Apostrophes are dropped, not split on, because slugs drop them: "Iran's" becomes "Irans"
    in the URL, and must not count as the two words "iran" and "s" in the headline.
    """
    words = re.split(r"[\W_]+", _APOSTROPHES.sub("", unquote(slug)).lower())
    folded = (unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in words)
    return {w for w in folded if w}


def slug_mismatch(first: Version) -> Change | None:
    """The slug freezes an early headline; a first capture whose headline no longer matches it is
    evidence of a headline edit that happened before we ever saw the article."""
    words, headline = slug_words(first.slug), slug_words(first.headline)
    if not words or not headline:
        return None
    overlap = len(words & headline) / len(words | headline)
    if overlap >= SLUG_MISMATCH_THRESHOLD:
        return None
    return Change(
        outlet=first.outlet,
        article_id=first.article_id,
        kind="slug_mismatch",
        declared=False,
        host=first.host,
        to_record=first.record_id,
        to_time=first.fetched_at,
        to_version=first.version,
        summary=f"headline does not match the URL slug (overlap {overlap:.0%}): an earlier headline was never captured",
        diff_text=diff_text(" ".join(sorted(words)), " ".join(sorted(headline)), field="slug").text,
        section=first.section,
        details={"slug": first.slug, "headline": first.headline, "overlap": round(overlap, 3)},
    )


def divergence(reference: Version, other: Version, *, reference_host: str) -> Change | None:
    """``other`` (a mirror's copy) differs from ``reference`` (the first live domain's), field by field.

    One change for the pair, whatever fields differ: the kinds are listed in its details and
    each field's diff is in its text, so a researcher reads what the two domains disagree on.
    """
    fields = classify(reference, other)
    if not fields:
        return None
    kinds = [c.kind for c in fields]
    return Change(
        outlet=other.outlet,
        article_id=other.article_id,
        kind="mirror_divergence",
        declared=False,
        host=other.host,
        to_record=other.record_id,
        to_time=other.fetched_at,
        from_version=reference.version,
        to_version=other.version,
        from_record=reference.record_id,
        from_time=reference.fetched_at,
        summary=f"{other.host} shows a different {', '.join(kinds)} than {reference_host}",
        diff_text="\n".join(f"{c.kind}: {c.diff_text}" for c in fields),
        diff_html="\n".join(f"<h4>{c.kind}</h4>\n{c.diff_html}" for c in fields),
        section=reference.section,
        details={"hosts": [reference_host, other.host], "kinds": kinds},
    )


def fate_change(
    kind: str,
    *,
    outlet: str,
    article_id: str,
    host: str,
    record_id: str,
    fetched_at: str,
    summary: str,
    last: Version | None,
    details: Mapping[str, Any] | None = None,
) -> Change:
    """A retraction, redirect or restoration: the article's fate changed, not its text."""
    return Change(
        outlet=outlet,
        article_id=article_id,
        kind=kind,
        declared=False,
        host=host,
        to_record=record_id,
        to_time=fetched_at,
        from_version=last.version if last else None,
        from_record=last.record_id if last else None,
        from_time=last.fetched_at if last else None,
        summary=summary,
        section=last.section if last else "",
        details=dict(details or {}),
    )
