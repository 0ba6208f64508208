"""Real Airflow 3 components for the integration tests: processes, environment, REST API v2.

Every component listens on 127.0.0.1 only (log servers are skipped: the logs are files in the
test's own directory) and is stopped as ``make run`` stops it: SIGTERM to its whole process
tree, then SIGKILL (task runners lead process groups of their own, so a process group would
miss them and the crawls they started).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.airflow_run import ProcessTrees, stop_process_trees
from tests.support import ROOT

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
STOP_GRACE_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_env(home: Path, config: Path, api_port: int, **settings: str) -> dict[str, str]:
    """The project's airflow.cfg, with the test's home, database, ports and secrets as AIRFLOW__ variables.

    ``settings`` are more ``AIRFLOW__SECTION__KEY`` values (keys without the prefix, e.g.
    ``CORE__EXECUTOR``); they win over the defaults here.
    """
    base = f"http://127.0.0.1:{api_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "EDITTRAIL_ROOT": str(ROOT),
        "EDITTRAIL_CONFIG": str(config),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    defaults = {
        "DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "CORE__PARALLELISM": "4",
        "CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "API__HOST": "127.0.0.1",
        "API__PORT": str(api_port),
        "API__BASE_URL": base,
        "API__WORKERS": "1",
        "API__SECRET_KEY": secrets.token_hex(16),
        "API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "DAG_PROCESSOR__PARSING_PROCESSES": "1",
    }
    env |= {f"AIRFLOW__{k}": v for k, v in (defaults | settings).items()}
    return env


def run_airflow(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    result = subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


@dataclass
class Components:
    """Long-running Airflow processes, each logging to its own file under ``logs``."""

    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    trees: ProcessTrees = field(default_factory=ProcessTrees)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "wb") as sink:
            self.processes[name] = subprocess.Popen(
                [AIRFLOW, *args], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.trees.add(self.processes[name].pid)

    def check_alive(self) -> None:
        """Fail if a component exited; and remember their children (``wait_for`` calls this between polls)."""
        self.trees.watch()
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {process.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to every process of every component's tree, SIGKILL to what is left after the grace period.

        What outlives SIGKILL (a process stuck in the kernel) is written to ``stop.log``.
        """
        left = stop_process_trees(self.trees, grace=STOP_GRACE_SECONDS)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        if left:
            self.logs.mkdir(parents=True, exist_ok=True)
            (self.logs / "stop.log").write_text(f"outlived SIGKILL: {left}\n")

    def report(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.tail(name, 2500)}" for name in self.processes)


@contextlib.contextmanager
def components(logs: Path) -> Iterator[Components]:
    running = Components(logs)
    try:
        yield running
    finally:
        running.stop()


class Api:
    """The REST API v2 of the api-server, with a JWT from ``/auth/token`` (simple auth manager, all admins)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None

    def login(self) -> None:
        self.token = self._call("GET", "/auth/token", auth=False)["access_token"]

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PATCH", path, body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, *, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None


def wait_for(
    what: str, probe: Callable[[], Any], *, timeout: float, every: float = 2.0, alive: Components | None = None
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if alive is not None:
            alive.check_alive()
        try:
            found = probe()
        except (OSError, AssertionError) as exc:  # not listening yet, or not there yet
            last_error, found = exc, None
        if found:
            return found
        time.sleep(every)
    logs = alive.report() if alive is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})\n{logs}")


def api_ready(api: Api, components: Components) -> None:
    wait_for("the api-server", lambda: api.get("/api/v2/monitor/health"), timeout=90, alive=components)
    api.login()


def dag_parsed(api: Api, dag_id: str, components: Components, timeout: float = 120) -> dict[str, Any]:
    return wait_for(
        f"{dag_id} to be parsed", lambda: api.get(f"/api/v2/dags/{dag_id}"), timeout=timeout, alive=components
    )


def run_state(api: Api, dag_id: str, run_id: str) -> str:
    return str(api.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.request.quote(run_id, safe='')}")["state"])


def wait_for_run(api: Api, dag_id: str, run_id: str, components: Components, timeout: float) -> str:
    """Poll the run until it succeeds; a failed run fails the test with its task states and logs."""

    def finished() -> str | None:
        state = run_state(api, dag_id, run_id)
        return state if state in ("success", "failed") else None

    state = wait_for(f"run {run_id} of {dag_id} to finish", finished, timeout=timeout, every=3, alive=components)
    if state != "success":
        tasks = task_instances(api, dag_id, run_id)
        summary = [(t["task_id"], t.get("map_index"), t["state"], t.get("hostname")) for t in tasks]
        raise AssertionError(f"run {run_id} of {dag_id} ended {state}: {summary}\n{components.report()}")
    return state


def task_instances(api: Api, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    quoted = urllib.request.quote(run_id, safe="")
    return list(api.get(f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances?limit=100")["task_instances"])
