"""Both doors of the showcase run for real, once per session, on ``local`` with small sizes.

The Snakemake door runs first (``snakemake --profile local`` in ``workflows/showcase/``, the
profile found there, results under a temporary ``--directory``) and builds the native IR
bundle; the Parsl door (``python workflows/showcase/showcase.py``) shares the build directory, so
it reuses the bundle and only lowers again. Deployment is ``native`` here to keep the suite
within its budget (``docker run`` costs ~10 s on this machine's vfs storage); the container
path runs in ``test_container`` (slow) and in the README's command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from xaas_parsl.fileio import load_json

WORKFLOW = REPO / "workflows" / "showcase"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
SMALL = {"deploy": "native", "grid": "128", "steps": "50", "rounds": "3", "flare_size": "8",
         "flare_granularity": "4", "flare_grid": "32", "flare_steps": "5", "flow_reps": "1"}


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("XAAS_", "SNAKEMAKE_", "SLURM_", "PBS_"))}


def run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, check=False, timeout=timeout)


@pytest.fixture(scope="session")
def doors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"snakemake": dir, "parsl": dir}``: the two report directories."""
    base = tmp_path_factory.mktemp("showcase")
    builds = base / "builds"
    settings = {**SMALL, "builds": str(builds)}
    smk_dir = base / "smk"
    proc = run([SNAKEMAKE, "--profile", "local", "--directory", smk_dir, "--config",
                *[f"{k}={v}" for k, v in settings.items()]], cwd=WORKFLOW)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    parsl_dir = base / "parsl"
    proc = run([sys.executable, WORKFLOW / "showcase.py", "-o", parsl_dir, "--set",
                *[f"{k}={v}" for k, v in settings.items()]], cwd=base)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"snakemake": smk_dir / "results" / "showcase" / "local", "parsl": parsl_dir}


@pytest.fixture(scope="session")
def reports(doors: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {door: load_json(path / "report.json") for door, path in doors.items()}
