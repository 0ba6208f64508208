"""The boto3 client of an S3 store, and botocore's failures turned into errors that say what to do.

Kept apart from the store's logic (``s3.py``): this is where boto3's configuration (retries,
timeouts, checksum modes, addressing) and its error vocabulary live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, FlexibleChecksumError, NoCredentialsError

from archive.errors import StoreError
from archive.storage.s3_settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHECKSUM_HINT = 'if this store does not support S3 checksums, set checksums = "none" in [outlets.NAME.s3]'
_HINTS = {
    "NoSuchBucket": "create the bucket, or fix the store URL in outlets.toml",
    "AccessDenied": "the credentials lack s3:PutObject, s3:GetObject, s3:ListBucket or s3:AbortMultipartUpload here",
    "InvalidAccessKeyId": "the access key is unknown to this store; check the credentials",
    "SignatureDoesNotMatch": "the secret key is wrong for this access key; check the credentials",
    "NotImplemented": "the store lacks a feature we asked for: set conditional_writes = false or "
    'checksums = "none" in [outlets.NAME.s3]',
    "BadDigest": "the bytes changed in transit or on disk; the next run uploads the file again",
    "InvalidRequest": CHECKSUM_HINT,
}


def make_client(settings: S3Settings) -> S3Client:
    """A boto3 S3 client with retries, timeouts and checksum behaviour from ``settings``."""
    retries: dict[str, Any] = {"mode": settings.retry_mode}
    if settings.max_attempts is not None:
        retries["total_max_attempts"] = settings.max_attempts
    when: Literal["when_supported", "when_required"] = (
        "when_supported" if settings.checksums == "sha256" else "when_required"
    )
    config = Config(
        retries=retries,  # type: ignore[arg-type]  # botocore's TypedDict lacks total_max_attempts
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        s3={"addressing_style": settings.addressing_style},
        request_checksum_calculation=when,
        response_checksum_validation=when,
        max_pool_connections=max(10, settings.max_concurrency + 2),
    )
    session = boto3.session.Session(
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        aws_session_token=settings.session_token,
        region_name=settings.region,
    )
    return session.client("s3", endpoint_url=settings.endpoint_url, config=config)


def store_error(url: str, action: str, key: str, exc: Exception) -> StoreError:
    """botocore's failure as one line an operator can act on: the object, what happened, what to do."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        hint = _HINTS.get(code) or (
            "the store kept failing after botocore's retries; the local file is untouched and the next run tries again"
            if status and status >= 500
            else "see the store's error message"
        )
        detail = f"{code} (HTTP {status}): {exc.response.get('Error', {}).get('Message', '')}"
    elif isinstance(exc, NoCredentialsError):
        detail = "no AWS credentials found"
        hint = (
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an AWS profile or role, "
            "or the Airflow connection named by aws_conn_id in [outlets.NAME.s3]"
        )
    elif isinstance(exc, FlexibleChecksumError):
        detail, hint = str(exc), "the object's bytes disagree with its stored checksum: run `edittrail audit`"
    else:
        detail = f"{type(exc).__name__}: {exc}"
        hint = (
            "the store was unreachable or timed out through botocore's retries; check endpoint_url and the "
            "network; the local file is untouched and the next run tries again"
        )
    return StoreError(f"{url}: {action} {key} failed: {detail}; {hint}")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
