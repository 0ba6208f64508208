"""``edittrail serve``: uvicorn runs the app with its access log off unless asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive.cli.main import cli
from tests.support import write_config


@pytest.fixture
def ran(monkeypatch, tmp_path: Path) -> dict[str, Any]:
    import uvicorn

    calls: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.update(app=app, **options))
    calls["config"] = write_config(tmp_path, port=8765)
    return calls


def serve(ran: dict[str, Any], *args: str) -> None:
    result = CliRunner().invoke(cli, ["--config", str(ran["config"]), "serve", "--port", "8123", *args])
    assert result.exit_code == 0, result.output


def test_serve_runs_without_an_access_log_by_default(ran):
    serve(ran)
    assert ran["access_log"] is False and ran["port"] == 8123 and ran["host"] == "127.0.0.1"


def test_serve_access_log_turns_uvicorns_access_log_on(ran):
    serve(ran, "--access-log")
    assert ran["access_log"] is True


def test_serve_help_documents_the_access_log_option():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--access-log" in result.output


def test_serve_workers_starts_that_many_processes_each_building_the_app_from_the_environment(ran, monkeypatch):
    from archive.config import CONFIG_ENV

    monkeypatch.delenv(CONFIG_ENV, raising=False)
    serve(ran, "--workers", "2", "--public-url", "https://archive.example.org")
    assert ran["app"] == "archive.api.workers:app_from_environment"
    assert ran["factory"] is True and ran["workers"] == 2
    from archive.api.workers import app_from_environment

    app = app_from_environment()
    assert app.state.archive.public_url == "https://archive.example.org"
    assert app.state.archive.config.path == Path(ran["config"]).resolve()


def test_serve_refuses_zero_workers(ran):
    result = CliRunner().invoke(cli, ["--config", str(ran["config"]), "serve", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


@pytest.mark.parametrize(
    ("host", "says"), [("garbage..", "not a valid host name"), ("no-such-host.invalid", "resolves")]
)
def test_serve_refuses_a_host_it_cannot_resolve_before_uvicorn_starts(ran, host, says):
    result = CliRunner().invoke(cli, ["--config", str(ran["config"]), "serve", "--host", host])
    assert result.exit_code == 2 and "--host" in result.output and says in result.output, result.output
    assert "app" not in ran  # uvicorn never ran


def test_serve_says_the_port_is_taken_instead_of_a_traceback(ran):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--config", str(ran["config"]), "serve", "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output, result.output
    assert "app" not in ran
