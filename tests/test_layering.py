"""archive/ is the core: it must import neither Scrapy nor Airflow (they call into it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "archive").rglob("*.py")
)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_loads_without_scrapy_twisted_or_airflow(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'airflow'}); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"


def test_dag_files_import_only_airflow_sdk_pendulum_stdlib_archive_config_and_each_other():
    dag_folder_modules = {path.stem for path in (ROOT / "dags").glob("*.py")}
    allowed_roots = {"airflow", "pendulum", "archive", "__future__"} | set(sys.stdlib_module_names) | dag_folder_modules
    for dag_file in (ROOT / "dags").glob("*.py"):
        for line in dag_file.read_text().splitlines():
            if line.startswith(("import ", "from ")):
                root = line.split()[1].split(".")[0]
                assert root in allowed_roots, f"{dag_file.name}: top-level import of {root}"
                if root == "airflow":
                    assert line.startswith("from airflow.sdk import"), f"{dag_file.name}: {line}"
                if root == "archive":
                    assert line.startswith("from archive.config import"), f"{dag_file.name}: {line}"
