"""Fixtures of the tests that run on the real Slurm cluster (``scripts/start-slurm.sh``).

Without a cluster these tests skip, unless ``CI`` is set: there ``scripts/setup.sh`` starts the
cluster, so a missing one is a failure (local rule of this directory until a central helper
exists in tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.slurm.cluster import START, nodes, running_site


def missing(reason: str) -> None:
    """Fail under CI (setup.sh provides the cluster), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: scripts/setup.sh should have started it)")
    pytest.skip(reason)


def use_site(site: str) -> None:
    """Make the running cluster emulate ``site`` (start-slurm.sh restarts it if needed)."""
    current = running_site()
    if current is None:
        missing("no Slurm cluster answers: start one with scripts/start-slurm.sh")
    if current != site or any(not s.startswith(("idle", "alloc", "mix", "comp"))
                               for s in nodes().values()):
        if os.geteuid() != 0:
            missing(f"the cluster emulates {current}, not {site}, and only root can restart it")
        proc = subprocess.run([str(START), "--site", site], capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr


@pytest.fixture
def alps() -> str:
    """The cluster, emulating Alps; the site name."""
    use_site("alps")
    return "alps"


# The Snakemake tests' fixtures (profiles installed into a private XDG_CONFIG_HOME, a shared
# build directory, a user environment without XAAS_*/SLURM_* variables).
from tests.snakemake.conftest import builds, env, xdg  # noqa: E402

__all__ = ["alps", "ault", "builds", "env", "xdg"]


@pytest.fixture
def ault() -> str:
    """The cluster, restarted to emulate Ault (its node names ault01-04, ault23-24, ault25)."""
    use_site("ault")
    return "ault"
