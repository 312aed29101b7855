"""A shared, warm process pool for flare tests (forked: test modules are importable)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest


@pytest.fixture(scope="session")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Four pack processes: enough for every flare in these tests to be placed at once."""
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as executor:
        yield executor
