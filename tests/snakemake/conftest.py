"""Shared pieces of the Snakemake tests: running ``snakemake`` as users do, profiles installed
into a private ``XDG_CONFIG_HOME``, and the PBS stand-in on ``PATH`` (Slurm is real:
tests/slurm; Debian packages no PBS).

Every run happens in a temporary working directory (``--snakefile`` points at the repository's
workflow), so nothing is written into the checkout. One build directory is shared by the runs
of a session: the first run builds heat2d, later runs of the same configuration reuse the CMake
tree (an incremental build), which keeps the suite within its time budget while every rule still
runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

SNAKEMAKE = Path(sys.executable).parent / "snakemake"
XAAS = Path(sys.executable).parent / "xaas"
SNAKEFILE = REPO / "workflows" / "xaas" / "Snakefile"
FAKE = Path(__file__).parent / "fake_scheduler.py"
FAKE_TOOLS = ("qsub", "qstat", "qdel")


def run(cmd: list[str | Path], cwd: Path, env: dict[str, str],
        timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run a command like a user would; a hang becomes a test failure, not a stuck suite."""
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=timeout)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def xdg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private XDG_CONFIG_HOME with every site's profile installed by ``xaas profiles
    install`` (the user's own ~/.config is never touched)."""
    home = tmp_path_factory.mktemp("xdg")
    env = dict(os.environ, XDG_CONFIG_HOME=str(home))
    proc = run([XAAS, "profiles", "install"], cwd=home, env=env)
    assert proc.returncode == 0, output(proc)
    return home


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build trees shared by the session's runs (see the module docstring)."""
    return tmp_path_factory.mktemp("builds")


@pytest.fixture
def env(xdg: Path) -> dict[str, str]:
    """The environment of a user who installed the profiles and has no account set."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("XAAS_", "SNAKEMAKE_", "SLURM_", "PBS_"))}
    return dict(base, XDG_CONFIG_HOME=str(xdg))


@pytest.fixture
def fake_sched(tmp_path: Path, env: dict[str, str]) -> Iterator[Path]:
    """Fake ``qsub``/``qstat``/``qdel`` first on PATH; yields the directory where they record
    their calls (``calls.jsonl``)."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for tool in FAKE_TOOLS:
        (bin_dir / tool).symlink_to(FAKE)
    state = tmp_path / "fakesched"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["FAKE_SCHED_DIR"] = str(state)
    yield state
