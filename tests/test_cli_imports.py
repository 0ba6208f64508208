"""`edittrail --help` stays quick: importing the command line loads none of the heavy libraries.

Each command imports what it needs in its body; the import of ``archive.cli.main`` (all that
``--help`` runs) must not drag in the crawler, the scheduler, the web stack, extraction, S3,
WARC or the index. Checked in a fresh interpreter, where nothing was imported before.
"""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from archive.cli.main import CONFIG_ENV, cli

HEAVY = ("airflow", "scrapy", "fastapi", "uvicorn", "trafilatura", "boto3", "warcio", "sqlite_utils")


def test_importing_the_cli_loads_no_heavy_library():
    code = (
        "import json, sys; import archive.cli.main; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_help_lists_every_command_without_loading_a_config(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "missing.toml"), "--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:", 1)[1]
    for name in cli.commands:
        assert f"  {name} " in listed or f"  {name}\n" in listed, name
    assert {"versions", "diff", "changes", "show", "export", "serve", "status", "mirrors", "demo"} <= set(cli.commands)


def test_the_config_variable_is_the_one_the_loader_reads():
    from archive.config import CONFIG_ENV as LOADER_ENV

    assert CONFIG_ENV == LOADER_ENV
