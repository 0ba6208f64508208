"""`make run`: the embedded Airflow on one machine, started in an order that cannot race.

``airflow standalone`` starts every component at once, and each invents its own JWT secret
when none is configured, so the scheduler's tokens fail the api-server's check ("Invalid
auth token") and every task fails; it also binds 0.0.0.0, sends tasks to localhost:8080
whatever port was chosen, and queues the first task before the api-server listens. This
launcher does what standalone does for a laptop, with those fixed:

- the secrets (``[api_auth] jwt_secret``, ``[api] secret_key``) are generated once into
  ``$AIRFLOW_HOME/secrets.json`` (mode 0600, under ``data/``, never committed) and handed to
  every component through the environment; values already in the environment win;
- the api-server listens on ``[api] host`` (127.0.0.1 in ``airflow.cfg``) and the base URL and
  execution API URL follow its port (``AIRFLOW__API__PORT``), unless set explicitly;
- the scheduler, dag-processor and triggerer start only once the api-server answers.

It runs ``airflow`` commands in subprocesses (``archive`` never imports Airflow), prefixes
their output with the component's name as standalone does, and stops them all, children
included, on Ctrl-C or SIGTERM, or as soon as one of them exits. "Children included" means the
whole process tree, not the process group: the scheduler's task supervisors and their task
runners each lead a group of their own, and a child whose parent dies first belongs to init.
Once everything is gone it prints ``edittrail: airflow stopped`` as its last line.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import NamedTuple

from archive.errors import ConfigError

SECRETS_FILE = "secrets.json"
SECRET_VARIABLES = {"AIRFLOW__API_AUTH__JWT_SECRET": 32, "AIRFLOW__API__SECRET_KEY": 16}
"""Environment variable → random bytes of the value; the same on every component."""

AFTER_API = {
    "scheduler": ("scheduler", "--skip-serve-logs"),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer", "--skip-serve-logs"),
}
"""Started once the api-server answers. Their log servers would bind every interface and are not
needed on one machine: the api-server reads task logs from ``[logging] base_log_folder``."""
API_READY_TIMEOUT_S = 300
STOP_GRACE_S = 20
"""From SIGTERM to SIGKILL, one deadline for every process of every component."""
KILL_WAIT_S = 5
"""After SIGKILL: only a process stuck in the kernel takes longer, and then we give up on it."""
STOPPED = "edittrail: airflow stopped"


def ensure_secrets(home: Path) -> dict[str, str]:
    """The secrets every component must share, made once and kept in ``home`` (readable only by us)."""
    path = home / SECRETS_FILE
    kept: dict[str, str] = {}
    if path.exists():
        try:
            kept = {k: str(v) for k, v in json.loads(path.read_text()).items()}
        except (ValueError, AttributeError) as exc:
            raise ConfigError(f"{path}: not a JSON object of secrets ({exc}); delete it to have new ones made") from exc
    missing = {name: secrets.token_hex(size) for name, size in SECRET_VARIABLES.items() if not kept.get(name)}
    if missing:
        home.mkdir(parents=True, exist_ok=True)
        kept |= missing
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(kept, fh, indent=2)
    return kept


def api_address(environ: Mapping[str, str], airflow_cfg: Path) -> tuple[str, int]:
    """(host, port) of the api-server: the environment's ``AIRFLOW__API__*`` over ``airflow.cfg``."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(airflow_cfg)
    host = environ.get("AIRFLOW__API__HOST") or str(parser.get("api", "host", fallback="127.0.0.1"))
    raw_port = environ.get("AIRFLOW__API__PORT") or str(parser.get("api", "port", fallback="8080"))
    where = "AIRFLOW__API__PORT" if environ.get("AIRFLOW__API__PORT") else f"{airflow_cfg} [api] port"
    if not raw_port.strip().isascii() or not raw_port.strip().isdigit() or not 1 <= int(raw_port) <= 65535:
        raise ConfigError(f"{where}: {raw_port!r} is not a port number; use 1-65535, e.g. 8080")
    return host, int(raw_port)


