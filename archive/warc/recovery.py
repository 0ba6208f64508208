"""What a killed crawl leaves in the spool, told apart from what a live crawl is writing.

The lock protocol: `WarcWriter` creates each `.warc.gz.open` file already holding an
exclusive `flock` on it (`create_locked`) and renames it to `.warc.gz` before closing it.
The kernel releases a `flock` when its process ends, however it ends (SIGKILL, OOM kill, a
lost worker), so an `.open` file whose lock can be taken belongs to a dead writer, and one
whose lock cannot belongs to a live one, whatever its age or mtime. No pid files to go
stale, no clock to trust. `recover_spool` takes the lock itself before repairing a file,
so two recoveries (or a recovery and a writer) never touch the same file.

The lock is only as good as the filesystem's `flock`: local filesystems and NFSv4 (where
Linux emulates `flock` with byte-range locks) honour it between processes and hosts;
a filesystem that ignores locks (some FUSE mounts) would let a live file be claimed, so
keep the spool on a local or NFSv4 disk.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from archive.warc.errors import WarcNothingToRecoverError, WarcReadError
from archive.warc.names import DAMAGED_SUFFIX, OPEN_SUFFIX, SUFFIX
from archive.warc.reader import recover_open_file

log = logging.getLogger(__name__)

STAGING_SUFFIX = ".new"

_Claim = Literal["claimed", "in_use", "gone"]


@dataclass(frozen=True)
class SpoolRecovery:
    """What `recover_spool` did with each `.open` file it found."""

    recovered: tuple[Path, ...] = ()
    """Repaired and renamed to `.warc.gz`: store them like any closed file."""
    in_use: tuple[Path, ...] = ()
    """Still locked by a live writer: left alone."""
    discarded: tuple[Path, ...] = ()
    """Deleted: the writer died before the file held one whole record."""
    damaged: tuple[Path, ...] = ()
    """Damaged before their torn tail: renamed to `.damaged` for an operator (the paths are the new names)."""


def create_locked(path: Path) -> BinaryIO:
    """Create `path` exclusively, already holding an exclusive `flock` on it.

    The file is made under a staging name, locked, then hard-linked to `path`, so the
    `.open` name never exists unlocked while its writer lives. A writer killed between the
    two steps leaves an empty, unlocked `*.new` file that `recover_spool` removes.
    """
    staging = path.with_name(f"{path.name}.{os.getpid()}{STAGING_SUFFIX}")
    out = staging.open("xb", buffering=0)  # unbuffered: the writer sends whole exchanges
    try:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.link(staging, path)
    except BaseException:
        out.close()
        raise
    finally:
        staging.unlink(missing_ok=True)
    return out


def recover_spool(directory: Path) -> SpoolRecovery:
    """Repair every `.warc.gz.open` in `directory` that no live writer holds.

    Each abandoned file is cut after its last whole record and renamed to `.warc.gz`
    (`recover_open_file`); one without a whole record is deleted (it held no capture); one
    damaged before its tail is renamed to `.warc.gz.damaged` and left for an operator.
    """
    recovered, in_use, discarded, damaged = [], [], [], []
    for path in sorted(directory.glob(f"*{SUFFIX}{OPEN_SUFFIX}")):
        with _claim(path) as claim:
            if claim == "in_use":
                log.info("WARC still being written, left alone warc=%s", path)
                in_use.append(path)
            elif claim == "claimed":
                try:
                    recovered.append(recover_open_file(path))
                    log.warning("recovered WARC left by a killed crawl warc=%s", recovered[-1])
                except WarcNothingToRecoverError as exc:
                    path.unlink()
                    discarded.append(path)
                    log.warning("deleted WARC without a whole record warc=%s: %s", path, exc.reason)
                except (WarcReadError, FileExistsError) as exc:
                    target = path.with_name(path.name.removesuffix(OPEN_SUFFIX) + DAMAGED_SUFFIX)
                    path.rename(target)
                    damaged.append(target)
                    log.error("cannot recover WARC, moved aside warc=%s: %s", target, exc)
    for path in sorted(directory.glob(f"*{SUFFIX}{OPEN_SUFFIX}.*{STAGING_SUFFIX}")):
        with _claim(path) as claim:
            if claim == "claimed":
                path.unlink()
    return SpoolRecovery(tuple(recovered), tuple(in_use), tuple(discarded), tuple(damaged))


@contextmanager
def _claim(path: Path) -> Iterator[_Claim]:
    """Hold `path`'s lock for the block if no one else does.

    "gone" when the file disappeared, or was renamed by its writer closing it between the
    glob and the lock (the name then no longer points at the locked file).
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)  # NFS emulates flock with locks that need write access
    except FileNotFoundError:
        yield "gone"
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield "in_use"
            return
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        yield "claimed" if same else "gone"
    finally:
        os.close(fd)
