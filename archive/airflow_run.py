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
included, on Ctrl-C or SIGTERM, or as soon as one of them exits.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class Components:
    """Airflow processes, each the leader of its own process group (its task runners and crawls follow it)."""

    airflow: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        process = subprocess.Popen(
            [self.airflow, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        threading.Thread(target=_relay, args=(name, process), daemon=True).start()

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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


def wait_for_api(components: Components, base_url: str, timeout: float = API_READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not api_answers(base_url):
        stopped = components.exited()
        if stopped is not None:
            raise ConfigError(f"airflow {stopped[0]} exited with {stopped[1]} before the api-server answered")
        if time.monotonic() > deadline:
            raise ConfigError(f"the api-server did not answer on {base_url} within {timeout:.0f} s")
        time.sleep(1)


def run(environ: Mapping[str, str], airflow: str) -> int:
    """Start the api-server, then (once it answers) the rest; return when one exits or we are stopped."""
    home = Path(environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
    airflow_cfg = Path(environ.get("AIRFLOW_CONFIG") or home / "airflow.cfg")
    env = component_env(environ, home, airflow_cfg)
    components = Components(airflow, env)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    base = env["AIRFLOW__API__BASE_URL"]
    try:
        components.start(
            "api-server", "api-server", "--host", env["AIRFLOW__API__HOST"], "--port", env["AIRFLOW__API__PORT"]
        )
        wait_for_api(components, base)
        for name, args in AFTER_API.items():
            components.start(name, *args)
        _announce(base, home)
        while not stop.wait(1):
            stopped = components.exited()
            if stopped is not None:
                print(f"airflow {stopped[0]} exited with {stopped[1]}; stopping the others", file=sys.stderr)
                return 1
        return 0
    finally:
        components.stop()


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
