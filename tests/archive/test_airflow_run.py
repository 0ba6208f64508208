"""`make run`'s launcher: one secret for every component, URLs that follow the port, clean errors,
and a stop that leaves no process of any component's tree behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archive.airflow_run import (
    STOPPED,
    ProcessTrees,
    api_address,
    component_env,
    ensure_secrets,
    proc_stat,
    stop_process_trees,
)
from archive.errors import ConfigError
from tests.support import ROOT

CFG = ROOT / "airflow.cfg"

FAMILY = """
import os, signal, subprocess, sys, time
from pathlib import Path

out, level, roles = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
if roles[level] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if level + 1 < len(roles):
    subprocess.Popen([sys.executable, __file__, str(out), str(level + 1), *roles], start_new_session=True)
    while not (out / str(level + 1)).exists():
        time.sleep(0.01)
(out / f"{level}.tmp").write_text(str(os.getpid()))
(out / f"{level}.tmp").rename(out / str(level))
while roles[level] == "exit-on-cue" and not (out / "cue").exists():
    time.sleep(0.01)
if roles[level] != "exit-on-cue":
    time.sleep(120)
"""
"""A chain of processes, one per role, each in a session of its own, each writing its pid to
``out/<level>`` (the root's file is written last). Roles: ``sleep``; ``stubborn`` (ignores
SIGTERM); ``exit-on-cue`` (exits once ``out/cue`` exists, orphaning the rest of the chain)."""

FAKE_AIRFLOW = """#!{python}
import http.server, signal, subprocess, sys, time

