"""Where a task runs: whatever opens the SQLite files runs on the machine that holds them.

The index, ``mirrors.sqlite`` and ``alerts.sqlite`` are SQLite in WAL mode: they must stay on
one machine's local disk (never a network filesystem). With the CeleryExecutor on several
machines, the tasks that open them go to the Celery queue ``edittrail_index``, which only the
worker on that machine serves (``airflow celery worker --queues default,edittrail_index``);
crawls and store go to the default queue, served by every worker. The index's writers also
share the one-slot pool ``edittrail_index``, so one of them runs at a time. With the
LocalExecutor (``make run``) queues mean nothing and everything runs on the one machine.

Not a DAG: a module the DAG files import (the DAG folder is on ``sys.path``).
"""

from __future__ import annotations

from typing import TypedDict


class Placement(TypedDict, total=False):
    """Where a task runs: the ``queue`` and ``pool`` arguments of ``@task``."""

    queue: str
    pool: str


INDEX_QUEUE = "edittrail_index"
INDEX_POOL = "edittrail_index"

ON_INDEX_HOST: Placement = {"queue": INDEX_QUEUE}
"""Reads or writes a SQLite file (plan reads the index; alerts and probes write their databases)."""

SINGLE_WRITER: Placement = {"queue": INDEX_QUEUE, "pool": INDEX_POOL}
"""Writes the index: on its machine, and one at a time."""
