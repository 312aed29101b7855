"""A flare on Parsl's HighThroughputExecutor (the ``local`` site's ``compute``), used as one
node of a Parsl DAG: a downstream app receives the flare's rank-ordered results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import parsl
import pytest
from parsl import python_app
from parsl.dataflow.dflow import DataFlowKernel

from tests.burst import workers
from xaas_parsl.burst import flare
from xaas_parsl.burst.apps import sort
from xaas_parsl.burst.parsl_apps import flare_app
from xaas_parsl.sites import config


@pytest.fixture(scope="module")
def dfk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataFlowKernel]:
    run_dir: Path = tmp_path_factory.mktemp("runinfo")
    parsl.clear()
    kernel = parsl.load(config("local", run_dir=run_dir, workers_per_node=4))
    yield kernel
    kernel.cleanup()
    parsl.clear()


@python_app(executors=["login"])
def total_keys(parts: list[list[int]]) -> int:
    """Downstream DAG node: counts the sorted keys."""
    return sum(len(p) for p in parts)


@python_app(executors=["login"])
def upstream_values(n: int) -> list[int]:
    """Upstream DAG node: one value per rank."""
    return [10 * i for i in range(n)]


@python_app(executors=["login"])
def consume(results: list[int]) -> tuple[int, int]:
    """Downstream DAG node: reads the flare's whole result list."""
    return len(results), results[0]


@pytest.mark.usefixtures("dfk")
def test_flare_on_htex_feeds_a_downstream_app() -> None:
    # Two packs: HTEX starts one worker per core, and this test must pass on two cores.
    future = flare(sort.terasort, 8, 4, executor="compute", kwargs={"count": 200}, timeout=30,
                   start_timeout=30)
    downstream: Any = total_keys(future)
    assert downstream.result(timeout=90) == 8 * 200
    assert sort.verify(future.result(), 8, 200)
    assert future.timing.summary().size == 8


@pytest.mark.usefixtures("dfk")
def test_flare_join_app_is_a_node_between_parsl_apps() -> None:
    """upstream app -> flare (join_app; its argument is the upstream AppFuture) -> app."""
    values = upstream_values(8)
    node: Any = flare_app(workers.scaled_sum, 8, 4, values, factor=2,
                          flare_options={"executor": "compute", "timeout": 30,
                                         "start_timeout": 30})
    assert type(node).__name__ == "AppFuture"
    downstream: Any = consume(node)
    assert downstream.result(timeout=90) == (8, 2 * sum(10 * i for i in range(8)))
    assert node.result() == [2 * 280] * 8
