"""The DAG tasks' S3 credentials: the outlet's Airflow connection, looked up at run time.

Run in a subprocess, as the DAG integrity test does: importing Airflow reconfigures logging
for the whole process. Connections come from ``AIRFLOW_CONN_<ID>`` variables here; the Task
SDK reads them the same way as connections in the metadata database or a secrets backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import dataclasses, json, sys
sys.path.insert(0, {dags!r})
from s3_credentials import s3_credentials
from archive.config import load_config
from archive.errors import EdittrailError
config = load_config(sys.argv[1])
out = {{}}
for name in sys.argv[2:]:
    try:
        found = s3_credentials(config, name)
        out[name] = dataclasses.asdict(found) if found else None
    except EdittrailError as exc:
        out[name] = {{"error": str(exc)}}
print("RESULT" + json.dumps(out))
"""
OUTLETS = """
[outlets.on_s3]
primary = "www.example.com"
article_pattern = '^/a/(?P<id>\\\\d+)'
store = "s3://edittrail-archive/a"

[outlets.named]
primary = "www.example.com"
article_pattern = '^/a/(?P<id>\\\\d+)'
store = "s3://edittrail-archive/b"
[outlets.named.s3]
aws_conn_id = "archive_s3"

[outlets.on_disk]
primary = "www.example.com"
article_pattern = '^/a/(?P<id>\\\\d+)'
store = "file://store"
"""


def lookup(tmp_path: Path, connections: dict[str, dict]) -> dict:
    config = tmp_path / "outlets.toml"
    config.write_text(OUTLETS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env |= {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "EDITTRAIL_ROOT": str(ROOT),
    }
    env |= {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(fields) for conn_id, fields in connections.items()}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(dags=str(ROOT / "dags")), str(config), "on_s3", "named", "on_disk"],
        env=env,
        capture_output=True,
        text=True,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, result.stderr[-3000:]
    return json.loads(line.removeprefix("RESULT"))


def test_aws_default_serves_outlets_that_name_no_connection_and_a_named_one_is_used_instead(tmp_path):
    found = lookup(
        tmp_path,
        {
            "aws_default": {
                "conn_type": "aws",
                "login": "AKIADEFAULT",
                "password": "pw",
                "extra": {"region_name": "eu-west-1"},
            },
            "archive_s3": {
                "conn_type": "aws",
                "login": "AKIANAMED",
                "password": "pw2",
                "extra": {"endpoint_url": "http://m:9000"},
            },
        },
    )
    assert found["on_s3"] == {
        "access_key_id": "AKIADEFAULT",
        "secret_access_key": "pw",
        "session_token": None,
        "region": "eu-west-1",
        "endpoint_url": None,
        "source": "Airflow connection 'aws_default'",
    }
    assert found["named"]["access_key_id"] == "AKIANAMED" and found["named"]["endpoint_url"] == "http://m:9000"
    assert found["on_disk"] is None  # a file:// store looks up no connection


def test_without_aws_default_the_standard_chain_is_used_but_a_missing_named_connection_is_an_error(tmp_path):
    found = lookup(tmp_path, {})
    assert found["on_s3"] is None and found["on_disk"] is None
    error = found["named"]["error"]
    assert str(tmp_path / "outlets.toml") in error
    assert "outlets.named.s3.aws_conn_id names the Airflow connection 'archive_s3', which does not exist" in error
