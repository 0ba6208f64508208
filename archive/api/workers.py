"""The application of one ``edittrail serve --workers N`` process.

uvicorn starts each worker process by importing the application, so the app cannot be
handed over as an object: every worker builds its own with :func:`app_from_environment`
from what ``serve`` put in the environment (the config file's path in ``EDITTRAIL_CONFIG``,
the public URL in :data:`PUBLIC_URL_ENV`). Each worker reads the index through its own
read-only connections (``archive.api.readers``), so N workers need nothing shared but the
listening socket.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from archive.api.app import create_app
from archive.config import CONFIG_ENV, load_config

PUBLIC_URL_ENV = "EDITTRAIL_SERVE_PUBLIC_URL"


def environment(config_path: str, public_url: str | None) -> dict[str, str]:
    """What ``serve`` sets for its workers."""
    return {CONFIG_ENV: config_path, PUBLIC_URL_ENV: public_url or ""}


def app_from_environment() -> FastAPI:
    """uvicorn's application factory in a worker process."""
    config = load_config(os.environ[CONFIG_ENV])
    return create_app(config, public_url=os.environ.get(PUBLIC_URL_ENV) or None)
