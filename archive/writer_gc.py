"""Garbage collection of the index's single writer while it does bulk work (index, detect, rebuild).

Such work allocates containers by the million (records, captures, versions, items), nearly all
freed by reference counting, and the collector with CPython's default thresholds runs whenever
allocations outnumber deallocations by 700, each full collection walking every object the
process holds, its imports included. Measured on the bench's rebuild (8,008 captures, fresh
process): 405 collections took 0.23 s of a 2.7 s rebuild, 0.15 s of it in full ones, about a
tenth of the writer's CPU.

:func:`collecting_less` freezes what the process holds when the work begins (modules, config:
alive until the process ends) so that no collection walks it again, and collects young objects
once allocations outnumber deallocations by ``THRESHOLDS[0]`` instead of 700: 2 collections and
0.03 s on the same rebuild (5,000 made 48 collections and 0.1 s). Garbage in reference cycles
is still collected, later: a cycle that outlives a young collection waits for an older one.

A process that is frozen already keeps its freeze as it is (a Celery or LocalExecutor task
process, forked from a parent that froze before forking so that its pages stay shared): there
only the thresholds change, since unfreezing afterwards would undo the parent's freeze too.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 20)
"""The collector's thresholds during bulk work (CPython's default: 700, 10, 10)."""

_lock = threading.Lock()
_depth = 0
_before: tuple[int, int, int] = gc.get_threshold()
_froze = False


@contextmanager
def collecting_less() -> Iterator[None]:
    """Bulk work with fewer collections (see the module); the collector is as it was after.

    Nested uses (a stage calling another) keep the outermost's settings. What another part
    of the process froze before stays frozen: this only unfreezes what it froze."""
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _depth, _before, _froze
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        _before = gc.get_threshold()
        _froze = gc.get_freeze_count() == 0  # someone else's freeze is theirs to undo
        if _froze:
            gc.freeze()
        gc.set_threshold(*THRESHOLDS)


def _leave() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        gc.set_threshold(*_before)
        if _froze:
            gc.unfreeze()
