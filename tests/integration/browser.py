"""What the browser tests share: the machine's headless Chromium, and ``edittrail serve`` in a
process of its own, as a researcher runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SERVE_STARTUP_SECONDS = 60


def skip_without_chromium() -> None:
    """Skip the calling test module where Debian's chromium is not installed (``make test`` installs it)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(config_path: Path, log: Path) -> Iterator[str]:
    """``edittrail serve`` on a free loopback port until the block ends; its base URL. Its log goes
    to ``log`` (a pipe nobody reads would stall the server once full), shown if it does not start."""
    port = free_port()
    command = [sys.executable, "-c", "from archive.cli.main import main; main()", "--config", str(config_path)]
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as stderr:
        process = subprocess.Popen([*command, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + SERVE_STARTUP_SECONDS
        while True:
            try:
                with urlopen(f"{base}/openapi.json", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"`edittrail serve` exited:\n{log.read_text()}") from None
                if time.monotonic() > deadline:
                    waited = f"{SERVE_STARTUP_SECONDS}s"
                    pytest.fail(f"`edittrail serve` did not answer on {base} within {waited}:\n{log.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """The machine's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
