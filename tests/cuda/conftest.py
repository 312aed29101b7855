"""The CUDA toolchain from the ``cuda`` extra: tests skip without it, except under CI, where
``scripts/setup.sh`` installs it and its absence is a failure."""

from __future__ import annotations

import os
import shutil

import pytest


def need_cuda() -> None:
    """Skip (or fail under ``CI``) unless the wheels and clang-19 are there."""
    from xaas_parsl.cuda.toolchain import locate_toolchain
    from xaas_parsl.errors import ToolError

    try:
        locate_toolchain()
        problem = None if shutil.which("clang++-19") else "clang++-19 not on PATH"
    except ToolError as exc:
        problem = str(exc)
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CUDA toolchain missing under CI (scripts/setup.sh installs it): {problem}")
    pytest.skip(problem)
