"""The container commands' bad-input paths: one line on stderr, exit 1, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import REPO

XAAS = str(REPO / ".venv" / "bin" / "xaas")


def _xaas(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([XAAS, *args], capture_output=True, text=True, check=False,
                          timeout=300, env={**os.environ, **(env or {})})


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("xaas: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_no_engine_says_what_is_missing_and_how_to_start_it(tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    for args in (["images", "bootstrap"], ["container", "ir", "deploy", "x:1"],
                 ["run", "x:1", "--", "true"], ["images", "prune"]):
        line = _one_error_line(_xaas(*args, env=env))
        assert "no Docker engine" in line and "dockerd --storage-driver=vfs" in line, line


def test_missing_image_is_one_line(engine: Any) -> None:
    line = _one_error_line(_xaas("container", "source", "deploy", "xaas-missing:0"))
    assert "xaas-missing:0: no such image" in line
    line = _one_error_line(_xaas("run", "xaas-missing:0", "--", "true"))
    assert "no such image" in line


def test_bad_app_descriptor_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "app.yaml"
    bad.write_text("name: [unclosed\n")
    line = _one_error_line(_xaas("container", "ir", "build", str(bad)))
    assert str(bad) in line
