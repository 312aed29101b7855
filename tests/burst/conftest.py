"""Shared fixtures: a warm process pool for flares and a private redis-server for the Redis
transport (forked pools: test modules are importable)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.services import redis_server


@pytest.fixture(scope="session")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Four pack processes: enough for every flare in these tests to be placed at once."""
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as executor:
        yield executor


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free port, in its own directory, without persistence."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["zmq", "redis"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each transport: "zmq", or the URL of the test redis-server."""
    if request.param == "zmq":
        return "zmq"
    url: str = request.getfixturevalue("redis_url")
    return url
