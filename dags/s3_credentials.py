"""S3 credentials for a DAG task, from the Airflow connection its outlet names.

Looked up when the task runs, never when the DAG file is parsed. Not a DAG: a helper that
the tasks of ``outlet_crawl.py`` and ``maintenance.py`` import (the DAG folder is on
``sys.path`` wherever Airflow parses or runs them). The mapping from a connection's fields
to credentials is ``archive.storage.s3_settings.credentials_from_connection``; this module
only adds the Airflow lookup, which archive/ may not import.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.config import Config
    from archive.storage.s3_settings import S3Credentials

log = logging.getLogger(__name__)


def s3_credentials(config: Config, outlet_name: str) -> S3Credentials | None:
    """The outlet's ``aws_conn_id`` connection, else ``aws_default`` if it exists, else None
    (boto3's standard chain); None too for a ``file://`` store. No secret is logged."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from archive.errors import ConfigError
    from archive.storage.s3_settings import credentials_from_connection

    outlet = config.outlet(outlet_name)
    conn_id = outlet.aws_conn_id
    if conn_id is None:
        return None
    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        if outlet.s3 is not None and outlet.s3.aws_conn_id:
            raise ConfigError(
                f"{config.path}: outlets.{outlet.name}.s3.aws_conn_id names the Airflow connection {conn_id!r}, "
                f"which does not exist; create it (Admin → Connections, or AIRFLOW_CONN_{conn_id.upper()}) or "
                "remove the key to use the standard AWS chain"
            ) from None
        log.debug("no Airflow connection %s: S3 credentials from the standard AWS chain", conn_id)
        return None
    credentials = credentials_from_connection(conn_id, conn.login, conn.password, conn.extra_dejson)
    log.info(
        "S3 settings from Airflow connection %s outlet=%s keys=%s",
        conn_id,
        outlet.name,
        "yes" if credentials.access_key_id else "no (standard AWS chain)",
    )
    return credentials
