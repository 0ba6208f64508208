"""Every DAG file parses with no import error and has the tasks and settings we promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
sys.path.append({dags!r})  # as Airflow's BundleDagBag does: DAG files import their folder's helpers
bag = DagBag(dag_folder={dags!r})
out = {{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "dags": {{}}}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {{
        "tasks": sorted(dag.task_ids),
        "edges": sorted([t.task_id, d] for t in dag.tasks for d in t.downstream_task_ids),
        "schedule": str(dag.schedule), "catchup": dag.catchup, "tags": sorted(dag.tags),
        "start_tz": str(dag.start_date.tzinfo), "doc": bool(dag.doc_md),
        "retries": [t.retries for t in dag.tasks], "timeouts": [bool(t.execution_timeout) for t in dag.tasks],
        "pools": {{t.task_id: t.pool for t in dag.tasks}},
        "queues": {{t.task_id: t.queue for t in dag.tasks}},
        "mapped": sorted(t.task_id for t in dag.tasks if getattr(t, "is_mapped", False)),
    }}
print("RESULT" + json.dumps(out))
"""


def parse_dags(tmp_path: Path, config: Path) -> dict:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "EDITTRAIL_ROOT": str(ROOT),
        "EDITTRAIL_CONFIG": str(config),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(dags=str(ROOT / "dags"))], env=env, capture_output=True, text=True
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, result.stderr[-3000:]
    return json.loads(line.removeprefix("RESULT"))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict:
    return parse_dags(tmp_path_factory.mktemp("dagbag"), ROOT / "outlets.toml")


def test_no_import_errors(shipped):
    assert shipped["errors"] == {}


def test_one_crawl_dag_per_outlet_with_the_pipeline_tasks_in_order(shipped):
    assert {"crawl_presstv", "crawl_demo"} <= set(shipped["dags"])
    for dag_id in ("crawl_presstv", "crawl_demo"):
        dag = shipped["dags"][dag_id]
        assert dag["tasks"] == ["alert", "crawl", "detect", "index", "plan", "store"]
        assert dag["edges"] == [
            ["crawl", "store"],
            ["detect", "alert"],
            ["index", "detect"],
            ["plan", "crawl"],
            ["store", "index"],
        ]


def test_the_crawl_is_mapped_over_the_plan_shards_and_nothing_else_is(shipped):
    for dag_id, dag in shipped["dags"].items():
        assert dag["mapped"] == (["crawl"] if dag_id.startswith("crawl_") else []), dag_id


def test_dags_follow_the_house_rules(shipped):
    for dag_id, dag in shipped["dags"].items():
        assert dag["catchup"] is False, dag_id
        assert "edittrail" in dag["tags"], dag_id
        assert dag["start_tz"] in ("UTC", "Timezone('UTC')"), dag_id
        assert dag["doc"], dag_id
        assert min(dag["retries"]) >= 2, dag_id
        assert all(dag["timeouts"]), dag_id


def test_index_writers_share_the_single_writer_pool(shipped):
    crawl_dags = {k: v for k, v in shipped["dags"].items() if k.startswith("crawl_")}
    assert crawl_dags
    for dag_id, dag in crawl_dags.items():
        assert dag["pools"]["index"] == "edittrail_index", dag_id
        assert dag["pools"]["detect"] == "edittrail_index", dag_id


def test_tasks_that_open_the_sqlite_files_go_to_the_index_hosts_queue_and_crawls_anywhere(shipped):
    on_index_host = {"crawl": {"plan", "index", "detect", "alert"}, "mirrors": {"probe", "index", "alert"}}
    on_index_host["maintenance"] = {"audit", "backup"}
    for dag_id, dag in shipped["dags"].items():
        wanted = on_index_host[dag_id.split("_", 1)[0]]
        assert {t for t, q in dag["queues"].items() if q == "edittrail_index"} == wanted, dag_id
        assert all(q == "default" for t, q in dag["queues"].items() if t not in wanted), dag_id


def test_one_maintenance_dag_per_outlet(shipped):
    for name in ("presstv", "demo"):
        assert shipped["dags"][f"maintenance_{name}"]["tasks"] == ["audit", "backup"]


def test_one_mirrors_dag_per_outlet_probing_then_filing_then_alerting(shipped):
    for name in ("presstv", "demo"):
        dag = shipped["dags"][f"mirrors_{name}"]
        assert dag["edges"] == [["index", "alert"], ["probe", "store"], ["store", "index"]]
        assert dag["pools"]["index"] == "edittrail_index"


def test_schedule_comes_from_config(shipped):
    assert "0 */3 * * *" in shipped["dags"]["crawl_presstv"]["schedule"]


def test_broken_config_is_an_import_error_naming_file_and_key(tmp_path):
    bad = tmp_path / "outlets.toml"
    bad.write_text((ROOT / "outlets.toml").read_text().replace('schedule = "0 */3 * * *"', 'schedule = "often"'))
    parsed = parse_dags(tmp_path, bad)
    assert parsed["dags"] == {}
    assert {Path(f).name for f in parsed["errors"]} == {"outlet_crawl.py", "maintenance.py", "mirrors.py"}
    for message in parsed["errors"].values():
        assert "outlets.presstv.schedule" in message and str(bad) in message
