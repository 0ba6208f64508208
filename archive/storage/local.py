"""A directory as object store: the embedded default, and the model the S3 backend follows."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, SupportsIndex

from archive.errors import StoreError
from archive.storage.objects import StoredObject

log = logging.getLogger(__name__)
_CHUNK = 1 << 20
STALE_UPLOAD_SECONDS = 3600
"""A temporary upload file this old was left by a killed writer (a live copy renews its mtime)."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so a 1 GB WARC never sits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_stale_uploads(directory: Path) -> None:
    """Temporary files a writer killed mid-copy left (its ``finally`` never ran); never listed, but disk."""
    now = time.time()
    for leftover in directory.glob(".upload-*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_UPLOAD_SECONDS:
                leftover.unlink()
                log.info("removed an abandoned upload file=%s", leftover)
        except OSError:  # another writer removed it, or it is not ours to remove
            continue


PATHS_REMEMBERED = 4096


@functools.lru_cache(maxsize=8)
def reopened(root: str) -> LocalStore:
    """The store of ``root`` in this process, one per directory (what an unpickled store is)."""
    return LocalStore(Path(root))


class LocalStore:
    """Objects are files below ``root``; keys are relative POSIX paths."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = f"file://{self.root}"
        self._paths: dict[str, Path] = {}

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        """Pickled as its directory, and unpickled as the one store of that directory in the
        receiving process: a worker sent records to read, batch after batch, keeps resolving
        paths once (see :func:`reopened`). A subclass pickles as any object does."""
        if type(self) is not LocalStore:
            return super().__reduce_ex__(protocol)
        return reopened, (str(self.root),)

    def _path(self, key: str) -> Path:
        """The key's file, refused when it resolves outside the store (``..``, a symlink out).

        Resolving costs a system call per path component, and detect reads many records of one
        object, so each key's answer is kept (a few thousand keys at most: one per WARC object).
        """
        known = self._paths.get(key)
        if known is not None:
            return known
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StoreError(f"{self.url}: key {key!r} escapes the store directory")
        if len(self._paths) >= PATHS_REMEMBERED:
            self._paths.clear()
        self._paths[key] = path
        return path

    def put(self, path: Path, key: str) -> StoredObject:
        """Copy to a temporary name, then hard-link into place: the link fails if the key exists,
        so two writers can never overwrite each other, and a crash leaves no partial object."""
        target = self._path(key)
        try:
            source_sha = sha256_file(path)
            source = open(path, "rb")  # noqa: SIM115  # closed below; only opening it is guarded here
        except OSError as exc:
            raise StoreError(
                f"{self.url}: could not read the local file {path} for {key}: {exc.strerror or exc}; it stays in "
                "the spool and the next run tries again; check the file's permissions and the disk"
            ) from exc
        with source:
            return self._put(source, target, key, source_sha)

    def _put(self, source: BinaryIO, target: Path, key: str, source_sha: str) -> StoredObject:
        if target.exists():
            return self._existing(target, key, source_sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_uploads(target.parent)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                return self._existing(target, key, source_sha)
        except OSError as exc:
            raise StoreError(f"{self.url}: could not write {key}: {exc}") from exc
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        if not self.verify(key, source_sha):
            raise StoreError(f"{self.url}: {key} does not match its source after writing; the spool copy is kept")
        log.info("stored key=%s store=%s", key, self.url)
        return StoredObject(key=key, size=target.stat().st_size, sha256=source_sha)

    def _existing(self, target: Path, key: str, source_sha: str) -> StoredObject:
        stored_sha = sha256_file(target)
        if stored_sha != source_sha:
            raise StoreError(
                f"{self.url}: {key} already exists with different content (sha256 {stored_sha[:12]}… vs "
                f"{source_sha[:12]}…); both are kept: inspect them before removing either"
            )
        return StoredObject(key=key, size=target.stat().st_size, sha256=stored_sha)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise StoreError(f"{self.url}: no object {key}") from None

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        with self.open(key) as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise StoreError(f"{self.url}: {key} is shorter than offset {offset} + length {length}")
        return data

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """The objects whose key starts with ``prefix``, in key order; only the prefix's directory
        is walked (a day's WARCs are listed without reading the whole archive's tree)."""
        base = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
        if ".." in Path(prefix).parts or not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith(".upload-"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                yield StoredObject(key=key, size=path.stat().st_size, sha256=None)

    def stat(self, key: str) -> StoredObject:
        """Size only: a directory keeps no checksum of its own (the index records one)."""
        try:
            size = self._path(key).stat().st_size
        except FileNotFoundError:
            raise StoreError(f"{self.url}: no object {key}") from None
        return StoredObject(key=key, size=size, sha256=None)

    def verify(self, key: str, sha256: str) -> bool:
        try:
            return sha256_file(self._path(key)) == sha256
        except FileNotFoundError:
            return False
