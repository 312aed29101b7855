"""Heavier container variants (``-m slow``): the full x86-64 matrix in one IR container,
deployments for other nodes' system files, and the source container for another node."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SYSTEMS
from xaas_parsl.containers.deploy import deploy_image, run_image_tests

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(platform.machine() != "x86_64", reason="x86-64 matrix")]


@pytest.fixture(scope="module")
def full_ir(bases: dict[str, Any], heat2d: Any) -> dict[str, Any]:
    from xaas_parsl.containers.ir_image import build_ir_image

    return build_ir_image(heat2d, None, ref="heat2d-ir:1.0.0-full")


@pytest.mark.parametrize("config", ["None", "AVX2_256", "OPENMP+SSE4.1"])
def test_full_matrix_ir_container_deploys_any_configuration(full_ir: dict[str, Any],
                                                            config: str) -> None:
    assert len(full_ir["configs"]) == 8
    done = deploy_image(full_ir["image"], "ir", config=config)
    assert done["config"] == config
    assert run_image_tests(done["image"])["passed"]


@pytest.mark.usefixtures("reference")
def test_ir_container_deployed_for_another_node(full_ir: dict[str, Any]) -> None:
    """Ault's AMD node (AVX2, V100/A100): planned from its system file inside the container;
    the IR bundle holds the matrix (no GPU/MPI), so OPENMP+AVX2_256, which also runs here."""
    done = deploy_image(full_ir["image"], "ir", system_file=Path(SYSTEMS / "ault25.json"))
    assert done["config"] == "OPENMP+AVX2_256"
    assert run_image_tests(done["image"])["passed"]


@pytest.mark.usefixtures("reference")
def test_source_container_for_a_node_needing_mpi_fails_cleanly(engine: Any,
                                                               source_image: dict[str, Any]
                                                               ) -> None:
    """Aurora's choice turns MPI on; the toolchain image has no MPI, so the build fails
    inside the container: one ToolError, and no deployed image is tagged."""
    from xaas_parsl.errors import ToolError

    before = {t for img in engine.images.list() for t in img.tags}
    with pytest.raises(ToolError, match="failed inside the container"):
        deploy_image(source_image["image"], "source", system_file=Path(SYSTEMS / "aurora.json"))
    assert {t for img in engine.images.list() for t in img.tags} == before
