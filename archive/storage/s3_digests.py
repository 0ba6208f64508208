"""What one read of a local file gives an S3 upload: its SHA-256 and its parts' SHA-256s.

The part layout is fixed here, before the upload, so the checksum the store reports for a
multipart object (a SHA-256 of the parts' SHA-256s, ``<base64>-<parts>``) can be predicted
and compared. Reading a local file that fails is a StoreError naming the file, so the store
step keeps it in the spool and goes on with the others.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.errors import StoreError
from archive.storage.s3_settings import MAX_PARTS, MiB

_CHUNK = MiB


@dataclass(frozen=True)
class FileDigests:
    """What one pass over the local file gives: its SHA-256 and, for multipart, each part's."""

    size: int
    sha256: bytes
    parts: tuple[tuple[int, int, bytes], ...]  # (offset, length, sha256) per part; () for one PUT

    @property
    def hex(self) -> str:
        return self.sha256.hex()

    def expected_checksum(self) -> str:
        """The ChecksumSHA256 the store reports: of the bytes, or of the part checksums (COMPOSITE)."""
        if not self.parts:
            return b64(self.sha256)
        composite = hashlib.sha256(b"".join(digest for _, _, digest in self.parts)).digest()
        return f"{b64(composite)}-{len(self.parts)}"

    def matches(self, stored: str) -> bool:
        """Whether the store's checksum is ours; S3 writes a composite as ``<b64>-<parts>``."""
        value, _, count = stored.partition("-")
        expected, _, our_count = self.expected_checksum().partition("-")
        return value == expected and count in ("", our_count)


def digest_file(path: Path, multipart_threshold: int, part_size: int) -> FileDigests:
    """SHA-256 of the file and, from ``multipart_threshold`` on, of each part, in one read."""
    try:
        size = path.stat().st_size
        if size < multipart_threshold:
            layout: list[tuple[int, int]] = []
        else:
            part = max(part_size, -(-size // MAX_PARTS))
            layout = [(offset, min(part, size - offset)) for offset in range(0, size, part)]
        whole, parts = hashlib.sha256(), []
        with open(path, "rb") as fh:
            for offset, length in layout or [(0, size)]:
                digest, left = hashlib.sha256(), length
                while left and (chunk := fh.read(min(_CHUNK, left))):
                    digest.update(chunk)
                    whole.update(chunk)
                    left -= len(chunk)
                parts.append((offset, length, digest.digest()))
    except OSError as exc:
        raise unreadable(path, exc) from exc
    return FileDigests(size, whole.digest(), tuple(parts) if layout else ())


def unreadable(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"could not read the local file {path}: {exc.strerror or exc}; it stays in the spool and the next run "
        "tries again; check the file's permissions and the disk"
    )


def open_local(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise unreadable(path, exc) from exc


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")
