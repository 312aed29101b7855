"""One heat2d IR bundle per session (four configurations), shared by the IR tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, host_cpu_flags, infra_missing

CONFIGS = ["None", "SSE4.1", "AVX_512", "OPENMP+AVX_512"]
TOOLS = ("clang++-19", "opt-19", "llvm-dis-19", "llvm-as-19", "cmake", "ninja")


def need_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        infra_missing(f"IR tests need {', '.join(missing)}")


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """(bundle dir, summary of its first build)."""
    need_tools()
    from xaas_parsl.descriptor.app import load_app
    from xaas_parsl.ir.build import build_bundle

    out = tmp_path_factory.mktemp("ir") / "ir-bundle"  # the name run_ir_job uses
    return out, build_bundle(load_app(HEAT2D), out, CONFIGS, quiet=True)


@pytest.fixture(scope="session")
def deployed_avx512(bundle: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    """The AVX_512 configuration deployed (lowered, linked, installed)."""
    from xaas_parsl.ir.deploy import deploy

    return deploy(bundle[0], "AVX_512", quiet=True)


def has_avx512() -> bool:
    return "avx512f" in host_cpu_flags()
