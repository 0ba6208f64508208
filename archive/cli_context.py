"""What every ``edittrail`` command shares: the lazily loaded config and the error convention.

Errors meant for the user (EdittrailError) become one line on stderr and exit code 1; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from archive.config import Config, load_config
from archive.errors import EdittrailError


def fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EdittrailError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


class Context:
    """The ``--config`` path, loaded and validated on first use (``--help`` needs no config)."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


pass_context = click.make_pass_decorator(Context)


class ProgressBar:
    """A click progress bar on stderr, sized on the first update (the work is counted as it starts).

    Stays silent when stderr is not a terminal, so logs, pipes and ``--json`` output are never
    mixed with bar drawing.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._done = 0

    def update(self, done: int, total: int, item: str) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr, item_show_func=_short)
            self._bar.__enter__()
        self._bar.update(done - self._done, item)
        self._done = done

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _short(item: str | None) -> str:
    return (item or "").rsplit("/", 1)[-1][-60:]
