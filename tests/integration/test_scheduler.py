"""The crawl DAG under Airflow's real scheduler: triggered through the REST API, and by its own schedule.

Scheduler, dag-processor, triggerer and api-server run as separate processes with the
project's airflow.cfg (SQLite, LocalExecutor), every setting that differs passed as an
``AIRFLOW__SECTION__KEY`` variable, as a deployment would.
"""

from __future__ import annotations

import pytest

from archive.config import load_config
from archive.index import Index
from tests.integration.airflow_cluster import (
    Api,
    airflow_env,
    api_ready,
    components,
    dag_parsed,
    free_port,
    run_airflow,
    task_instances,
    wait_for,
    wait_for_run,
)
from tests.support import TWO_DOMAINS, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVERY_MINUTE = {'schedule = "*/30 * * * *"': 'schedule = "* * * * *"'}


def test_scheduler_runs_crawl_demo_when_triggered_through_the_api_and_on_its_schedule(tmp_path, sim):
    config_path = write_config(tmp_path, port=sim.port, replace=TWO_DOMAINS | EVERY_MINUTE)
    port = free_port()
    env = airflow_env(tmp_path / "airflow", config_path, port)
    run_airflow(env, "db", "migrate")
    run_airflow(env, "pools", "set", "edittrail_index", "1", "single writer of the SQLite index")
    api = Api(port)
    with components(tmp_path / "airflow" / "components") as running:
        running.start("api-server", ["api-server"], env)
        running.start("scheduler", ["scheduler", "--skip-serve-logs"], env)
        running.start("dag-processor", ["dag-processor"], env)
        running.start("triggerer", ["triggerer", "--skip-serve-logs"], env)
        api_ready(api, running)
        dag = dag_parsed(api, "crawl_demo", running)
        assert dag["is_paused"] is True  # dags_are_paused_at_creation in airflow.cfg

        manual = api.post("/api/v2/dags/crawl_demo/dagRuns", {"logical_date": None, "conf": {}})
        assert api.patch("/api/v2/dags/crawl_demo", {"is_paused": False})["is_paused"] is False
        wait_for_run(api, "crawl_demo", manual["dag_run_id"], running, timeout=180)

        tasks = task_instances(api, "crawl_demo", manual["dag_run_id"])
        crawls = [t for t in tasks if t["task_id"] == "crawl"]
        assert sorted(t["map_index"] for t in crawls) == [0, 1]  # one mapped crawl per domain
        assert {t["state"] for t in tasks} == {"success"}

        def scheduled_run_started() -> dict | None:
            runs = api.get("/api/v2/dags/crawl_demo/dagRuns?run_type=scheduled&limit=10")["dag_runs"]
            return next((r for r in runs if r["state"] in ("running", "success")), None)

        scheduled = wait_for("a run started by the schedule", scheduled_run_started, timeout=100, alive=running)
        assert scheduled["run_type"] == "scheduled" and scheduled["dag_run_id"].startswith("scheduled__")

    config = load_config(config_path)
    with Index(config.index_path, readonly=True) as idx:
        hosts = {row.host for row in idx.captures("demo")}
    assert hosts == {"www.presstv.ir", "www.presstv.co.uk"}
    assert any(r.path.startswith("/Detail/") for r in sim.requests)