def component_env(environ: Mapping[str, str], home: Path, airflow_cfg: Path) -> dict[str, str]:
    """The environment of every component: shared secrets, and URLs that follow the api-server's port."""
    host, port = api_address(environ, airflow_cfg)
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (what others bind, not us)
    base = environ.get("AIRFLOW__API__BASE_URL") or f"http://{reach}:{port}"
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"AIRFLOW__API__BASE_URL: {base!r} is not an http(s) URL; e.g. http://127.0.0.1:{port}")
    derived = {
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base.rstrip('/')}/execution/",
    }
    env = dict(environ)
    for name, value in (ensure_secrets(home) | derived).items():
        if not environ.get(name):  # an operator's explicit value wins
            env[name] = value
    return env


class ProcStat(NamedTuple):
    state: str
    ppid: int
    start: int
    """Clock ticks after boot: with the pid, it names one process (pids are reused)."""


def proc_stat(pid: int) -> ProcStat | None:
    """State, parent and start time of ``pid`` from ``/proc/<pid>/stat``; None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()  # the command name before it may hold spaces and parens
    return ProcStat(fields[0].decode(), int(fields[1]), int(fields[19]))


def process_table() -> dict[int, ProcStat]:
    """Every process now, by pid (``/proc/*/task/*/children`` is not in every kernel; parent links are)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := proc_stat(int(name))) is not None:
            table[int(name)] = stat
    return table


class ProcessTrees:
    """The live processes descended from some roots, however they regroup or re-parent.

    A walk of parent links finds children in other process groups and sessions, but a child
    whose parent has died belongs to init: so walk while things run (``alive``, ``watch``) and
    remember each process seen, with its start time, so an orphan stays ours and a reused pid
    never becomes ours.
    """

    def __init__(self, roots: Iterable[int] = ()) -> None:
        self._known: dict[int, int] = {}
        for pid in roots:
            self.add(pid)

    def add(self, pid: int) -> None:
        if (stat := proc_stat(pid)) is not None:
            self._known[pid] = stat.start
        self.alive()

    def alive(self) -> dict[int, int]:
        """Walk /proc again: pid → start time of every live process of the trees (zombies are gone)."""
        table = process_table()
        children: dict[int, list[int]] = {}
        for pid, stat in table.items():
            children.setdefault(stat.ppid, []).append(pid)
        live = {
            pid: start
            for pid, start in self._known.items()
            if pid in table and table[pid].start == start and table[pid].state != "Z"
        }
        unvisited = list(live)
        while unvisited:
            for child in children.get(unvisited.pop(), ()):
                if child not in live and table[child].state != "Z":
                    live[child] = table[child].start
                    unvisited.append(child)
        self._known = live
        return dict(live)

    def watch(self) -> None:
        """Call now and then while the trees run, so that orphans are remembered."""
        self.alive()


def _signal_until_gone(trees: ProcessTrees, signum: int, seconds: float) -> list[int]:
    """Send ``signum`` once to each process of ``trees``, and to any that appears meanwhile, until none
    is left (``[]``) or ``seconds`` have passed (the pids still there)."""
    sent: set[tuple[int, int]] = set()
    deadline = time.monotonic() + seconds
    while members := trees.alive():
        if time.monotonic() >= deadline:
            return sorted(members)
        for member in members.items() - sent:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(member[0], signum)
            sent.add(member)
        time.sleep(0.1)
    return []


def stop_process_trees(trees: ProcessTrees, grace: float = STOP_GRACE_S, kill_wait: float = KILL_WAIT_S) -> list[int]:
    """SIGTERM to every process of ``trees`` at once, SIGKILL to whatever is left after ``grace`` seconds.

    Returns within ``grace + kill_wait`` seconds, with the pids that outlived SIGKILL (normally none).
    """
    if _signal_until_gone(trees, signal.SIGTERM, grace):
        return _signal_until_gone(trees, signal.SIGKILL, kill_wait)
    return []


