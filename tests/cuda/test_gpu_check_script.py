"""``scripts/gpu-check.sh`` up to the GPU boundary: without a usable NVIDIA GPU it refuses
(exit 3) before measuring anything and writes no ``gpu-check.json`` that could pass for a
result; without the prepared carry it says to run ``gpu-prepare.sh`` (exit 2). The run on a
real GPU is not testable here (docs/gpu.md says what ran)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO


def _tree(tmp_path: Path, carry: bool) -> Path:
    """A copy of the script in a checkout-like tree, with a stub carry when ``carry``."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "gpu-check.sh", root / "scripts" / "gpu-check.sh")
    if carry:
        test = root / ".gpu-carry" / "cuda" / "bin" / "heat2d-test"
        test.parent.mkdir(parents=True)
        test.write_text("#!/bin/sh\necho MEASURED > \"$OUT/ran\"\n", encoding="utf-8")
        test.chmod(0o755)
    return root


def _run(root: Path, path: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "OUT": str(out)}
    return subprocess.run(["bash", str(root / "scripts" / "gpu-check.sh")], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_refuses_when_the_driver_does_not_answer(tmp_path: Path) -> None:
    """An ``nvidia-smi`` that fails (a node without a loaded driver) is the boundary."""
    root = _tree(tmp_path, carry=True)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text(
        "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the "
        "NVIDIA driver.\"\nexit 9\n", encoding="utf-8")
    (fake / "nvidia-smi").chmod(0o755)
    out = tmp_path / "out"
    res = _run(root, f"{fake}:/usr/bin:/bin", out)
    assert res.returncode == 3, res.stderr
    assert "gpu-check: refused: no usable NVIDIA GPU here (nvidia-smi rc=9: NVIDIA-SMI has " \
           "failed" in res.stderr
    assert "Nothing was measured" in res.stderr
    assert not (out / "gpu-check.json").exists() and not (out / "ran").exists()
    assert (out / "nvidia-smi.txt").read_text().endswith("nvidia-smi rc=9\n")


def test_refuses_without_nvidia_smi(tmp_path: Path) -> None:
    if shutil.which("nvidia-smi", path="/usr/bin:/bin"):
        pytest.skip("this machine has nvidia-smi in /usr/bin: the fake-driver case covers it")
    out = tmp_path / "out"
    res = _run(_tree(tmp_path, carry=True), "/usr/bin:/bin", out)
    assert res.returncode == 3 and "nvidia-smi rc=127: nvidia-smi: not found" in res.stderr
    assert not (out / "gpu-check.json").exists()


def test_says_to_prepare_without_the_carry(tmp_path: Path) -> None:
    res = _run(_tree(tmp_path, carry=False), "/usr/bin:/bin", tmp_path / "out")
    assert res.returncode == 2 and "run scripts/gpu-prepare.sh here" in res.stderr
