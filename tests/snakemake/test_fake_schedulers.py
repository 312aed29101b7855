"""The site profiles through the executor plugins' real submission code, up to the scheduler.

``sbatch``/``sacct``/``srun`` and ``qsub``/``qstat`` are the fakes of ``fake_scheduler.py``:
they record their arguments and run each job at once on this machine. So what is pinned here is
what the Slurm plugin and the cluster-generic plugin really pass to the scheduler from our
profiles and rules (partition, account, GPUs, uenv, node list, PBS queue/select/walltime/file
systems), and the jobs' round trip (job script or ``--wrap`` -> Snakemake job -> status query)
is real; queueing and allocation are not.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run

# The Slurm plugin waits 40 s before its first status query by default; the job has finished
# when the fake sbatch returns, so poll at once.
FAST_SLURM = ["--slurm-init-seconds-before-status-checks", "1"]
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


def value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_alps_through_sbatch_runs_the_pipeline_with_the_site_options(
        tmp_path: Path, env: dict[str, str], fake_sched: Path, builds: Path) -> None:
    env.update(XAAS_ACCOUNT="g42", FAKE_SLURM_ACCOUNTS="g42")
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "alps", *FAST_SLURM,
                "--config", f"builds={builds}"], tmp_path, env)
    assert proc.returncode == 0, output(proc)
    tests = json.loads((tmp_path / "results/alps/heat2d/tests.json").read_text())
    assert tests["passed"]
    for rule, minutes, gpus in (("xaas_discover_system", "10", True),
                                ("xaas_deploy_source", "120", False),
                                ("xaas_run_tests", "60", True)):
        argv = submitted(fake_sched, "sbatch", rule)
        assert value(argv, "-p") == "normal" and value(argv, "-A") == "g42"
        assert value(argv, "-t") == minutes
        assert "--uenv=prgenv-gnu/24.11:v1" in argv and "--view=default" in argv
        assert "--nodes=1" in argv and "--cpus-per-task=288" in argv
        assert ("--gpus=4" in argv) == gpus
        assert "--mem" not in argv                 # the partition's default, not 1000 MB
        wrapped = next(a for a in argv if a.startswith("--wrap="))
        assert "--executor slurm-jobstep" in wrapped and f"--target-jobs '{rule}:" in wrapped
    # local rules stay on the login node; compute jobs went through srun inside the job
    assert len(calls(fake_sched, "sbatch")) == 3 and len(calls(fake_sched, "srun")) == 3
    assert calls(fake_sched, "sacct")


def test_ault_v100_profile_pins_the_node_type(tmp_path: Path, env: dict[str, str],
                                               fake_sched: Path) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "ault-v100", *FAST_SLURM,
                "results/ault-v100/system.json"], tmp_path, env)
    assert proc.returncode == 0, output(proc)
    argv = submitted(fake_sched, "sbatch", "xaas_discover_system")
    assert value(argv, "-p") == "normal" and "-A" not in argv   # Ault charges no account
    assert "--nodelist=ault23" in argv and "--gpus=4" in argv
    assert "--cpus-per-task=32" in argv and "--uenv" not in " ".join(argv)
    assert (tmp_path / "results/ault-v100/system.json").is_file()


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
