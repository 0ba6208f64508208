"""Parse a record's WARC head and HTTP head as warcio's StatusAndHeadersParser does, faster.

The index step parses two heads per record, and warcio's parser (plus its header lookups,
each a scan of the list with `.lower()` on every name) took over half of its time. This is
the same algorithm line for line: each line decoded as UTF-8 or else ISO-8859-1, stripped
on the right (so a line of only spaces ends the head, as there), `Name: value` split at the
first colon, continuation lines starting with a space or tab appended to the value, lines
without a colon dropped. tests/archive/warc/test_heads.py holds it to warcio's results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Readline = Callable[[], bytes]


class HeadLineError(Exception):
    """The first line does not start with any of the expected protocols (warcio's parser exception)."""

    def __init__(self, statusline: str) -> None:
        super().__init__(f"unexpected first line {statusline!r}")
        self.statusline = statusline


class Head:
    """A parsed head: protocol, status line, headers in order; `get` is case-insensitive."""

    __slots__ = ("_first", "headers", "protocol", "statusline")

    def __init__(self, protocol: str, statusline: str, headers: list[tuple[str, str]]) -> None:
        self.protocol = protocol
        self.statusline = statusline
        self.headers = headers
        self._first: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        """The first header called `name`, in any case (as warcio's get_header)."""
        return self.first().get(name.lower())

    def first(self) -> dict[str, str]:
        """Each header's first value by lower-case name: for many lookups, without a call each."""
        if self._first is None:
            first: dict[str, str] = {}
            for key, value in self.headers:
                first.setdefault(key.lower(), value)
            self._first = first
        return self._first

    def __bool__(self) -> bool:
        return bool(self.statusline or self.headers)


def _text(line: bytes) -> str:
    try:
        return line.decode()
    except UnicodeDecodeError:
        return line.decode("iso-8859-1")


def parse_head(readline: Readline, protocols: Sequence[str] = ()) -> Head:
    """Read a head line by line up to its blank line; `protocols` (upper case) the first line must start with.

    Raises EOFError when there is nothing to read and HeadLineError when the first line
    does not match `protocols`. Without `protocols`, the first word is the protocol.
    """
    raw = readline()
    if not raw:
        raise EOFError
    full = _text(raw)
    statusline = full.rstrip()
    if not statusline:
        return Head("", "", [])
    if protocols:
        upper = statusline.upper()
        prefix = next((p for p in protocols if upper.startswith(p)), None)
        if prefix is None:
            raise HeadLineError(full)
        protocol, rest = prefix, statusline[len(prefix) :]
    else:
        protocol, _, rest = statusline.partition(" ")
    headers: list[tuple[str, str]] = []
    line = _text(readline()).rstrip()
    while line:
        name, colon, value = line.partition(":")
        value = value.lstrip()
        following = _text(readline()).rstrip()
        while following and following[0] in " \t":
            value += following
            following = _text(readline()).rstrip()
        if colon:
            headers.append((name.rstrip(" \t"), value))
        line = following
    return Head(protocol, rest.strip(), headers)
