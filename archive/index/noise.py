"""The outlet's learned noise (:mod:`archive.detect.noise`): what was learned, one row per pattern.

Derived like every detection table: ``redetect`` and ``reindex`` learn it again from the WARCs.
The table is as small as the outlet's noise, not its archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive.detect.noise import MIN_ARTICLES, PER_REQUEST_VALUES, Evidence, NoiseModel, threshold
from archive.index.records import LearnedNoise

if TYPE_CHECKING:
    from archive.index import Index


def record_evidence(index: Index, outlet: str, evidence: Iterable[Evidence], articles: int = 0) -> int:
    """Learn each pattern enough articles of this batch show (:func:`archive.detect.noise.threshold` of the
    batch's ``articles``); returns how many were learned.

    Evidence is never carried from one crawl to the next: noise shows in every article at once,
    while real edits that happen to look alike (three photo swaps in a year) come one at a time.
    """
    db = index._db
    known = {row["key"] for row in db.query("SELECT key FROM noise_learned WHERE outlet = ?", [outlet])}
    found: dict[str, tuple[Evidence, set[str]]] = {}
    values: dict[tuple[str, str], set[str]] = {}
    for item in evidence:
        if item.key not in known:
            found.setdefault(item.key, (item, set()))[1].add(item.article_id)
            values.setdefault((item.key, item.article_id), set()).update(item.values)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    needed = {kind: threshold(articles, kind) for kind in {item.kind for item, _ in found.values()}}
    rows = [
        {
            "outlet": outlet,
            "key": key,
            "kind": item.kind,
            "field": item.field,
            "pattern": item.pattern,
            "slot": item.slot,
            "articles": len(ids),
            "learned_at": now,
            "example": item.example,
        }
        for key, (item, ids) in found.items()
        if len(ids) >= needed[item.kind] or per_request(key, ids, values)
    ]
    db.table("noise_learned").insert_all(rows, pk=("outlet", "key"), replace=True)
    return len(rows)


def per_request(key: str, articles: set[str], values: dict[tuple[str, str], set[str]]) -> bool:
    """Whether :data:`MIN_ARTICLES` articles each showed the pattern with a different value on
    nearly every copy: noise that only some articles carry (an embedded post's counters)."""
    changing = sum(1 for a in articles if len(values.get((key, a), ())) >= PER_REQUEST_VALUES)
    return changing >= MIN_ARTICLES


def model(index: Index, outlet: str) -> NoiseModel:
    """The outlet's noise model as learned so far."""
    slots: dict[tuple[str, str], set[int]] = {}
    texts: set[tuple[str, str]] = set()
    shapes: set[tuple[str, str]] = set()
    place: set[str] = set()
    tokens: set[tuple[str, str]] = set()
    contexts: set[tuple[str, str]] = set()
    prefixes: set[tuple[str, str]] = set()
    for entry in learned(index, outlet):
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


def learned(index: Index, outlet: str) -> list[LearnedNoise]:
    """What was learned, oldest first (for ``status`` and the article page)."""
    db = index._db
    if not db["noise_learned"].exists():
        return []
    return [
        LearnedNoise.from_row(row)
        for row in db.query(
            "SELECT kind, field, pattern, slot, articles, learned_at, example FROM noise_learned "
            "WHERE outlet = ? ORDER BY learned_at, kind, field, pattern, slot",
            [outlet],
        )
    ]
