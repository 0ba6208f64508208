"""Object stores for closed WARC files, chosen by URI scheme.

The store is where evidence lives, so its contract is strict: ``put`` is create-only and
verified (an existing object with the same checksum counts as success, a different one is an
error that keeps both), reads are streamed or by byte range, and ``verify`` re-reads the
stored bytes. ``file://`` is the embedded default; ``s3://bucket/prefix`` is any S3-compatible
store (``archive/storage/s3.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import StoreError
from archive.storage.objects import HashingReader, ObjectStore, StoredObject

if TYPE_CHECKING:
    from archive.storage.s3_settings import S3Settings

__all__ = ["HashingReader", "ObjectStore", "StoredObject", "open_store"]


def open_store(url: str, root: Path, *, s3: S3Settings | None = None) -> ObjectStore:
    """The backend for a store URL; relative ``file://`` paths are taken from ``root``.

    ``s3`` says how to reach an ``s3://`` store (endpoint, region, checksums, credentials:
    ``Outlet.s3_settings`` builds it from ``[outlets.NAME.s3]``); without it boto3's own
    configuration applies: the standard credential chain, and
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for an S3-compatible endpoint.
    """
    scheme, _, rest = url.partition("://")
    if scheme == "file":
        from archive.storage.local import LocalStore

        return LocalStore(root / rest)
    if scheme == "s3":
        from archive.storage.s3 import S3Store
        from archive.storage.s3_settings import S3Settings, parse_s3_url

        bucket, prefix = parse_s3_url(url)
        return S3Store(bucket, prefix, settings=s3 or S3Settings())
    raise StoreError(f"store {url!r}: unknown scheme {scheme!r}; use file:// or s3://")
