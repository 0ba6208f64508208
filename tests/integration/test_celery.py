"""The crawl DAG on Airflow's CeleryExecutor: two workers crawl the domain shards of one run at once,
and the tasks that open the SQLite index run only on the worker that serves the index's queue.

The deployment profile of docs/deploy.md, on this machine: PostgreSQL as the metadata
database (a fresh database per run, dropped after), Redis as the broker (a database number of
its own, flushed before and after), every setting an ``AIRFLOW__...`` variable. PostgreSQL
and Redis are started when they are not running; the test is skipped only when one of them
can be neither reached nor started.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

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
from tests.support import HOSTS, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
WORKERS = ("worker-1", "worker-2")
QUEUES = {"worker-1": "default,edittrail_index", "worker-2": "default"}
"""worker-1 is the machine holding the SQLite files (docs/deploy.md); worker-2 only crawls."""
ON_INDEX_HOST = {"plan", "index", "detect", "alert"}
HOSTNAME_MODULE = '''
import os, socket

def hostname():
    """The task instance's hostname: the worker's name in this test, where both share one machine."""
    return os.environ.get("EDITTRAIL_TEST_HOSTNAME") or socket.getfqdn()
'''


def listening(address: tuple[str, int]) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=1):
        return True
    return False


def start_postgres() -> str | None:
    """None when PostgreSQL answers (started here if need be), else why not."""
    if listening(PG):
        return None
    clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if not clusters or not shutil.which("pg_ctlcluster"):
        return "PostgreSQL is not running on 127.0.0.1:5432 and no cluster to start (pg_ctlcluster, /etc/postgresql)"
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "start"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    for _ in range(30):
        if listening(PG):
            return None
        subprocess.run(["sleep", "0.5"], check=False)
    return f"PostgreSQL did not start: {' '.join(cmd)} said {done.stderr.strip() or done.stdout.strip()}"


def start_redis() -> str | None:
    if listening(REDIS):
        return None
    if not shutil.which("redis-server"):
        return "Redis is not running on 127.0.0.1:6379 and redis-server is not installed"
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    cmd = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", ""]
    cmd += ["--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    for _ in range(30):
        if listening(REDIS):
            return None
        subprocess.run(["sleep", "0.5"], check=False)
    return f"Redis did not start: {' '.join(cmd)} said {done.stderr.strip() or done.stdout.strip()}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database ``edittrail_test_<random>``, dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    if (why := start_postgres()) is not None:
        pytest.skip(why)
    name = f"edittrail_test_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg2://postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number no one else here uses, empty before and flushed after."""
    redis = pytest.importorskip("redis")
    if (why := start_redis()) is not None:
        pytest.skip(why)
    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS[0], port=REDIS[1], db=number)
        if client.dbsize() == 0:
            break
    else:
        pytest.skip("every Redis database 1-15 on 127.0.0.1:6379 holds keys; none is free for this test")
    try:
        yield f"redis://{REDIS[0]}:{REDIS[1]}/{number}"
    finally:
        client.flushdb()
        client.close()


def test_two_celery_workers_crawl_the_domain_shards_and_the_index_gets_every_capture(
    tmp_path, sim, postgres_url, redis_url
):
    config_path = write_config(tmp_path, port=sim.port)
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "edittrail_test_hostname.py").write_text(HOSTNAME_MODULE)
    port = free_port()
    env = airflow_env(
        tmp_path / "airflow",
        config_path,
        port,
        CORE__EXECUTOR="CeleryExecutor",
        DATABASE__SQL_ALCHEMY_CONN=postgres_url,
        DATABASE__SQL_ALCHEMY_CONN_ASYNC="",  # no asyncpg in the locked environment (docs/deploy.md)
        CELERY__BROKER_URL=redis_url,
        CELERY__RESULT_BACKEND="db+" + postgres_url,
        CELERY__WORKER_CONCURRENCY="1",
        CORE__HOSTNAME_CALLABLE="edittrail_test_hostname.hostname",
    )
    env["PYTHONPATH"] = str(modules)
    run_airflow(env, "db", "migrate", timeout=240)
    run_airflow(env, "pools", "set", "edittrail_index", "1", "single writer of the SQLite index")
    api = Api(port)
    with components(tmp_path / "airflow" / "components") as running:
        running.start("api-server", ["api-server"], env)
        running.start("scheduler", ["scheduler"], env)
        running.start("dag-processor", ["dag-processor"], env)
        for name in WORKERS:
            worker = ["celery", "worker", "--concurrency", "1", "--celery-hostname", f"{name}@%h", "--skip-serve-logs"]
            worker += ["--queues", QUEUES[name]]
            running.start(name, worker, env | {"EDITTRAIL_TEST_HOSTNAME": name})
        api_ready(api, running)
        for name in WORKERS:
            wait_for(
                f"celery {name} ready", lambda n=name: " ready." in running.tail(n, 100_000), timeout=90, alive=running
            )
        dag_parsed(api, "crawl_demo", running)
        api.patch("/api/v2/dags/crawl_demo", {"is_paused": False})
        run = api.post("/api/v2/dags/crawl_demo/dagRuns", {"logical_date": None, "conf": {}})
        wait_for_run(api, "crawl_demo", run["dag_run_id"], running, timeout=240)
        tasks = task_instances(api, "crawl_demo", run["dag_run_id"])

    crawls = [t for t in tasks if t["task_id"] == "crawl"]
    assert sorted(t["map_index"] for t in crawls) == list(range(len(HOSTS)))  # a shard per domain
    assert {t["hostname"] for t in crawls} == set(WORKERS)  # both workers crawled
    assert {t["hostname"] for t in tasks} <= set(WORKERS)  # every task ran on a Celery worker
    placed = {t["task_id"]: t["hostname"] for t in tasks if t["task_id"] in ON_INDEX_HOST}
    assert placed == dict.fromkeys(ON_INDEX_HOST, "worker-1"), "a task that opens the index ran off its machine"

    config = load_config(config_path)
    with Index(config.index_path, readonly=True) as idx:
        captures = list(idx.captures("demo"))
    assert {c.host for c in captures} == set(HOSTS)
    shards = {Path(c.warc).name.split("-")[2] for c in captures}
    assert shards == {f"s{n}" for n in range(len(HOSTS))}
