"""``xaas_parsl/snakemake/smk/flow.smk`` included in a Snakefile and run by a real ``snakemake``."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_infra
from tests.flow.conftest import DATA, FUNCTIONS
from xaas_parsl.snakemake import rule_file

RULES = Path(rule_file("flow.smk"))
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


@needs_infra(not SNAKEMAKE.exists() and shutil.which("snakemake") is None,
             "snakemake is not installed")
def test_flow_rule_runs_a_workflow_as_one_node(tmp_path: Path) -> None:
    (tmp_path / "Snakefile").write_text(
        f'include: "{RULES}"\n\nrule all:\n    input: config["flow_output"]\n')
    (tmp_path / "config.yaml").write_text(
        f"flow_definition: {DATA / '620.func-invo.json'}\n"
        "flow_input: in.json\n"
        "flow_output: out/result.json\n"
        f"flow_functions: [{FUNCTIONS}]\n"
        "flow_executor: login\n"
        "flow_measurements: out/calls.csv\n")
    (tmp_path / "in.json").write_text(json.dumps({"size": 20}))
    command = str(SNAKEMAKE) if SNAKEMAKE.exists() else "snakemake"
    proc = subprocess.run([command, "--cores", "1", "-s", "Snakefile", "--configfile",
                           "config.yaml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(json.loads((tmp_path / "out" / "result.json").read_text())["len"]) == 20
    with (tmp_path / "out" / "calls.csv").open() as handle:
        calls = list(csv.DictReader(handle))
    assert [c["func"] for c in calls] == ["gen"] + ["process"] * 8
    assert "median transition" in (tmp_path / "out" / "result.json.log").read_text()
