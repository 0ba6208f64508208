"""One maintenance DAG per outlet in outlets.toml: integrity audit and backup of the SQLite files.

Thin on purpose: the tasks call archive.ops.audit and archive.ops.backup, the same functions the
`edittrail audit` and `edittrail backup` commands use, with S3 credentials from the outlet's
Airflow connection (``s3_credentials.py``, looked up at run time). Parse-time work is reading and
validating the config file, nothing else (no network, no database, no connections).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from placement import ON_INDEX_HOST
from stages import config

from archive.config import Outlet

SCHEDULE = "30 4 * * *"  # daily at 04:30 UTC, between the crawls' busiest hours


DOC = """
### Maintenance of `{name}` ({title})

* **audit** re-reads every stored WARC of the outlet in `{store}`: its SHA-256 against the one
  recorded when it was indexed, every record's digests, and that every index row resolves to a record
  with the same id, target URI and payload digest (revisits to their original). It fails,
  naming the first problem, when anything disagrees; the full list is in the task log.
  Repair: restore the object from a backup copy of the store, or `edittrail reindex`.
* **backup** snapshots the SQLite index, and the alerts and mirrors databases once they exist
  (online backup API, integrity-checked), to `backups/{name}/<index|alerts|mirrors>-<UTC time>.sqlite`
  in the same store; restore by downloading each to its path (`edittrail backup --help`).
"""


def build_maintenance_dag(outlet: Outlet) -> None:
    @dag(
        dag_id=f"maintenance_{outlet.name}",
        schedule=SCHEDULE,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["edittrail", "maintenance", outlet.name],
        doc_md=DOC.format(name=outlet.name, title=outlet.title or outlet.name, store=outlet.store),
        default_args={"retries": 2, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True},
    )
    def maintain_outlet() -> None:
        @task(execution_timeout=timedelta(hours=6), **ON_INDEX_HOST)
        def audit() -> dict[str, int]:
            from s3_credentials import s3_credentials

            from archive.ops.audit import run_audit

            cfg = config()
            report = run_audit(cfg, outlet.name, s3_credentials(cfg, outlet.name))
            report.raise_for_problems()
            return {"objects": report.objects, "records": report.records, "rows": report.rows}

        @task(execution_timeout=timedelta(minutes=30), **ON_INDEX_HOST)
        def backup() -> list[dict[str, str | int | None]]:
            from s3_credentials import s3_credentials

            from archive.ops.backup import backup_databases

            cfg = config()
            stored = backup_databases(cfg, outlet.name, credentials=s3_credentials(cfg, outlet.name))
            return [{"key": s.key, "size": s.size, "sha256": s.sha256} for s in stored]

        audit()
        backup()

    maintain_outlet()


for _outlet in config().outlets.values():
    build_maintenance_dag(_outlet)
