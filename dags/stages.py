"""What the DAG tasks run: the config, read afresh, and the stages that touch the object store.

Not a DAG: a module the DAG files import (the DAG folder is on ``sys.path`` wherever Airflow
parses or runs them). The store, index and detect tasks of the crawl and mirrors DAGs are one
call to ``run_stage``: the stage is the ``archive.pipeline`` function that ``edittrail crawl``
calls too, given the S3 credentials of the outlet's Airflow connection (``s3_credentials.py``),
looked up when the task runs, never when the DAG file is parsed. Such a task's argument is its
upstream task's result, taken only so that Airflow orders the tasks: it is typed ``object``
and not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from archive.config import Config, default_config_path, load_config

if TYPE_CHECKING:
    from archive.storage.s3_settings import S3Credentials

CONFIG_FILE = default_config_path(Path(__file__).resolve().parents[1] / "outlets.toml")

StoreStage = Literal["store", "index", "detect"]
"""The pipeline stages that read or write the outlet's object store."""


class _Stage(Protocol):
    def __call__(
        self, config: Config, outlet_name: str, credentials: S3Credentials | None = None, /
    ) -> dict[str, Any]: ...


def config() -> Config:
    """Tasks re-read the config: a worker process has not parsed the DAG file's module state."""
    return load_config(CONFIG_FILE)


def run_stage(stage: StoreStage, outlet_name: str) -> dict[str, Any]:
    """``archive.pipeline.<stage>`` for one outlet, with its store's credentials; what it returns
    goes to XCom (counts and paths, nothing large)."""
    from s3_credentials import s3_credentials

    from archive import pipeline

    stages: dict[StoreStage, _Stage] = {"store": pipeline.store, "index": pipeline.index, "detect": pipeline.detect}
    cfg = config()
    return stages[stage](cfg, outlet_name, s3_credentials(cfg, outlet_name))