@dataclass
class Components:
    """Airflow processes, each the root of a process tree (its task runners and crawls) that stops with it."""

    airflow: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    trees: ProcessTrees = field(default_factory=ProcessTrees)
    relays: list[threading.Thread] = field(default_factory=list)

    def start(self, name: str, *args: str) -> None:
        process = subprocess.Popen(
            [self.airflow, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        self.trees.add(process.pid)
        relay = threading.Thread(target=_relay, args=(name, process), daemon=True)
        relay.start()
        self.relays.append(relay)

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self) -> list[int]:
        """Stop every tree at once; the pids that would not die (normally none). Bounded by the grace periods."""
        left = stop_process_trees(self.trees)
        until = time.monotonic() + 2  # each is a zombie by now (unless in left): reap, then relay its last lines
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.01, until - time.monotonic()))
        for relay in self.relays:
            relay.join(timeout=max(0.01, until - time.monotonic()))
        return left


class StopRequest:
    """Set by SIGINT or SIGTERM; a plain attribute, polled.

    Not a ``threading.Event``: its ``set()`` takes a lock, and a second signal handled while the
    first handler holds it deadlocks the launcher for good. Signals come in pairs here: a SIGTERM
    to ``make run``'s process group reaches us directly and again forwarded by ``uv run``.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum

    def __bool__(self) -> bool:
        return self.signum is not None


def _relay(name: str, process: subprocess.Popen[bytes]) -> None:
    """Each line of a component, prefixed with its name, as ``airflow standalone`` shows them."""
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(f"{name:<13}| {line.decode(errors='replace')}")
        sys.stdout.flush()


def api_answers(base_url: str) -> bool:
    try:
        health = f"{base_url.rstrip('/')}/api/v2/monitor/health"  # http(s): checked in component_env
        with urllib.request.urlopen(health, timeout=5) as response:  # noqa: S310
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def wait_for_api(
    components: Components, base_url: str, stop: StopRequest, timeout: float = API_READY_TIMEOUT_S
) -> bool:
    """True once the api-server answers, False if we were asked to stop first."""
    deadline = time.monotonic() + timeout
    while not api_answers(base_url):
        if stop:
            return False
        stopped = components.exited()
        if stopped is not None:
            raise ConfigError(f"airflow {stopped[0]} exited with {stopped[1]} before the api-server answered")
        if time.monotonic() > deadline:
            raise ConfigError(f"the api-server did not answer on {base_url} within {timeout:.0f} s")
        components.trees.watch()
        time.sleep(1)
    return True


def run(environ: Mapping[str, str], airflow: str) -> int:
    """Start the api-server, then (once it answers) the rest; return when one exits or we are stopped."""
    home = Path(environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
    airflow_cfg = Path(environ.get("AIRFLOW_CONFIG") or home / "airflow.cfg")
    env = component_env(environ, home, airflow_cfg)
    components = Components(airflow, env)
    stop = StopRequest()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    base = env["AIRFLOW__API__BASE_URL"]
    try:
        components.start(
            "api-server", "api-server", "--host", env["AIRFLOW__API__HOST"], "--port", env["AIRFLOW__API__PORT"]
        )
        if not wait_for_api(components, base, stop):
            return 0
        for name, args in AFTER_API.items():
            components.start(name, *args)
        _announce(base, home)
        while not stop:
            stopped = components.exited()
            if stopped is not None:
                print(f"airflow {stopped[0]} exited with {stopped[1]}; stopping the others", file=sys.stderr)
                return 1
            components.trees.watch()
            time.sleep(1)  # resumed after a signal's handler (PEP 475): a stop is seen within 1 s
        return 0
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        left = components.stop()
        print(f"edittrail: airflow processes {left} outlived SIGKILL" if left else STOPPED, flush=True)


def _announce(base: str, home: Path) -> None:
    passwords = home / "simple_auth_manager_passwords.json.generated"
    print(
        f"\nAirflow is ready: {base}  (user admin, password in {passwords})\n"
        "DAGs start paused. crawl_demo crawls the simulated outlet: start it first in another terminal with\n"
        "  uv run --frozen edittrail simulate --outlet demo\n"
        "Ctrl-C stops Airflow.\n",
        flush=True,
    )


def main() -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    try:
        sys.exit(run(os.environ, airflow))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
