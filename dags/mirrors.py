"""One mirrors DAG per outlet in outlets.toml: probe every domain → store → index → alert.

Thin on purpose: the tasks call archive.mirrors.run and archive.pipeline (``stages.py``), the
same functions `edittrail mirrors probe` uses. Parse-time work is reading and validating the
config file, nothing else (no network, no database, no connections).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task
from placement import ON_INDEX_HOST, SINGLE_WRITER
from stages import config, run_stage

from archive.config import Outlet

SCHEDULE = "17 * * * *"  # hourly, off the round hour the crawls favour


DOC = """
### Domain health of `{name}` ({title})

* **probe** asks every domain ({domains}), every accepted mirror and every candidate for its
  home page: DNS, TCP/TLS (certificate expiry kept), HTTP status and redirects; classifies
  it as serving, redirect, seized, parked, error or unreachable; reads the outlet's
  "alternate addresses" footer for new candidate mirrors; writes every exchange to WARC and
  a row per domain to `data/mirrors.sqlite`;
* **store** and **index** file the probe WARCs like a crawl's;
* **alert** tells the outlet's channels (those that want `domain` alerts) of each state
  change, new candidate and soon-expiring certificate, once.

A candidate is crawled only once accepted: `edittrail mirrors accept HOST --outlet {name}`.
"""


def build_mirrors_dag(outlet: Outlet) -> None:
    @dag(
        dag_id=f"mirrors_{outlet.name}",
        schedule=SCHEDULE,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["edittrail", "mirrors", outlet.name],
        doc_md=DOC.format(name=outlet.name, title=outlet.title or outlet.name, domains=", ".join(outlet.domains)),
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True},
    )
    def watch_mirrors() -> None:
        @task(execution_timeout=timedelta(minutes=20), **ON_INDEX_HOST)
        def probe() -> dict[str, Any]:
            from archive.mirrors.run import probe_outlet

            return probe_outlet(config(), outlet.name)

        @task(execution_timeout=timedelta(minutes=30))
        def store(probed: object) -> dict[str, Any]:
            return run_stage("store", outlet.name)

        @task(execution_timeout=timedelta(minutes=30), **SINGLE_WRITER)
        def index(stored: object) -> dict[str, Any]:
            return run_stage("index", outlet.name)

        @task(execution_timeout=timedelta(minutes=10), **ON_INDEX_HOST)
        def alert(indexed: object) -> dict[str, Any]:
            from archive.mirrors.run import send_domain_alerts

            return send_domain_alerts(config(), outlet.name)

        alert(index(store(probe())))

    watch_mirrors()


for _outlet in config().outlets.values():
    build_mirrors_dag(_outlet)
