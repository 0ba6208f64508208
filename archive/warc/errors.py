"""Errors raised while reading WARC files.

They carry the file name and the byte offset of the record that could not be read, so an
operator can find the damage with `warcio extract FILE OFFSET` or a hex editor.
"""

from __future__ import annotations

from archive.errors import EdittrailError


class WarcReadError(EdittrailError):
    """A WARC file is malformed: bad gzip, bad headers, or a wrong Content-Length.

    The message says where (file and offset), what was wrong, and what to do.
    """

    def __init__(self, name: str, offset: int, reason: str) -> None:
        self.name = name
        self.offset = offset
        self.reason = reason
        super().__init__(f"{name} at offset {offset}: {reason}")

    def __reduce__(self) -> tuple[type[WarcReadError], tuple[str, int, str]]:
        """Rebuilt from its parts, so that damage found on a worker process reaches the index as found."""
        return (type(self), (self.name, self.offset, self.reason))


class WarcTruncatedError(WarcReadError):
    """The data ends inside a record: the file was cut short.

    This is what a crawler killed mid-write leaves behind (and what an interrupted copy
    looks like), as opposed to damage in the middle of a file; `recover_open_file` only
    repairs this kind.
    """


class WarcNothingToRecoverError(WarcReadError):
    """A `.warc.gz.open` file ends before its first record is whole (or is empty).

    The writer died while starting the file, before any capture was complete in it: there is
    nothing to keep, and the file can be deleted.
    """
