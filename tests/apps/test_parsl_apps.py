"""The Parsl apps on the ``local`` site config: real HTEX workers, real builds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import parsl
import pytest

from tests.conftest import HEAT2D
from xaas_parsl.apps import (
    deploy_and_run,
    discover_system,
    intersect,
    load_spec_points,
    root_cause,
)
from xaas_parsl.sites import config


@pytest.fixture(scope="module")
def local_parsl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    run_dir = tmp_path_factory.mktemp("runinfo")
    parsl.clear()
    dfk = parsl.load(config("local", run_dir=run_dir, workers_per_node=2))
    yield run_dir
    dfk.cleanup()
    parsl.clear()


def test_steps_run_on_their_declared_executors(local_parsl: Path) -> None:
    system = discover_system()
    spec = load_spec_points(str(HEAT2D / "app.yaml"))
    chosen = intersect(spec, system)
    assert chosen.result()["choice"]["cmake_args"]
    assert system.task_record["executor"] == "compute"
    assert spec.task_record["executor"] == "login"
    assert chosen.task_record["executor"] == "login"


def test_deploy_and_run_returns_the_example_test_result(local_parsl: Path,
                                                        tmp_path: Path) -> None:
    result = deploy_and_run("heat2d", workdir=tmp_path).result(timeout=600)
    assert result["passed"] is True
    assert result["tests"][0]["name"] == "numerics"
    assert "PASS" in result["tests"][0]["output"]
    assert result["configuration"] == result["deployment"]["configuration"]
    assert result["choice"]["reasons"]
    assert Path(result["deployment"]["prefix"], "bin", "heat2d-test").exists()


def test_a_failing_step_fails_the_future_with_its_error(local_parsl: Path,
                                                       tmp_path: Path) -> None:
    from xaas_parsl.errors import PolicyError

    future = deploy_and_run("heat2d", workdir=tmp_path, policy={"pin": {"simd": "IBM_VSX"}})
    with pytest.raises(Exception) as info:
        future.result(timeout=300)
    cause = root_cause(info.value)
    assert isinstance(cause, PolicyError)
    assert "IBM_VSX" in str(cause)


def test_discover_spec_points_app_on_the_example_source(local_parsl: Path) -> None:
    from xaas_parsl.apps import discover_spec_points

    future = discover_spec_points(str(HEAT2D))
    spec = future.result(timeout=120)
    assert future.task_record["executor"] == "login"
    assert set(spec["simd_vectorization"]) >= {"AVX_512", "SSE4.1", "None"}


def test_deploy_and_run_from_the_ir_bundle(local_parsl: Path, tmp_path: Path) -> None:
    result = deploy_and_run("heat2d", workdir=tmp_path, mode="ir").result(timeout=900)
    assert result["passed"] is True
    assert result["deployment"]["mode"] == "ir"
    bundle = result["deployment"]["bundle"]
    assert bundle["unique_irs"] < bundle["compile_jobs"]
