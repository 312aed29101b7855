"""``workflows/sebs-flow/Snakefile`` run by a real ``snakemake --cores 2``: experiments as DAG
nodes on the ``local`` site, then the suite summary."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_infra

REPO = Path(__file__).resolve().parents[3]
SNAKEFILE = REPO / "workflows" / "sebs-flow" / "Snakefile"
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


@needs_infra(not SNAKEMAKE.exists() and shutil.which("snakemake") is None,
             "snakemake is not installed")
def test_suite_runs_as_snakemake_dag(tmp_path: Path) -> None:
    command = str(SNAKEMAKE) if SNAKEMAKE.exists() else "snakemake"
    proc = subprocess.run(
        [command, "-s", str(SNAKEFILE), "--cores", "2", "--directory", str(tmp_path),
         "--config", "benchmarks=[620.func-invo,6200.trip-booking]", "modes=[sequential]",
         "reps=2", "executor=login"],
        capture_output=True, text=True, timeout=300, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = tmp_path / "results" / "sebs-flow"
    rows = json.loads((out / "suite.json").read_text())
    assert [(r["benchmark"], r["mode"], r["runs"]) for r in rows] == \
        [("620.func-invo", "sequential", 2), ("6200.trip-booking", "sequential", 2)]
    with (out / "6200.trip-booking" / "test-sequential" / "calls.csv").open() as handle:
        funcs = [r["func"] for r in csv.DictReader(handle)]
    assert funcs.count("confirm") == 2 and not any(f.startswith("cancel") for f in funcs)
    assert (out / "suite.png").read_bytes().startswith(b"\x89PNG")
    assert "4 of 4 steps (100%) done" in proc.stderr
