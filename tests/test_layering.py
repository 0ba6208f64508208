"""archive/ is the core: it imports neither Scrapy nor Airflow (they call into it), and its
modules import each other without a cycle.

Every archive module is imported in one fresh interpreter, with an import hook that notes which
archive module was running when a forbidden package was first imported: one subprocess for the
whole package, and a failure that names the module to fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.import_graph import CORE_MODULES, cycles, import_graph, imported

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("scrapy", "twisted", "airflow")


PROBE = """
import importlib, json, sys

forbidden, modules = set(sys.argv[1].split(",")), sys.argv[2:]
preloaded = sorted(forbidden & {name.partition(".")[0] for name in sys.modules})
first_import = {}  # forbidden package -> (archive module running, module whose import statement it was)


class Watch:
    def find_spec(self, name, path=None, target=None):
        root = name.partition(".")[0]
        if root in forbidden and root not in first_import:
            importer, frame = None, sys._getframe(1)
            while frame is not None:
                running = frame.f_globals.get("__name__", "")
                if not running.startswith(("importlib", "_frozen_importlib")) and running != __name__:
                    importer = importer or running
                    if running == "archive" or running.startswith("archive."):
                        first_import[root] = (running, importer)
                        break
                frame = frame.f_back
            else:
                first_import[root] = (current, importer)
        return None  # only watching: the normal finders import it


sys.meta_path.insert(0, Watch())
for current in modules:
    importlib.import_module(current)
loaded = {root: first_import.get(root) for root in forbidden if root in sys.modules}
print(json.dumps({"preloaded": preloaded, "loaded": loaded}))
"""


def first_imports(modules: list[str]) -> dict[str, str]:
    """Import ``modules`` in order in one fresh interpreter; for each forbidden package it then
    holds, who imported it first (an import statement's module, the archive module loading)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), *modules],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["preloaded"] == [], f"loaded before any module was imported: {found['preloaded']}"
    return {
        root: f"{root} is imported by {importer}, while {running} loads"
        for root, (running, importer) in found["loaded"].items()
    }


def test_no_archive_module_pulls_in_scrapy_twisted_or_airflow():
    assert len(CORE_MODULES) > 50, sorted(CORE_MODULES)
    assert first_imports(sorted(CORE_MODULES)) == {}


def test_the_probe_names_the_module_that_pulled_a_forbidden_package_in():
    found = first_imports(["archive.errors", "spiders.failover"])
    assert found["scrapy"] == "scrapy is imported by spiders.failover, while spiders.failover loads"
    assert "while spiders.failover loads" in found["twisted"]


def test_archive_modules_import_each_other_without_a_cycle():
    found = {frozenset(cycle): " -> ".join(cycle) for cycle in cycles(import_graph())}
    assert found == {}


def test_the_index_imports_no_detect_module():
    """The index owns its records (``Version``, ``Change``, ``NoisePattern`` are in
    archive.index.records): it stores what detect makes without importing the stage."""
    graph = import_graph()
    found = {(name, target) for name in graph if name.startswith("archive.index") for target in graph[name]}
    assert {edge for edge in found if edge[1].startswith("archive.detect")} == set()


def test_the_import_graph_sees_lazy_and_relative_imports_but_not_type_checking_ones(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from archive.warc import names\n"
        "if TYPE_CHECKING:\n"
        "    from archive.pipeline import store\n"
        "def later():\n"
        "    from archive.config import store_for\n"
        "    from . import objects\n"
    )
    assert sorted(imported("archive.storage.example", source)) == [
        "archive.config",
        "archive.storage.objects",
        "archive.warc.names",
    ]
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"]}) == [["a", "b", "c", "a"]]
    assert cycles({"a": ["b"], "b": [], "c": ["b"]}) == []


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
