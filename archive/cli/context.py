"""What every ``edittrail`` command shares: the lazily loaded config, the error convention and
the argument types.

Errors meant for the user (EdittrailError) become one line on stderr and exit code 1; any
other exception is a bug and keeps its traceback. Bad arguments are click usage errors (exit
2): every argument must be text (:class:`Commands`), URLs must look like URLs (:data:`URL`),
numbers come with ranges and paths with what they must be (``click.IntRange``, ``click.Path``).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from archive.errors import EdittrailError
from archive.moments import BadTimeError, user_moment

if TYPE_CHECKING:
    from archive.config import Config


def fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EdittrailError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


class Commands(click.Group):
    """The root group: refuses an argument that is not text before any command sees it.

    On POSIX an argument is bytes; Python decodes bytes that are not UTF-8 to lone surrogates,
    which nothing downstream (SQLite, SURT, the terminal) can encode.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            if not _encodable(arg):
                raise click.UsageError(
                    f"argument {arg!r} is not valid UTF-8 text; check its encoding (or quote it)", ctx=ctx
                )
        return super().parse_args(ctx, args)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class UrlType(click.ParamType[str]):
    """A URL as given on the command line: one token of printable text, at most 8kB; with a
    scheme, ``http``/``https`` and a valid port. ``fetch=True``: a full http(s) URL to request."""

    name = "url"
    MAX_LENGTH = 8192

    def __init__(self, *, fetch: bool = False) -> None:
        self.fetch = fetch

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        example = "http://www.example.com/path"
        if not text or len(text) > self.MAX_LENGTH or re.search(r"[\s\x00-\x1f\x7f]", text):
            self.fail(f"{_cut(text)} is not a URL (empty, too long, or with spaces or control characters)", param, ctx)
        try:
            parts = urlsplit(text)
            _ = parts.port  # a port that is no number from 0 to 65535 raises ValueError
        except ValueError as exc:
            self.fail(f"{_cut(text)} is not a URL ({exc}); write e.g. {example}", param, ctx)
        has_scheme = "://" in text
        if (has_scheme or self.fetch) and (parts.scheme.lower() not in ("http", "https") or not parts.hostname):
            self.fail(f"{_cut(text)} is not an http(s) URL; write e.g. {example}", param, ctx)
        return text


def _cut(text: str, limit: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


URL = UrlType()
FETCHABLE_URL = UrlType(fetch=True)


class Context:
    """The ``--config`` path, loaded and validated on first use (``--help`` needs no config)."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from archive.config import load_config  # imported here: `--help` needs neither it nor its URL libraries

            self._config = load_config(self.config_path)
        return self._config


pass_context = click.make_pass_decorator(Context)


class ProgressBar:
    """A click progress bar on stderr, sized on the first update (the work is counted as it starts).

    Stays silent when stderr is not a terminal, so logs, pipes and ``--json`` output are never
    mixed with bar drawing.
    """

    def __init__(self, label: str, unit: str = "") -> None:
        """``unit``: what ``done`` counts, shown as a rate beside the item ("MB" for bytes,
        "captures"); none by default."""
        self.label = label
        self.unit = unit
        self._bar: Any = None
        self._done = self._first = 0
        self._started = time.monotonic()

    def update(self, done: int, total: int, item: str) -> None:
        if not sys.stderr.isatty() or self._bar is False:
            return
        step, self._done = done - self._done, done  # counted before drawing: the rate drawn is up to date
        if self._bar is None:  # the rate counts from here: work done before the bar appeared is not in it
            self._started, self._first = time.monotonic(), done
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr, item_show_func=self._shown)
            self._bar.__enter__()
        self._bar.update(step, item)
        if done >= total:  # finished: end its line, so a bar after it starts on its own
            self.__exit__()

    def _shown(self, item: str | None) -> str:
        return " ".join(part for part in (self.rate(), _short(item)) if part)

    def rate(self) -> str:
        """The rate so far in the bar's unit ("12.3 MB/s"), or "" without a unit."""
        if not self.unit:
            return ""
        seconds = max(time.monotonic() - self._started, 1e-6)
        done = self._done - self._first
        amount = done / 1e6 if self.unit == "MB" else done
        return f"{amount / seconds:,.1f} {self.unit}/s"

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar:
            self._bar.__exit__(None, None, None)
            self._bar = False  # drawn and ended: later updates draw nothing


def _short(item: str | None) -> str:
    return (item or "").rsplit("/", 1)[-1][-60:]


def moment_option(value: str, option: str) -> datetime:
    """The time given to ``option`` (``archive.moments.user_moment``); one it cannot read is a usage error."""
    try:
        return user_moment(value, option)
    except BadTimeError as exc:
        raise click.BadParameter(str(exc)) from None
