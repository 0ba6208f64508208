"""Shared fixtures: the simulated outlet on a free loopback port, and a config pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import HOSTS, write_config


@pytest.fixture
def sim() -> Iterator[object]:
    from archive.simulate import SimulatedOutlet

    with SimulatedOutlet(hosts=HOSTS, port=0, articles=30) as outlet:
        yield outlet


@pytest.fixture
def sim_config(tmp_path: Path, sim: object) -> Path:
    return write_config(tmp_path, port=sim.port)  # type: ignore[attr-defined]
