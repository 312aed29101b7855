"""The real ASL tools: ``statelint`` (PyPI), ``asl-validator`` and ``aws-local-stepfunctions``
(npm, ``tools/asl``, installed by ``scripts/setup.sh``), driven the way the tests need them.

``run_on_emulator`` runs many (definition, input) jobs in ONE node process
(``tools/asl/run.mjs``) against a ``xaas flow serve`` URL; each job's executions carry their own
``request_id`` (the envelope's, from ``$$.Execution.Name``), so the server's calls can be split
per job afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.conftest import infra_missing

REPO = Path(__file__).resolve().parents[3]
ASL_TOOLS = REPO / "tools" / "asl"
NODE_BIN = ASL_TOOLS / "node_modules" / ".bin"
STATELINT = Path(sys.executable).with_name("statelint")


def need_node_tools() -> None:
    if shutil.which("node") is None or not (NODE_BIN / "asl-validator").exists() or not (
            ASL_TOOLS / "node_modules" / "aws-local-stepfunctions").is_dir():
        infra_missing("ASL npm tools missing: run scripts/setup.sh (npm ci in tools/asl)")


def need_statelint() -> None:
    if not STATELINT.exists():
        infra_missing("statelint missing: pip install -e '.[dev]'")


def statelint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STATELINT), *map(str, paths)], capture_output=True, text=True,
                          timeout=120, check=False)


def asl_validator(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    args = [str(NODE_BIN / "asl-validator")]
    for path in paths:
        args += ["--json-path", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def run_on_emulator(jobs: list[dict[str, Any]], endpoint_base: str) -> list[dict[str, Any]]:
    """``[{"ok", "output"} | {"ok": False, "error", "cause"}]``, one per job, in order."""
    with tempfile.TemporaryDirectory(prefix="xaas-asl-") as tmp:
        path = Path(tmp) / "jobs.json"
        path.write_text(json.dumps([{**job, "endpoint_base": endpoint_base} for job in jobs]))
        done = subprocess.run(["node", str(ASL_TOOLS / "run.mjs"), str(path)],
                              capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"run.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results
