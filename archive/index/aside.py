"""Where ``reindex`` builds an outlet's rows before swapping them in: a fresh index file aside.

The file lives in a directory beside the index (same disk, so the swap's ``ATTACH`` reads it
locally), named after the outlet and the building process. It is removed when the rebuild
ends, however it ends; one left by a rebuild that was killed (SIGKILL runs no cleanup) is
removed by the next rebuild of that outlet once its process is gone.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def aside_index(index_path: Path, outlet: str) -> Iterator[Path]:
    """The path of a new, empty index file for rebuilding ``outlet``; removed afterwards."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    prefix = _prefix(index_path, outlet)
    remove_abandoned(index_path, outlet)
    directory = Path(tempfile.mkdtemp(dir=index_path.parent, prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield directory / index_path.name
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def remove_abandoned(index_path: Path, outlet: str) -> list[Path]:
    """Remove the rebuild directories of ``outlet`` whose process no longer runs."""
    removed = []
    prefix = _prefix(index_path, outlet)
    for directory in index_path.parent.glob(f"{prefix}*"):
        pid = directory.name.removeprefix(prefix).split("-", 1)[0]
        if directory.is_dir() and pid.isascii() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
            log.warning("removed an abandoned rebuild outlet=%s dir=%s", outlet, directory)
    return removed


def _prefix(index_path: Path, outlet: str) -> str:
    return f".{index_path.name}.reindex@{outlet}@"  # '@' ends the outlet name: "demo" is no prefix of "demo-2"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
