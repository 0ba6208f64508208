"""The README's tables cannot drift from the code: every config key and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from archive.cli.main import cli
from archive.config import AlertChannel, CrawlLimits, Outlet, Politeness, Revisit, S3Options, Seeds, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def documented_keys() -> set[str]:
    return set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", README, flags=re.M))  # s3 has a digit


def model_keys(model: type[BaseModel], prefix: str) -> set[str]:
    return {f"{prefix}.{name}" for name in model.model_fields if name != "name"}


def test_every_config_key_is_in_the_readme_table_and_nothing_else():
    expected = (
        model_keys(Settings, "settings")
        | {
            k
            for k in model_keys(Outlet, "outlets.NAME")
            if k.split(".")[-1] not in ("seeds", "politeness", "crawl", "revisit", "alerts", "s3")
        }
        | model_keys(Seeds, "outlets.NAME.seeds")
        | model_keys(Revisit, "outlets.NAME.revisit")
        | model_keys(AlertChannel, "outlets.NAME.alerts")
        | {"outlets.NAME.alerts.name"}
        | model_keys(Politeness, "outlets.NAME.politeness")
        | model_keys(CrawlLimits, "outlets.NAME.crawl")
        | model_keys(S3Options, "outlets.NAME.s3")
    )
    config_rows = {k for k in documented_keys() if k.startswith(("settings.", "outlets."))}
    assert config_rows == expected


def test_every_command_is_in_the_readme_and_its_help_ends_with_an_example():
    for name, command in cli.commands.items():
        assert f"`edittrail {name}" in README, name
        assert command.help and "Example: edittrail" in command.help.strip().splitlines()[-1], name


def test_every_make_target_is_documented():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]+):", makefile, flags=re.M)) - {"setup", "airflow-init", "clean"}
    for target in targets:
        assert f"make {target}" in README, target


def test_quick_start_is_exactly_make_demo_and_make_test():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```\n(.*?)```", quick, flags=re.S).group(1)
    assert block.split("\n")[:-1] == ["make demo", "make test"]
