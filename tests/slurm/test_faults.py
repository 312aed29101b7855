"""Faults on the real Slurm cluster, each with a bounded wait: a failing Snakemake job (reported,
the other outputs stay), a job over its time limit (Slurm's TIMEOUT, reported), a node set DOWN
under a running job (the job reruns on the other node), and a missing account or a partition
the site lacks (refused before anything reaches Slurm). A block cancelled under running Parsl
tasks is in test_parsl.py."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import parsl
import pytest
from parsl.app.app import python_app

from tests.slurm.cluster import ACCOUNT, job_record, nodes, slurm, wait_until
from tests.slurm.conftest import use_site
from tests.slurm.test_snakemake import FAST_SLURM, submitted
from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run
from xaas_parsl.errors import InputError
from xaas_parsl.sites import config

FAULTS = Path(__file__).parent / "faults" / "Snakefile"


def recent_jobs() -> set[str]:
    """Ids of the jobs Slurm accounted in the last ten minutes (queued ones included)."""
    out = slurm("sacct", "-X", "-n", "-P", "-S", "now-600", "-o", "JobID")
    return set(out.split()) | set(slurm("squeue", "-h", "-o", "%i").split())


@pytest.fixture(scope="module")
def keep_going(tmp_path_factory: pytest.TempPathFactory, xdg: Path) -> tuple[Path, str]:
    """One ``--keep-going`` run of a good, a failing and a too-slow job (the time limit takes
    Slurm one to two minutes: limits are whole minutes, checked every 30 s)."""
    use_site("alps")
    work = tmp_path_factory.mktemp("keep-going")
    env = dict(os.environ, XDG_CONFIG_HOME=str(xdg), XAAS_ACCOUNT=ACCOUNT)
    proc = run([SNAKEMAKE, "--snakefile", FAULTS, "--profile", "alps", *FAST_SLURM,
                "--keep-going"], work, env, timeout=400)
    assert proc.returncode != 0
    return work, output(proc)


def test_failing_job_is_reported_and_the_other_outputs_stay(keep_going: tuple[Path, str]) -> None:
    work, log = keep_going
    assert (work / "good.txt").read_text().strip() in {"nid001001", "nid001002"}
    assert not (work / "bad.txt").exists()
    job = submitted(log)["bad"]
    assert f"SLURM-job '{job}' failed, SLURM status is: 'FAILED'" in log
    assert job_record(job, ("ExitCode",), until_state=("FAILED",))["ExitCode"] != "0:0"
    slurm_log = work / ".snakemake" / "slurm_logs" / "rule_bad" / f"{job}.log"
    assert "failing on purpose" in slurm_log.read_text()


def test_job_over_its_time_limit_is_reported_as_timeout(keep_going: tuple[Path, str]) -> None:
    work, log = keep_going
    job = submitted(log)["slow"]
    assert f"SLURM-job '{job}' failed, SLURM status is: 'TIMEOUT'" in log
    assert job_record(job, ("Timelimit",), until_state=("TIMEOUT",))["Timelimit"] == "00:01:00"
    assert not (work / "slow.txt").exists()


def test_node_set_down_under_a_job_reruns_it_on_the_other_node(
        alps: str, tmp_path: Path, env: dict[str, str]) -> None:
    """Without requeueing by Slurm (``--slurm-no-requeue``) the Slurm plugin sees NODE_FAIL,
    excludes the node and resubmits (``--retries 1``). With Slurm's default requeue the job
    would wait Slurm's fixed requeue delay, and plugin 2.8.0 then resubmits with
    ``--exclude=None assigned`` (docs/slurm.md)."""
    env["XAAS_ACCOUNT"] = ACCOUNT
    cmd = [str(c) for c in (SNAKEMAKE, "--snakefile", FAULTS, "--profile", "alps", *FAST_SLURM,
                            "--slurm-no-requeue", "--retries", "1", "survivor.txt")]
    with subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        down = ""
        try:
            line = wait_until("the job running", lambda: slurm(
                "squeue", "-h", "-t", "R", "-o", "%i %N").strip(), timeout=90)
            first, down = line.split()
            time.sleep(2)
            slurm("scontrol", "update", f"nodename={down}", "state=DOWN", "reason=xaas-test")
            log, _ = proc.communicate(timeout=240)
        finally:
            proc.kill()
            if down:
                subprocess.run(["scontrol", "update", f"nodename={down}", "state=RESUME"],
                               capture_output=True, check=False, timeout=30)
                wait_until("node back", lambda: nodes().get(down) == "idle", timeout=60)
    assert proc.returncode == 0, log
    assert f"SLURM-job '{first}' failed due to a node failure" in log
    other = ({"nid001001", "nid001002"} - {down}).pop()
    assert (tmp_path / "survivor.txt").read_text().strip() == other
    assert job_record(first, ("NodeList",), until_state=("NODE_FAIL",))["NodeList"] == down


def test_profile_without_account_stops_before_submitting(alps: str, tmp_path: Path,
                                                         env: dict[str, str]) -> None:
    before = recent_jobs()
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "alps"], tmp_path, env)
    assert proc.returncode != 0
    assert ("site alps needs an account to submit jobs: export XAAS_ACCOUNT=<project> before "
            "running snakemake") in output(proc)
    assert recent_jobs() - before == set()


def test_partition_the_site_lacks_stops_before_submitting(alps: str, tmp_path: Path,
                                                          env: dict[str, str]) -> None:
    env["XAAS_ACCOUNT"] = ACCOUNT
    before = recent_jobs()
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "alps", "--config",
                "partition=gpu"], tmp_path, env)
    assert proc.returncode != 0
    assert "site alps has no partition 'gpu' (known: debug, normal)" in output(proc)
    with pytest.raises(InputError, match=r"^site alps has no partition 'gpu' \(known: debug, "
                                         r"normal\)$"):
        config(alps, account=ACCOUNT, partition="gpu")
    assert recent_jobs() - before == set()


def test_parsl_without_account_fails_the_task_and_submits_nothing(alps: str,
                                                                  tmp_path: Path) -> None:
    @python_app(executors=["compute"])
    def nothing() -> None:
        return None

    before = recent_jobs()
    with parsl.load(config(alps, run_dir=tmp_path / "runinfo")):
        error = nothing().exception(timeout=60)
    assert error is not None
    assert ("site alps needs an account to submit jobs: pass account=... to "
            "xaas_parsl.sites.config('alps', ...) or set XAAS_ACCOUNT") in str(error)
    assert recent_jobs() - before == set()
