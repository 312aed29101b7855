"""``snakemake --profile alps`` and ``--executor xaas --xaas-site alps`` on the real Slurm
cluster: the generated profile, unchanged, through the real Slurm executor plugin (sbatch,
sacct); what reached Slurm is read back from ``sacct`` and from the SPANK plugin's record."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.slurm.cluster import ACCOUNT, job_record, spank_records
from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run

# The Slurm plugin waits 40 s before its first status query; the tests lower it (the profile
# itself stays as generated).
FAST_SLURM = ["--slurm-init-seconds-before-status-checks", "1",
              "--seconds-between-status-checks", "2"]
SUBMITTED = re.compile(r"SLURM jobid (\d+) \(log: \S*/rule_(\w+)/")
FIELDS = ("Partition", "Account", "AllocTRES", "Timelimit", "NodeList")


def submitted(log: str) -> dict[str, str]:
    """Rule name -> Slurm job id, from the Slurm plugin's log lines."""
    return {rule: job for job, rule in SUBMITTED.findall(log)}


def test_generated_alps_profile_runs_the_workflow_as_the_site_expects(
        tmp_path: Path, env: dict[str, str], builds: Path) -> None:
    env["XAAS_ACCOUNT"] = ACCOUNT
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "alps", *FAST_SLURM,
                "--config", f"builds={builds}"], tmp_path, env, timeout=480)
    log = output(proc)
    assert proc.returncode == 0, log
    assert json.loads((tmp_path / "results/alps/heat2d/tests.json").read_text())["passed"]
    jobs = submitted(log)
    assert set(jobs) == {"xaas_discover_system", "xaas_deploy_source", "xaas_run_tests"}, log
    for rule, limit, gpus in (("xaas_discover_system", "00:10:00", True),
                              ("xaas_deploy_source", "02:00:00", False),
                              ("xaas_run_tests", "01:00:00", True)):
        record = job_record(jobs[rule], FIELDS, until_state=("COMPLETED",))
        assert record["Partition"] == "normal" and record["Account"] == ACCOUNT, record
        assert record["Timelimit"] == limit, record
        tres = dict(item.split("=") for item in record["AllocTRES"].split(","))
        assert tres["cpu"] == "288" and tres["node"] == "1", record   # --cpus-per-task=288
        assert (tres.get("gres/gpu") == "4") == gpus, record
        assert record["NodeList"] in {"nid001001", "nid001002"}
        batch = [r for r in spank_records(jobs[rule]) if r["host"] == record["NodeList"]]
        assert batch and {(r["uenv"], r["view"]) for r in batch} == {
            ("prgenv-gnu/24.11:v1", "default")}, batch


def test_xaas_executor_plugin_runs_the_workflow_in_parsl_blocks_on_slurm(
        tmp_path: Path, env: dict[str, str], builds: Path) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--executor", "xaas", "--xaas-site",
                "alps", "--xaas-account", ACCOUNT, "--jobs", "4",
                "--config", "site=alps", f"builds={builds}"], tmp_path, env, timeout=480)
    assert proc.returncode == 0, output(proc)
    assert json.loads((tmp_path / "results/alps/heat2d/tests.json").read_text())["passed"]
    parsl_log = (tmp_path / ".snakemake/xaas/runinfo/000/parsl.log").read_text()
    blocks = re.findall(r"Launched block \d+ with job ID (\d+)", parsl_log)
    assert blocks, parsl_log[-2000:]
    for job in blocks:   # real Slurm jobs of the site's partition, account, GPUs and uenv
        record = job_record(job, FIELDS)
        assert record["Partition"] == "normal" and record["Account"] == ACCOUNT, record
        assert "gres/gpu=4" in record["AllocTRES"] and record["Timelimit"] == "00:30:00"
        assert {r["uenv"] for r in spank_records(job)} == {"prgenv-gnu/24.11:v1"}
