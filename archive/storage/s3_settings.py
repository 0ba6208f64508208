"""How to reach an S3-compatible store: settings, credentials and the store URL.

Kept apart from ``s3.py`` so that validating ``outlets.toml`` (and parsing DAG files) never
imports boto3. Secrets only ever travel in :class:`S3Credentials` and the ``*_key`` fields of
:class:`S3Settings`, all hidden from ``repr`` so that a logged value cannot leak them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archive.errors import ConfigError, StoreError

MiB = 1 << 20
MIN_PART_SIZE = 5 * MiB  # S3's smallest part (all but the last)
MAX_PART_SIZE = 5 << 30  # and its largest
MAX_PARTS = 10_000
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class S3Credentials:
    """Credentials (and where the store is, if the connection says) from an Airflow connection.

    Built by the DAG tasks at run time and passed down to ``open_store``; never written to
    XCom, the config file or a log line.
    """

    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint_url: str | None = None
    source: str = ""  # e.g. "Airflow connection 'aws_default'", for error messages

    def __post_init__(self) -> None:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ConfigError(
                f"{self.source or 'S3 credentials'}: give both the access key (login) and the secret key "
                "(password), or neither (the standard AWS chain is used then)"
            )


def credentials_from_connection(
    conn_id: str, login: str | None, password: str | None, extra: Mapping[str, Any]
) -> S3Credentials:
    """Map an Airflow AWS connection's fields to :class:`S3Credentials`.

    ``login``/``password`` are the access key and secret (as in the Amazon provider; the
    ``aws_access_key_id``/``aws_secret_access_key`` extras are accepted too); the extras
    ``aws_session_token``, ``region_name`` and ``endpoint_url`` are used when present.
    Empty strings count as absent: the Airflow UI saves an untouched field as ``""``.
    """

    def text(value: Any) -> str | None:
        return str(value) if value not in (None, "") else None

    return S3Credentials(
        access_key_id=text(login) or text(extra.get("aws_access_key_id")),
        secret_access_key=text(password) or text(extra.get("aws_secret_access_key")),
        session_token=text(extra.get("aws_session_token")),
        region=text(extra.get("region_name")),
        endpoint_url=text(extra.get("endpoint_url")),
        source=f"Airflow connection {conn_id!r}",
    )


@dataclass(frozen=True)
class S3Settings:
    """How to reach one S3-compatible store; every field has the meaning of its config key.

    ``checksums = "sha256"`` sends each object's (or part's) SHA-256 so that the store verifies
    the bytes on PUT, and compares the checksum the store reports afterwards; ``"none"`` is for
    stores without the newer checksum headers, and verifies an upload by reading it back.
    ``conditional_writes`` uses ``If-None-Match: *`` so that a write can never replace an
    object (a HEAD before it spares re-sending an object that is already there); without it
    (stores that do not support it) the HEAD alone guards the write.
    Credentials left ``None`` come from boto3's standard chain (environment, profile, role).
    """

    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    checksums: Literal["sha256", "none"] = "sha256"
    conditional_writes: bool = True
    multipart_threshold: int = 64 * MiB
    part_size: int = 16 * MiB
    max_concurrency: int = 4
    max_attempts: int | None = None  # botocore's: $AWS_MAX_ATTEMPTS, else 3 in standard mode
    retry_mode: Literal["standard", "adaptive"] = "standard"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if self.checksums not in ("sha256", "none"):
            problems.append(f'checksums = {self.checksums!r}: use "sha256" or "none"')
        if self.addressing_style not in ("auto", "path", "virtual"):
            problems.append(f'addressing_style = {self.addressing_style!r}: use "auto", "path" or "virtual"')
        if not MIN_PART_SIZE <= self.part_size <= MAX_PART_SIZE:
            problems.append(f"part_size {self.part_size}: S3 parts are 5MiB to 5GiB")
        if self.multipart_threshold < MIN_PART_SIZE:
            problems.append(f"multipart_threshold {self.multipart_threshold}: must be at least 5MiB")
        if self.max_concurrency < 1 or (self.max_attempts is not None and self.max_attempts < 1):
            problems.append("max_concurrency and max_attempts must be at least 1")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            problems.append("connect_timeout and read_timeout must be more than 0 seconds")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            problems.append("give both access_key_id and secret_access_key, or neither (standard AWS chain)")
        if problems:
            raise ConfigError("S3 store settings: " + "; ".join(problems))

    def with_credentials(self, credentials: S3Credentials | None) -> S3Settings:
        """These settings with the connection's keys; its region and endpoint fill only what the
        config leaves unset (outlets.toml says where this outlet's store is)."""
        if credentials is None:
            return self
        return dataclasses.replace(
            self,
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token,
            region=self.region or credentials.region,
            endpoint_url=self.endpoint_url or credentials.endpoint_url,
        )


def bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` is not a valid S3 bucket name, or None if it is."""
    if not _BUCKET.match(bucket):
        return (
            f"bucket name {bucket!r} is not valid: use 3-63 lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in bucket or _IPV4.match(bucket):
        return f"bucket name {bucket!r} is not valid: no two dots in a row, and not shaped like an IP address"
    return None


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``."""
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    problem = "it does not start with s3://" if scheme != "s3" else bucket_problem(bucket)
    if problem:
        raise StoreError(f"store {url!r}: not s3://<bucket>[/<prefix>]: {problem}; fix the store URL in outlets.toml")
    return bucket, prefix.strip("/")
