"""The moto server and fault proxy fixtures for the storage tests (defined in s3_support.py)."""

from tests.archive.storage.s3_support import bucket, moto_server, proxy, s3_env  # noqa: F401
