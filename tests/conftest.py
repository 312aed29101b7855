"""Shared fixtures: paths to the reference data pack and the bundled example."""

from __future__ import annotations

import os
from pathlib import Path

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
