"""The outlet's noise model as the index keeps it: a batch's evidence learned into it, the model read back.

What is noise is decided in :mod:`archive.detect.noise`; the rows live in ``noise_learned``
(:mod:`archive.index.noise`). This module joins the two, so that the index stores patterns
without importing the stage that judges them.
"""

from __future__ import annotations

from collections.abc import Iterable

from archive.detect.noise import Evidence, NoiseModel, model_of, to_learn
from archive.index import Index
from archive.index import noise as noise_index


def record_evidence(idx: Index, outlet: str, evidence: Iterable[Evidence], articles: int = 0) -> int:
    """Learn each pattern enough of the batch's ``articles`` show; returns how many were learned."""
    patterns = to_learn(evidence, articles, noise_index.learned_keys(idx, outlet))
    return noise_index.add_learned(idx, outlet, patterns)


def model(idx: Index, outlet: str) -> NoiseModel:
    """The outlet's noise model as learned so far: the one given last when nothing changed, so
    that what it remembers (each content's fingerprint, each field's compared items) serves the
    next batch too, where an unedited site's pages are the last batch's again (and what the
    last batch did not ask for is forgotten: :meth:`NoiseModel.age`)."""
    built = model_of(noise_index.learned(idx, outlet))
    last = _last.get(outlet)
    if last is not None and last == built:
        last.age()
        return last
    _last[outlet] = built
    return built


_last: dict[str, NoiseModel] = {}
"""The model given last, by outlet (one each: a model's answers depend on its patterns alone)."""


def forget() -> None:
    """Drop the models given last: a benchmark round then costs what a fresh process pays."""
    _last.clear()
