"""One crawl DAG per outlet in outlets.toml: plan → crawl (one mapped task per domain shard) →
store → index → detect → alert.

Thin on purpose: the tasks call archive.pipeline (through ``stages.py``), the same functions
`edittrail crawl` uses (which crawls the job unsplit, in one process); archive.plan.shards splits
it for the mapped crawl, so Celery workers crawl an outlet's domains at once while plan,
index, detect and alert run on the machine holding the SQLite files and index and detect stay
the single writer (``placement.py``: queue and pool ``edittrail_index``). The tasks that touch
the store pass S3 credentials from the outlet's Airflow connection (``s3_credentials.py``,
looked up at run time).
Parse-time work is reading and validating the config file, nothing else (no network, no
database, no Variables); a broken config shows up as this file's import error, with the
message naming the file, key and fix.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task
from placement import ON_INDEX_HOST, SINGLE_WRITER
from stages import config, run_stage

from archive.config import Outlet

DOC = """
### Crawl `{name}` ({title}) and report its edits

Fetches the discovery pages (RSS, sitemaps, sections) of every domain of the outlet
({domains}), then the articles they list; every HTTP exchange is written to WARC, the closed
WARC files go to the store `{store}`, and the index is updated.

* **plan** writes the crawl job (`data/runs/{name}/<run>/job.json`) and splits it into one
  shard per domain (`<run>/s<n>/job.json`);
* **crawl** is mapped over the shards (one task instance per domain, on any worker): each
  runs Scrapy in its own process (log and `report.json` beside the shard's job);
* **store** waits for every shard, then uploads closed WARCs from the spool, deleting a spool
  copy only once verified;
* **index** adds the new captures to the SQLite index (single writer: pool `edittrail_index`;
  like plan, detect and alert it runs on the index's machine: Celery queue `edittrail_index`);
* **detect** extracts each new article capture from its WARC record, stores new versions and
  classifies the changes (headline, body, dates, captions, ..., retraction, redirect, restoration);
* **alert** sends each change once to the outlet's Apprise channels and rewrites the Atom feed.

A crawl that archives nothing from any domain fails its **crawl** task with the reason per
domain (and `edittrail status` shows it).{local}
"""

LOCAL = """

**This outlet's domains point at this machine** (`host_overrides`): they are served by the
simulated outlet, which must be running before a run: `edittrail simulate --outlet {name}`
(in another terminal, from the project's root; `make run` does not start it)."""


def build_crawl_dag(outlet: Outlet) -> None:
    @dag(
        dag_id=f"crawl_{outlet.name}",
        schedule=outlet.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["edittrail", "crawl", outlet.name],
        doc_md=DOC.format(
            name=outlet.name,
            title=outlet.title or outlet.name,
            domains=", ".join(outlet.domains),
            store=outlet.store,
            local=LOCAL.format(name=outlet.name) if outlet.served_locally else "",
        ),
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True},
    )
    def crawl_outlet() -> None:
        @task(execution_timeout=timedelta(minutes=5), **ON_INDEX_HOST)
        def plan() -> list[str]:
            from archive import pipeline
            from archive.plan.shards import shard_by_domain

            run_id = get_current_context()["run_id"]
            return shard_by_domain(pipeline.plan(config(), outlet.name, run_id)["job"])

        @task(execution_timeout=timedelta(minutes=outlet.crawl.timeout_minutes + 5))
        def crawl(job: str) -> dict[str, Any]:
            from archive import pipeline
            from archive.ops.status import log_run_report

            crawled = pipeline.crawl(config(), job)
            log_run_report(job)
            return crawled

        @task(execution_timeout=timedelta(minutes=60))
        def store(crawled: object) -> dict[str, Any]:
            return run_stage("store", outlet.name)

        @task(execution_timeout=timedelta(minutes=60), **SINGLE_WRITER)
        def index(stored: object) -> dict[str, Any]:
            return run_stage("index", outlet.name)

        @task(execution_timeout=timedelta(minutes=60), **SINGLE_WRITER)
        def detect(indexed: object) -> dict[str, Any]:
            return run_stage("detect", outlet.name)

        @task(execution_timeout=timedelta(minutes=30), **ON_INDEX_HOST)
        def alert(detected: object) -> dict[str, Any]:
            from archive import pipeline

            return pipeline.alert(config(), outlet.name)

        alert(detect(index(store(crawl.expand(job=plan())))))

    crawl_outlet()


for _outlet in config().outlets.values():
    build_crawl_dag(_outlet)
