"""The Aurora profile through the cluster-generic plugin's real submission code, up to PBS.

``qsub``/``qstat`` are the fakes of ``fake_scheduler.py`` (Debian packages no PBS): they record
their arguments and run each job at once on this machine. So what is pinned here is what the
plugin really passes to PBS from our profile and rules (queue, select, walltime, file systems)
and the job's round trip (job script -> Snakemake job -> status query through pbs-status.py);
queueing and allocation are not. The Slurm profiles run on a real Slurm cluster: tests/slurm.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run

FAST_POLL = ["--seconds-between-status-checks", "1"]


def calls(state: Path, tool: str) -> list[list[str]]:
    lines = (state / "calls.jsonl").read_text().splitlines()
    return [entry["argv"] for entry in map(json.loads, lines) if entry["tool"] == tool]


def submitted(state: Path, tool: str, rule: str) -> list[str]:
    """The argument list of the one submission of ``rule``."""
    matches = [argv for argv in calls(state, tool)
               if any(arg in (f"rule_{rule}", rule) or arg.startswith(f"rule_{rule}_wildcards")
                      for arg in argv)]
    assert len(matches) == 1, (rule, calls(state, tool))
    return matches[0]


def test_aurora_through_qsub_and_the_pbs_status_script(tmp_path: Path, env: dict[str, str],
                                                        fake_sched: Path) -> None:
    env["XAAS_ACCOUNT"] = "XaaSProj"
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "aurora", *FAST_POLL,
                "results/aurora/system.json"], tmp_path, env)
    assert proc.returncode == 0, output(proc)
    argv = submitted(fake_sched, "qsub", "xaas_discover_system")
    assert argv[:12] == ["-q", "debug", "-A", "XaaSProj", "-l", "select=1", "-l",
                         "place=scatter", "-l", "walltime=00:10:00", "-l",
                         "filesystems=home:flare"]
    assert Path(argv[-1]).name.startswith("snakejob.xaas_discover_system")
    # completion came from PBS through pbs-status.py (qstat -x -f -F json), not marker files
    assert calls(fake_sched, "qstat")[0][:4] == ["-x", "-f", "-F", "json"]
    assert (tmp_path / "results/aurora/system.json").is_file()
