"""Writing small synthetic CMake trees for the discovery tests."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from xaas_parsl.spec.cmake.evaluate import Evaluator
from xaas_parsl.spec.cmake.facts import Facts
from xaas_parsl.spec.discover import discover_spec


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> CMake text, dedented) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def facts(root: Path, files: dict[str, str]) -> Facts:
    return Evaluator(tree(root, files)).run()


def spec(root: Path, files: dict[str, str]) -> dict[str, Any]:
    return discover_spec(tree(root, files))


HEADER = "cmake_minimum_required(VERSION 3.16)\nproject(demo CXX)\n"


def cm(body: str) -> str:
    """A top-level CMakeLists.txt: :data:`HEADER` (2 lines), then ``body`` from line 3."""
    return HEADER + textwrap.dedent(body).lstrip("\n")
