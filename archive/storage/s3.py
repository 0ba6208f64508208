"""S3 and S3-compatible stores (AWS, MinIO, Ceph RGW, R2, B2, Wasabi) through boto3.

Uploads use the client API rather than boto3's ``upload_file``: s3transfer cannot make a
write conditional (``IfNoneMatch`` is not among its upload arguments and never reaches
CompleteMultipartUpload), and checking a multipart object's checksum afterwards needs the
exact part layout, which s3transfer may change. Everything else is boto3's: credentials
(the standard chain, or keys passed in), endpoint resolution (``AWS_ENDPOINT_URL_S3``),
retries with backoff on network errors, 5xx, throttling and timeouts (botocore's
``standard`` or ``adaptive`` mode), and checksum validation of whole-object reads.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, SupportsIndex

from botocore.exceptions import BotoCoreError, ClientError, FlexibleChecksumError

from archive.errors import StoreError
from archive.storage.objects import StoredObject
from archive.storage.s3_client import CHECKSUM_HINT, error_code, make_client, store_error
from archive.storage.s3_digests import FileDigests, b64, digest_file, open_local, unreadable
from archive.storage.s3_settings import MIN_PART_SIZE, MiB, S3Settings, parse_s3_url

__all__ = ["LIST_PAGE_SIZE", "MIN_PART_SIZE", "MiB", "S3Settings", "S3Store", "make_client", "parse_s3_url"]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 1000
CONFLICT_ATTEMPTS = 3  # 409 ConditionalRequestConflict: another conditional write of the key was in flight
_CHUNK = MiB


class S3Store:
    """Objects under ``prefix`` in one bucket; keys are the same relative keys as LocalStore's."""

    def __init__(
        self, bucket: str, prefix: str = "", *, settings: S3Settings | None = None, client: S3Client | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.settings = settings or S3Settings()
        self.client = client or make_client(self.settings)
        self._client_given = client is not None
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._checksums = self.settings.checksums == "sha256"

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        """Pickled as what reaches it, never its client: the receiving process (an extraction
        worker reading records) makes its own client once per store (see :func:`reopened`). A
        subclass, or a store given its client (another endpoint, a stub), pickles as any object
        does: a client does not pickle, so such a store stays in its own process."""
        if type(self) is not S3Store or self._client_given:
            return super().__reduce_ex__(protocol)
        return reopened, (self.bucket, self.prefix, self.settings)

    def _full(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StoreError(f"{self.url}: key {key!r} must be a relative path without '..'")
        return self._root + key

    # -- writing ----------------------------------------------------------------------------

    def put(self, path: Path, key: str) -> StoredObject:
        """Create ``key`` from a local file unless it exists; verify what the store holds.

        An existing object with the same content is success (a re-run after a lost response
        or a crash after upload); a different one raises StoreError and both are kept. Any
        failure raises StoreError, so the caller keeps the spool copy for the next run.
        """
        full = self._full(key)
        digests = digest_file(path, self.settings.multipart_threshold, self.settings.part_size)
        try:
            existing = self._create(path, key, full, digests)
            if existing is not None:
                return existing
            self._check_upload(key, full, digests)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("upload", key, exc) from exc
        log.info("stored key=%s store=%s bytes=%d parts=%d", key, self.url, digests.size, len(digests.parts))
        return StoredObject(key=key, size=digests.size, sha256=digests.hex)

    def _create(self, path: Path, key: str, full: str, digests: FileDigests) -> StoredObject | None:
        """Write the object unless it exists; None once written, else what ``_existing`` says.

        A HEAD comes first even with conditional writes: a re-run then costs one request per
        object already stored instead of sending its bytes again only to meet a 412;
        ``If-None-Match`` still guards the write against a writer that races the HEAD.
        """
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                head = self._head(full)
                if head is not None:
                    return self._existing(key, head, digests)
                self._abort_leftovers(full)
                if digests.parts:
                    self._put_multipart(path, full, digests)
                else:
                    self._put_single(path, full, digests)
                return None
            except _ExistsError:
                return self._existing(key, self._head(full), digests)
            except ClientError as exc:
                if error_code(exc) == "PreconditionFailed":
                    return self._existing(key, self._head(full), digests)
                if error_code(exc) != "ConditionalRequestConflict" or attempt == CONFLICT_ATTEMPTS:
                    raise
                log.warning("conditional write conflict, retrying key=%s store=%s", key, self.url)
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _put_single(self, path: Path, full: str, digests: FileDigests) -> None:
        with open_local(path) as body:
            args: dict[str, Any] = {
                "Bucket": self.bucket,
                "Key": full,
                "Body": body,
                "ContentLength": digests.size,
                "Metadata": {"sha256": digests.hex},
            }
            if self._checksums:
                args |= {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": b64(digests.sha256)}
            if self.settings.conditional_writes:
                args["IfNoneMatch"] = "*"
            self.client.put_object(**args)

    def _put_multipart(self, path: Path, full: str, digests: FileDigests) -> None:
        """Parts in parallel (bounded), each with its own checksum; aborted on any failure."""
        create: dict[str, Any] = {"Bucket": self.bucket, "Key": full, "Metadata": {"sha256": digests.hex}}
        if self._checksums:
            create["ChecksumAlgorithm"] = "SHA256"
        upload_id = self.client.create_multipart_upload(**create)["UploadId"]
        try:
            parts = self._upload_parts(path, full, upload_id, digests)
            if not self.settings.conditional_writes and self._head(full) is not None:
                raise _ExistsError  # the re-check: another writer created it while the parts went up
            complete: dict[str, Any] = {
                "Bucket": self.bucket,
                "Key": full,
                "UploadId": upload_id,
                "MultipartUpload": {"Parts": parts},
            }
            if self.settings.conditional_writes:
                complete["IfNoneMatch"] = "*"
            self.client.complete_multipart_upload(**complete)
        except BaseException:
            self._abort(full, upload_id)
            raise

    def _upload_parts(self, path: Path, full: str, upload_id: str, digests: FileDigests) -> list[CompletedPartTypeDef]:
        def upload(number: int, offset: int, length: int, digest: bytes) -> CompletedPartTypeDef:
            try:
                with open(path, "rb") as fh:
                    fh.seek(offset)
                    data = fh.read(length)
            except OSError as exc:
                raise unreadable(path, exc) from exc
            args: dict[str, Any] = {
                "Bucket": self.bucket,
                "Key": full,
                "UploadId": upload_id,
                "PartNumber": number,
                "Body": data,
            }
            if self._checksums:
                args |= {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": b64(digest)}
            etag = self.client.upload_part(**args)["ETag"]
            part: CompletedPartTypeDef = {"PartNumber": number, "ETag": etag}
            if self._checksums:
                part["ChecksumSHA256"] = b64(digest)
            return part

        pool = ThreadPoolExecutor(max_workers=self.settings.max_concurrency, thread_name_prefix="s3-part")
        try:
            futures: list[Future[CompletedPartTypeDef]] = [
                pool.submit(upload, number, offset, length, digest)
                for number, (offset, length, digest) in enumerate(digests.parts, start=1)
            ]
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _abort(self, full: str, upload_id: str) -> None:
        """Best effort: if the store is unreachable now, the next put of this key aborts it."""
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError) and error_code(exc) == "NoSuchUpload":
                return
            log.warning("could not abort multipart upload %s of %s (the next put retries): %s", upload_id, full, exc)

    def _abort_leftovers(self, full: str) -> None:
        """Abort multipart uploads of this key left by an earlier, interrupted run.

        Object keys are unique per crawl and one store step runs per outlet at a time, so an
        unfinished upload of this key can only be a leftover: it is never completed later.
        """
        paginator = self.client.get_paginator("list_multipart_uploads")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for upload in page.get("Uploads", []):
                    if upload.get("Key") == full and "UploadId" in upload:
                        log.warning("aborting leftover multipart upload key=%s upload=%s", full, upload["UploadId"])
                        self._abort(full, upload["UploadId"])
        except ClientError as exc:
            if error_code(exc) != "NotImplemented":
                raise

    def _check_upload(self, key: str, full: str, digests: FileDigests) -> None:
        """After the write: the store's checksum (``sha256``) or the bytes read back (``none``)."""
        if not self._checksums:
            if not self.verify(key, digests.hex):
                raise StoreError(
                    f"{self.url}: {key} reads back different bytes than the local file after upload; "
                    "the spool copy is kept; inspect the object and delete it so the next run can upload again"
                )
            return
        head = self._head(full)
        if head is None:
            raise StoreError(f"{self.url}: {key} is missing right after its upload; the spool copy is kept")
        stored = head.get("ChecksumSHA256")
        if not stored:
            raise StoreError(
                f"{self.url}: the store returned no SHA-256 checksum for {key}, so the upload cannot be "
                f"verified and the spool copy is kept; {CHECKSUM_HINT} (uploads are then verified by reading back)"
            )
        if not digests.matches(stored) or head.get("ContentLength") != digests.size:
            raise StoreError(
                f"{self.url}: {key} has checksum {stored} and {head.get('ContentLength')} bytes after upload, "
                f"the local file {digests.expected_checksum()} and {digests.size}; the spool copy is kept; "
                "inspect the object before deleting it"
            )

    def _existing(self, key: str, head: dict[str, Any] | None, digests: FileDigests) -> StoredObject:
        """The key exists: success if it holds our bytes, else an error that keeps both."""
        if head is None:  # vanished between the refused write and this look: a later run retries
            raise StoreError(f"{self.url}: {key} was reported as existing but is gone; the next run uploads it")
        stored = head.get("ChecksumSHA256")
        same = head.get("ContentLength") == digests.size
        if same and stored and digests.matches(stored):
            return StoredObject(key=key, size=digests.size, sha256=digests.hex)
        if same and (not stored or "-" in stored):  # no checksum, or another part layout: compare bytes
            same = self._sha256_of(self._full(key)) == digests.hex
        elif same:
            same = False
        if same:
            return StoredObject(key=key, size=digests.size, sha256=digests.hex)
        raise StoreError(
            f"{self.url}: {key} already exists with different content (local sha256 {digests.hex[:12]}…, "
            f"{digests.size} bytes; stored {head.get('ContentLength')} bytes, checksum {stored or 'none'}); "
            "both are kept: the local file stays in the spool; inspect them before removing either"
        )

    def _head(self, full: str) -> dict[str, Any] | None:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": full}
        if self._checksums:
            args["ChecksumMode"] = "ENABLED"
        try:
            return dict(self.client.head_object(**args))
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    # -- reading ----------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        """The object as a buffered stream; with checksums on, botocore checks the whole-object
        checksum at the end of the read (not for multipart composites, which it cannot)."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error("read", key, exc) from exc
        return io.BufferedReader(_Body(body, self, key), buffer_size=_CHUNK)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        if length == 0:
            return b""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=self._full(key), Range=f"bytes={offset}-{offset + length - 1}"
            )
            data = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) == "InvalidRange":
                data = b""
            else:
                raise self._error("range read of", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("range read of", key, exc) from exc
        if len(data) != length:
            raise StoreError(f"{self.url}: {key} is shorter than offset {offset} + length {length}")
        return data

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            pages = paginator.paginate(
                Bucket=self.bucket, Prefix=self._root + prefix, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(key=item["Key"][len(self._root) :], size=item["Size"], sha256=None)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("listing of", prefix or "/", exc) from exc

    def stat(self, key: str) -> StoredObject:
        """Size, and the SHA-256 that our upload recorded (and verified) in the object's metadata."""
        try:
            head = self._head(self._full(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._error("stat of", key, exc) from exc
        if head is None:
            raise StoreError(f"{self.url}: no object {key}")
        return StoredObject(key=key, size=head["ContentLength"], sha256=head.get("Metadata", {}).get("sha256"))

    def verify(self, key: str, sha256: str) -> bool:
        try:
            return self._sha256_of(self._full(key)) == sha256
        except StoreError as exc:
            if isinstance(exc.__cause__, FlexibleChecksumError):
                return False  # the bytes disagree with the store's own checksum: damaged
            if isinstance(exc.__cause__, ClientError) and error_code(exc.__cause__) in ("404", "NoSuchKey"):
                return False
            raise

    def _sha256_of(self, full: str) -> str:
        key = full[len(self._root) :]
        digest = hashlib.sha256()
        with self.open(key) as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def _error(self, action: str, key: str, exc: Exception) -> StoreError:
        return store_error(self.url, action, key, exc)


@functools.lru_cache(maxsize=8)
def reopened(bucket: str, prefix: str, settings: S3Settings) -> S3Store:
    """The store of ``bucket``/``prefix`` reached with ``settings`` in this process, with a
    client of its own (boto3 clients do not cross processes): one per store and process."""
    return S3Store(bucket, prefix, settings=settings)


class _ExistsError(Exception):
    """The key exists already (without conditional writes, seen by a HEAD)."""


class _Body(io.RawIOBase):
    """botocore's streaming body as a raw stream whose errors are StoreErrors naming the object."""

    def __init__(self, body: Any, store: S3Store, key: str) -> None:
        self._body, self._store, self._key = body, store, key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._body.readinto(buffer))
        except BotoCoreError as exc:
            raise self._store._error("read", self._key, exc) from exc

    def close(self) -> None:
        self._body.close()
        super().close()
