"""Where config and storage meet: an outlet's object store, reached as ``outlets.toml`` says.

Every stage and command that reads or writes an outlet's objects opens its store here, so the
crawl pipeline, the web service and the operator commands need nothing of each other for it.
"""

from __future__ import annotations

from archive.config.loader import Config
from archive.config.outlet import Outlet
from archive.storage import ObjectStore, open_store
from archive.storage.s3_settings import S3Credentials


def store_for(config: Config, outlet: Outlet, credentials: S3Credentials | None = None) -> ObjectStore:
    """The outlet's store, reached with ``[outlets.NAME.s3]`` and, for ``s3://``, ``credentials``
    (from an Airflow connection; None means the standard AWS chain)."""
    return open_store(outlet.store, config.root, s3=outlet.s3_settings(credentials))
