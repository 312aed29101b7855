"""Fixtures for the discovery tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._support import DATA


@pytest.fixture
def data_dir() -> Path:
    """The directory of recorded and constructed test inputs."""
    return DATA
