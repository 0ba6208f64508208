"""`airflow dags test crawl_demo` and `maintenance_demo` through real Airflow 3 (SQLite metadata DB)
against the simulated outlet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.config import load_config
from archive.demo import airflow_dags_test
from archive.index import Index
from archive.storage import open_store
from tests.support import ROOT, warc_responses

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def airflow_env(tmp_path: Path, config: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "EDITTRAIL_ROOT": str(ROOT),
        "EDITTRAIL_CONFIG": str(config),
    }


def migrated_airflow(tmp_path: Path, config: Path) -> dict[str, str]:
    env = airflow_env(tmp_path, config)
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [airflow, "pools", "set", "edittrail_index", "1", "index writer"], env=env, check=True, capture_output=True
    )
    return env


def test_dags_test_crawl_demo_fills_the_index_with_one_row_per_response(tmp_path, sim, sim_config):
    env = migrated_airflow(tmp_path, sim_config)
    airflow_dags_test("crawl_demo", env=env)

    config = load_config(sim_config)
    store = open_store(config.outlet("demo").store, config.root)
    warcs = [store.root / obj.key for obj in store.list("warcs/demo/")]
    responses = warc_responses(warcs)
    with Index(config.index_path, readonly=True) as idx:
        rows = list(idx.captures("demo"))
    assert responses and len(rows) == len(responses)
    assert {r.record_id for r in rows} == {r["record_id"] for r in responses}
    assert any(r.path.startswith("/Detail/") for r in sim.requests)


def test_maintenance_demo_audits_and_backs_up_the_databases(tmp_path, sim, sim_config):
    env = migrated_airflow(tmp_path, sim_config)
    airflow_dags_test("crawl_demo", env=env)
    airflow_dags_test("maintenance_demo", env=env)

    config = load_config(sim_config)
    store = open_store(config.outlet("demo").store, config.root)
    backups = sorted(obj.key.split("/")[-1].split("-")[0] for obj in store.list("backups/demo/"))
    assert backups == ["alerts", "index", "mirrors"]  # the crawl's alert step and domain health made the last two
