"""`make run` as an operator runs it: only the api port changed, a crawl_demo run through REST API v2.

The test runs the Makefile's own target (``make run``: airflow-init, then archive/airflow_run.py)
with the operator's only change, ``AIRFLOW__API__PORT``, plus an Airflow home and config of the
test's own so it never touches the checkout's data/. It starts the simulated outlet on the
config's port, logs in with the generated admin password, unpauses and triggers crawl_demo,
and waits for the run to succeed: every task reached the api-server at the port it listens on,
with one JWT secret shared by all components.

Then it stops ``make run`` with SIGTERM to its process group, as a supervisor would, and fails
if the launcher did not say it stopped, did not exit in time, or left any process behind. The
leftovers are looked for in the process tree of ``make run`` recorded while it ran (task
runners lead process groups of their own, and orphans re-parent to init) and by the test's
AIRFLOW_HOME in each process's environment; neither search is enough alone: a process that
sets its title (``airflow api_server``, the LocalExecutor workers) overwrites the environment
/proc shows, and one started outside the tree would only be found by its environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.airflow_run import STOPPED, ProcessTrees, stop_process_trees
from archive.simulate import SimulatedOutlet
from tests.integration.airflow_cluster import Api, free_port, wait_for
from tests.support import HOSTS, ROOT, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STOP_TIMEOUT_S = 90
"""The launcher gives up on a process 25 s after SIGTERM; the rest is for a loaded machine."""


class MakeRun:
    """``make run`` in its own process group, its output in a file, its process tree recorded while it runs."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as sink:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run"],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.trees = ProcessTrees([self.process.pid])
        self._stopped = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopped.wait(1):
            self.trees.watch()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"make run exited with {self.process.returncode}:\n{self.output()[-4000:]}")

    def stop(self) -> int | None:
        """SIGTERM, as Ctrl-C or a supervisor would; make's exit code, or None if it had to be killed."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return None
        finally:
            self._stopped.set()
            self._watcher.join()


def airflow_processes(home: Path) -> list[int]:
    """Live processes whose environment names this test's Airflow home (none may outlive the stop)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if f"AIRFLOW_HOME={home}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def leftovers(running: MakeRun, home: Path) -> dict[int, str]:
    """pid → command line of every process of ``make run``'s tree, or of this Airflow home, still alive."""
    found = {}
    for pid in {*running.trees.alive(), *airflow_processes(home)}:
        with contextlib.suppress(OSError):
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return found


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) with a socket listening on ``port``."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:
                    addresses.add(address)
    return addresses


def login(api: Api, home: Path) -> None:
    password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
    api.token = api._call("POST", "/auth/token", {"username": "admin", "password": password}, auth=False)[
        "access_token"
    ]


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[MakeRun, Api, Path, SimulatedOutlet]]:
    home = tmp_path / "airflow"
    api_port = free_port()
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=4) as sim:
        config = write_config(tmp_path, port=sim.port)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "EDITTRAIL"))}
        env |= {
            "AIRFLOW_HOME": str(home),
            "EDITTRAIL_CONFIG": str(config),
            "AIRFLOW__API__PORT": str(api_port),  # the operator's one change
            # Isolation from another Airflow on this machine, not part of the operator's path:
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        }
        running = MakeRun(env, tmp_path / "make-run.log")
        try:
            yield running, Api(api_port), home, sim
        finally:
            code = running.stop()
            left = leftovers(running, home)
            stop_process_trees(ProcessTrees(left), grace=0)
    tail = running.output()[-3000:]
    assert code is not None, f"make run did not exit within {STOP_TIMEOUT_S} s of SIGTERM; left {left}\n{tail}"
    assert not left, f"make run left processes behind (exit {code}): {left}\n{tail}"
    assert STOPPED in running.output().splitlines(), f"the launcher did not say it stopped:\n{tail}"


def test_make_run_runs_crawl_demo_through_the_rest_api_with_only_the_port_changed(make_run):
    running, api, home, sim = make_run
    wait_for("make run to say Airflow is ready", lambda: "Airflow is ready" in running.output(), timeout=420, every=2)
    running.check_alive()
    assert api.base in running.output()
    assert listening_addresses(int(api.base.rsplit(":", 1)[1])) == {"0100007F"}, "api-server not on 127.0.0.1 only"
    secrets_file = home / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(secrets_file.read_text())) == {"AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"}

    login(api, home)
    wait_for("crawl_demo to be parsed", lambda: api.get("/api/v2/dags/crawl_demo"), timeout=180)
    assert "edittrail simulate --outlet demo" in api.get("/api/v2/dags/crawl_demo/details")["doc_md"]
    api.patch("/api/v2/dags/crawl_demo", {"is_paused": False})
    run_id = api.post("/api/v2/dags/crawl_demo/dagRuns", {"logical_date": None})["dag_run_id"]
    quoted = urllib.request.quote(run_id, safe="")

    def finished() -> str | None:
        running.check_alive()
        state = str(api.get(f"/api/v2/dags/crawl_demo/dagRuns/{quoted}")["state"])
        return state if state in ("success", "failed") else None

    state = wait_for(f"run {run_id}", finished, timeout=600, every=3)
    tasks = api.get(f"/api/v2/dags/crawl_demo/dagRuns/{quoted}/taskInstances?limit=100")["task_instances"]
    summary = sorted((t["task_id"], t["map_index"], t["state"], t["try_number"]) for t in tasks)
    assert state == "success", f"{summary}\n{running.output()[-6000:]}"
    assert all(t["try_number"] == 1 for t in tasks), f"a task needed a retry: {summary}"
    assert {r.host for r in sim.requests} == set(HOSTS)
    assert "Invalid auth token" not in running.output()
