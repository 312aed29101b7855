"""Shared fixtures: paths to the reference data pack and the bundled example, and the one rule
for infrastructure that ``scripts/setup.sh`` provides (Docker engine, Podman, the npm tools in
tools/asl, redis, RabbitMQ, compilers): missing, a test skips on a developer's machine but
FAILS when ``CI`` is set, so a broken setup can never pass as a row of skips."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

from xaas_parsl.packaged import BUNDLED_APPS

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XAAS_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
SYSTEMS = REFERENCE / "xaas" / "system-discovery"
SPECS = REFERENCE / "xaas" / "specialization-points"
UPSTREAM_INTERSECTION = REFERENCE / "xaas" / "upstream-intersection"
HEAT2D = BUNDLED_APPS / "heat2d"
SYSTEM_NAMES = ("ault23", "ault25", "aurora", "clariden-alps", "lumi", "mn5")


def in_ci() -> bool:
    """Whether this run is CI (``CI`` set to anything but empty, ``0`` or ``false``)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def infra_missing(reason: str) -> NoReturn:
    """Infrastructure that scripts/setup.sh provides is missing: skip, or fail under ``CI``."""
    if in_ci():
        pytest.fail(f"infrastructure missing under CI (scripts/setup.sh provides it): {reason}",
                    pytrace=False)
    pytest.skip(reason)


def infra_import(module: str) -> ModuleType:
    """``pytest.importorskip`` for the packages of ``.[dev]`` (setup.sh installs them)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        infra_missing(f"{module} is not installed (pip install -e '.[dev]'): {exc}")


def needs_infra(missing: bool, reason: str) -> pytest.MarkDecorator:
    """Marker form of :func:`infra_missing` (replaces ``skipif`` for setup-provided tools)."""
    return pytest.mark.infra(missing=missing, reason=reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "infra(missing, reason): needs setup-provided "
                            "infrastructure; skips when missing, fails under CI")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Under ``CI`` a module skipped at collection (``pytest.importorskip`` of a ``.[dev]``
    package at module level) fails: setup.sh installs every such package."""
    if in_ci() and report.skipped:
        report.outcome = "failed"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("infra"):
        if mark.kwargs["missing"]:
            infra_missing(mark.kwargs["reason"])


@pytest.fixture(scope="session")
def reference() -> Path:
    """The shared reference data pack (skips when it is not beside the checkout)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (set XAAS_SHARED)")
    return REFERENCE


def host_cpu_flags() -> set[str]:
    """The host's CPU flags read straight from /proc/cpuinfo (an oracle independent of the
    discovery code under test); empty when the file has none."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:
            return set(value.split())
    return set()
