"""Worker processes: results in order, routed items on one worker, and whatever a worker cannot
do (it raised, it was killed, there are none) done in the calling process."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from archive.extract import remembered as rem
from archive.workers import PARALLEL_MIN, Workers


def where_each_ran(items: list[int]) -> list[tuple[int, int]]:
    """A worker's answer: each item with the process that saw it."""
    return [(item, os.getpid()) for item in items]


@pytest.mark.integration
def test_items_of_one_route_reach_one_worker_and_results_come_back_in_the_items_order():
    items = list(range(5 * PARALLEL_MIN))
    with Workers(workers=2) as workers:
        results = workers.map(where_each_ran, items, route=lambda item: item % 7).collect()
    assert results is not None and [item for item, _ in results] == items
    workers = {route: {pid for item, pid in results if item % 7 == route} for route in range(7)}
    assert all(len(pids) == 1 for pids in workers.values())  # every item of a route on one worker
    assert len(set().union(*workers.values())) == 2 and os.getpid() not in set().union(*workers.values())
    with Workers(workers=2) as workers:  # together they remember what one process would
        assert set(workers.map(capacity_there, items).collect() or []) == {rem.REMEMBERED // 2}


def test_too_few_items_or_one_core_send_nothing_and_leave_the_work_to_the_caller():
    with Workers(workers=2) as workers:
        assert workers.map(where_each_ran, list(range(PARALLEL_MIN - 1))).collect() is None
    with Workers(workers=1) as workers:
        assert workers.map(where_each_ran, list(range(4 * PARALLEL_MIN))).collect() is None


def capacity_there(items: list[int]) -> list[int]:
    """A worker's answer: how many extractions it may remember."""
    return [rem._capacity for _ in items]


def slowly(items: list[int]) -> list[int]:
    """A worker's answer after a while: long enough to be killed in the middle."""
    time.sleep(0.01 * len(items))
    return items


@pytest.mark.integration
def test_a_killed_worker_gives_nothing_the_caller_then_does_the_work_and_the_workers_are_not_tried_again(caplog):
    items = list(range(4 * PARALLEL_MIN))
    with Workers(workers=2) as workers:
        assert workers.map(where_each_ran, items).collect() is not None
        doomed = workers.map(slowly, items)
        for pool in workers._pools:
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                process.kill()
        assert doomed.collect() is None
        assert workers.map(where_each_ran, items).collect() is None
    assert "worker processes failed" in caplog.text


def ran_where(item: int) -> tuple[int, int]:
    """A worker's answer for one item: it, and the process that saw it."""
    return item, os.getpid()


def slow_on_workers(item: int) -> tuple[int, int]:
    """Long enough on a worker to be killed in the middle; at once in the calling process."""
    if multiprocessing.parent_process() is not None:
        time.sleep(5)
    return item, os.getpid()


def fails_on_workers(item: int) -> tuple[int, int]:
    """An item a worker cannot do (a store failing there): done again in the calling process."""
    if item % 2 and multiprocessing.parent_process() is not None:
        raise OSError(f"no store on this worker for {item}")
    return item, os.getpid()


@pytest.mark.integration
def test_each_gives_every_result_in_order_the_first_done_here_while_the_workers_start_on_the_next():
    items = list(range(9))
    with Workers(workers=2) as workers:
        results = [call() for call in workers.each(ran_where, items)]
    assert [item for item, _ in results] == items
    assert results[0][1] == os.getpid() and all(pid != os.getpid() for _, pid in results[1:])
    assert len({pid for _, pid in results[1:]}) == 2
    with Workers(workers=1) as workers:  # one core: everything here
        assert {pid for _, pid in (call() for call in workers.each(ran_where, items))} == {os.getpid()}


@pytest.mark.integration
def test_each_does_here_what_a_worker_could_not_and_a_killed_worker_leaves_the_rest_here(caplog):
    items = list(range(1, 8))
    with Workers(workers=2) as workers:
        results = [call() for call in workers.each(fails_on_workers, items)]
        assert [item for item, _ in results] == items
        assert all((pid == os.getpid()) == (item % 2 == 1) for item, pid in results)  # odd items failed there
        calls = workers.each(slow_on_workers, items)
        first = next(calls)()
        for pool in workers._pools:
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                process.kill()
        rest = [call() for call in calls]
    assert [first[0], *(item for item, _ in rest)] == items and {pid for _, pid in rest} == {os.getpid()}
    assert "worker processes failed" in caplog.text


@pytest.mark.integration
def test_start_returns_at_once_and_the_workers_it_boots_are_the_ones_that_work():
    with Workers(workers=2) as workers:
        workers.start()  # boots in the background; leaving at once stops them cleanly
    with Workers(workers=2) as workers:
        workers.start()
        results = workers.map(where_each_ran, list(range(PARALLEL_MIN))).collect()
        assert results is not None and len({pid for _, pid in results}) == 2
        assert not workers._broken
    with Workers(workers=1) as workers:  # one core: nothing to boot
        workers.start()
        assert workers._pools == [] and workers._sender is None
