"""The showcase's container path on the real Docker engine (slow: deploys two IR containers)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import infra_missing
from tests.showcase.conftest import SMALL, WORKFLOW, run
from xaas_parsl.fileio import load_json
from xaas_parsl.showcase.figures import figures

pytestmark = pytest.mark.slow


def test_container_deployment_report(tmp_path: Path) -> None:
    from xaas_parsl.containers.engine import probe

    problem = probe()
    if problem is not None:
        infra_missing(f"no Docker engine answers ({problem}; ./scripts/start-dockerd.sh)")
    settings = {**SMALL, "deploy": "container"}
    proc = run([sys.executable, WORKFLOW / "showcase.py", "-o", tmp_path / "out", "--set",
                *[f"{k}={v}" for k, v in settings.items()]], cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = load_json(tmp_path / "out" / "report.json")
    dep = report["deployment"]
    assert dep["mode"] == "container"
    assert dep["tests"]["passed"] and dep["tests"]["image"] == dep["deployments"]["chosen"]["image"]
    for role in ("chosen", "portable"):
        assert (Path(dep["deployments"][role]["prefix"]) / "bin" / "heat2d").is_file()
    assert figures(report) == report["figures"]
    assert "Deployment: container" in (tmp_path / "out" / "summary.md").read_text()
