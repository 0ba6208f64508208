"""`make run`'s launcher: one secret for every component, URLs that follow the port, clean errors."""

from __future__ import annotations

import json

import pytest

from archive.airflow_run import api_address, component_env, ensure_secrets
from archive.errors import ConfigError
from tests.support import ROOT

CFG = ROOT / "airflow.cfg"


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
