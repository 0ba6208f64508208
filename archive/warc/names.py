"""The names of WARC files and of their objects in the store, built and read in one place.

A closed file is ``{prefix}-{YYYYMMDDHHMMSS}-{serial:05d}.warc.gz``: the prefix is unique to
the run that wrote it (``<outlet>-<run>``, a shard adds ``-s<n>``, a probe run says ``probe``),
the time is when the writer opened the file (UTC), the serial counts the writer's files from 0.
While the writer holds it the file is ``<name>.open``; recovery sets a file damaged before its
torn tail aside as ``<name>.damaged``. In the store the file is the object
``warcs/<outlet>/YYYY/MM/DD/<name>``, partitioned by that time, so a listing can ask for days.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from archive.errors import EdittrailError

SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
DAMAGED_SUFFIX = ".damaged"
WARC_GLOB = f"*{SUFFIX}"
"""Closed WARC files in a directory (``Path.glob``)."""

_NAME = re.compile(r"^(?P<prefix>[^/]+)-(?P<time>\d{14})-(?P<serial>\d{5,})\.warc\.gz$")
_SHARD = re.compile(r"-s\d+$")
_FORM = "<prefix>-<YYYYMMDDHHMMSS>-<serial>.warc.gz"


class WarcNameError(EdittrailError, ValueError):
    """A file or object name is not the name of a closed WARC file as the writer makes it."""


@dataclass(frozen=True)
class WarcName:
    """One closed WARC file's name: who wrote it, when the file was opened, its serial.

    ``str()`` is the file name; ``WarcName.parse`` reads it back (from a file name, a path
    or a store key). ``opened_at`` is kept to the second, as the name holds it.
    """

    prefix: str
    opened_at: datetime
    serial: int

    def __post_init__(self) -> None:
        if not self.prefix or "/" in self.prefix:
            raise WarcNameError(f"WARC prefix {self.prefix!r} must be non-empty and hold no '/'")
        if self.opened_at.tzinfo is None:
            raise WarcNameError(f"WARC file time {self.opened_at} must be timezone-aware (UTC)")
        if self.serial < 0:
            raise WarcNameError(f"WARC file serial {self.serial} must not be negative")
        object.__setattr__(self, "opened_at", self.opened_at.astimezone(UTC).replace(microsecond=0))

    @classmethod
    def parse(cls, name: str) -> WarcName:
        """The name of a closed WARC file, a path to one or its store key (the last ``/`` part)."""
        base = name.rsplit("/", 1)[-1]
        match = _NAME.match(base)
        if match is None:
            raise WarcNameError(f"{name!r} is not a closed WARC file name ({_FORM})")
        try:
            opened_at = datetime.strptime(match["time"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise WarcNameError(f"{name!r}: {match['time']} is not a time YYYYMMDDHHMMSS ({_FORM})") from None
        return cls(match["prefix"], opened_at, int(match["serial"]))

    def __str__(self) -> str:
        t = self.opened_at
        return f"{self.prefix}-{t.year:04d}{t:%m%d%H%M%S}-{self.serial:05d}{SUFFIX}"

    @property
    def crawl(self) -> str:
        """The crawl (or probe run) that wrote the file: the prefix without a shard's ``-s<n>``.

        Every file of a run, whichever shard wrote it, has the same crawl, so captures can be
        grouped by run from the WARCs alone (a rebuilt index batches them as the runs did).
        """
        return _SHARD.sub("", self.prefix)

    def object_key(self, outlet: str) -> str:
        """``warcs/<outlet>/YYYY/MM/DD/<name>``: the store key, under the day the file was opened."""
        return f"{store_prefix(outlet, self.opened_at.date())}{self}"


def store_prefix(outlet: str, day: date | None = None) -> str:
    """The store prefix of the outlet's WARC objects (``warcs/<outlet>/``), or of one day's."""
    return f"warcs/{outlet}/" if day is None else f"warcs/{outlet}/{day:%Y/%m/%d}/"


def is_closed(name: str) -> bool:
    """Whether a file name or store key names a closed WARC file (not one open or set aside)."""
    return name.endswith(SUFFIX)


@functools.lru_cache(maxsize=4096)
def crawl_batch(key: str) -> str:
    """The crawl a WARC file or object came from (``WarcName.crawl``), open or set aside ones too.

    A name not in the writer's form (an object put in the store by hand) is a batch of its own.
    Remembered per key: detect asks it of every capture, and an object holds thousands.
    """
    name = key.rsplit("/", 1)[-1].removesuffix(OPEN_SUFFIX).removesuffix(DAMAGED_SUFFIX)
    try:
        return WarcName.parse(name).crawl
    except WarcNameError:
        return name