signal.signal(signal.SIGTERM, lambda *_: (time.sleep(2), sys.exit(0)))  # takes its time, as Airflow does
if sys.argv[1] == "api-server":
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), Health).serve_forever()
# like a task supervisor: a session of its own, and not stopped by its parent
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
print(sys.argv[1], "up", flush=True)
time.sleep(120)
"""
"""``airflow`` as the launcher sees it: an api-server that answers, and components that each leave
a child in a session of its own behind when SIGTERM stops them."""


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    """``spawn(*roles)`` → (root process, pids by level); whatever is left is killed afterwards."""
    script = tmp_path / "family.py"
    script.write_text(FAMILY)
    started: list[tuple[subprocess.Popen[bytes], list[int]]] = []

    def start(*roles: str) -> tuple[subprocess.Popen[bytes], list[int]]:
        out = tmp_path / f"family{len(started)}"
        out.mkdir()
        root = subprocess.Popen([sys.executable, str(script), str(out), "0", *roles])
        deadline = time.monotonic() + 30
        while not (out / "0").exists():
            assert time.monotonic() < deadline and root.poll() is None, "the process chain did not start"
            time.sleep(0.01)
        started.append((root, [int((out / str(level)).read_text()) for level in range(len(roles))]))
        return started[-1]

    yield start
    for root, pids in started:
        for pid in pids:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        root.wait()


def gone(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is None or stat.state == "Z"


def wait_until(what: str, condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_secrets_are_made_once_private_and_kept(tmp_path):
    first = ensure_secrets(tmp_path)
    assert set(first) == {"AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"}
    assert len(first["AIRFLOW__API_AUTH__JWT_SECRET"]) == 64
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert ensure_secrets(tmp_path) == first


def test_a_damaged_secrets_file_is_a_clean_error_naming_it(tmp_path):
    (tmp_path / "secrets.json").write_text("[1, 2")
    with pytest.raises(ConfigError, match=r"secrets\.json: not a JSON object"):
        ensure_secrets(tmp_path)


def test_the_committed_config_listens_on_loopback_port_8080():
    assert api_address({}, CFG) == ("127.0.0.1", 8080)


def test_the_port_alone_moves_the_base_url_and_the_execution_api(tmp_path):
    env = component_env({"AIRFLOW__API__PORT": "28080"}, tmp_path, CFG)
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:28080"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:28080/execution/"
    assert (
        env["AIRFLOW__API_AUTH__JWT_SECRET"]
        == json.loads((tmp_path / "secrets.json").read_text())["AIRFLOW__API_AUTH__JWT_SECRET"]
    )


def test_an_operators_explicit_values_win(tmp_path):
    given = {"AIRFLOW__API__BASE_URL": "https://airflow.example", "AIRFLOW__API_AUTH__JWT_SECRET": "mine"}
    env = component_env(given, tmp_path, CFG)
    assert env["AIRFLOW__API__BASE_URL"] == "https://airflow.example"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "https://airflow.example/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == given["AIRFLOW__API_AUTH__JWT_SECRET"]


@pytest.mark.parametrize("port", ["0", "99999", "http", "８０８０", "-1"])
def test_a_bad_port_is_a_clean_error_naming_the_variable(port):
    with pytest.raises(ConfigError, match="AIRFLOW__API__PORT"):
        api_address({"AIRFLOW__API__PORT": port}, CFG)


def test_the_tree_holds_every_descendant_though_each_leads_a_session_of_its_own(spawn):
    root, pids = spawn("sleep", "sleep", "sleep")
    assert len({os.getsid(pid) for pid in pids}) == 3
    assert set(ProcessTrees([root.pid]).alive()) == set(pids)


def test_an_orphan_seen_once_stays_in_the_tree(spawn):
    root, (_, middle, grandchild) = spawn("sleep", "exit-on-cue", "sleep")
    trees = ProcessTrees([root.pid])
    (Path(root.args[2]) / "cue").touch()
    wait_until("the middle process to exit", lambda: gone(middle))
    stat = proc_stat(grandchild)
    assert stat is not None and stat.ppid != middle  # re-parented: no longer under root by parent links
    assert grandchild not in ProcessTrees([root.pid]).alive()
    assert set(trees.alive()) == {root.pid, grandchild}


def test_stopping_terminates_every_tree_together_without_waiting_out_the_grace(spawn):
    trees = ProcessTrees()
    everyone = []
    for _ in range(2):
        root, pids = spawn("sleep", "sleep", "sleep")
        trees.add(root.pid)
        everyone += pids
    started = time.monotonic()
    assert stop_process_trees(trees, grace=20, kill_wait=5) == []
    assert time.monotonic() - started < 10
    assert all(gone(pid) for pid in everyone)


def test_a_process_that_ignores_sigterm_is_killed_when_the_grace_runs_out(spawn):
    root, pids = spawn("sleep", "stubborn")
    started = time.monotonic()
    assert stop_process_trees(ProcessTrees([root.pid]), grace=1, kill_wait=5) == []
    assert 1 <= time.monotonic() - started < 6
    assert all(gone(pid) for pid in pids)


@pytest.mark.integration
def test_the_launcher_stops_every_tree_in_a_storm_of_signals_and_says_so_last(tmp_path):
    """A SIGTERM to ``make run``'s group reaches the launcher twice at once (directly, and forwarded
    by ``uv run``): a lock taken in the signal handler deadlocked it, now and then, for good."""
    airflow = tmp_path / "airflow"
    airflow.write_text(FAKE_AIRFLOW.format(python=sys.executable))
    airflow.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env |= {"AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW_CONFIG": str(CFG), "AIRFLOW__API__PORT": str(port)}
    log = tmp_path / "launcher.log"
    with open(log, "wb") as sink:
        launcher = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import os, sys; from archive.airflow_run import run; sys.exit(run(os.environ, sys.argv[1]))",
                str(airflow),
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    trees = ProcessTrees([launcher.pid])
    try:
        wait_until("every component to be up", lambda: log.read_text().count(" up\n") == 3, timeout=60)
        assert len(trees.alive()) == 1 + 4 + 3  # the launcher, its components, the children they leave
        storm_ends = time.monotonic() + 1  # a second of signals (the stop takes 2): many land while a handler runs
        while time.monotonic() < storm_ends:
            launcher.send_signal(signal.SIGTERM)
            launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=40) == 0
        assert log.read_text().splitlines()[-1] == STOPPED
        assert trees.alive() == {}
    finally:
        stop_process_trees(trees, grace=0)
        launcher.wait()
