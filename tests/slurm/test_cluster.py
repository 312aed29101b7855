"""The cluster itself, as scripts/start-slurm.sh builds it for Alps: nodes with their own
hostname and address, a two-node step, the site's partitions and GPUs, enforced associations,
accounting through slurmdbd and the SPANK plugin's record of the Alps options."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.slurm.cluster import ACCOUNT, job_record, slurm, spank_records, wait_until
from xaas_parsl.sites.facts import load_site


def sbatch(*args: str, cwd: Path) -> str:
    return slurm("sbatch", "--parsable", *args, cwd=cwd).strip().split(";")[0]


def test_two_node_step_runs_on_both_nodes_with_their_own_names_and_addresses(
        alps: str, tmp_path: Path) -> None:
    job = sbatch("-A", ACCOUNT, "-p", "debug", "-N", "2", "-t", "2", "-o", "out.txt",
                 "--wrap", "srun -N 2 -l sh -c 'echo $(hostname) $(hostname -I)'", cwd=tmp_path)
    job_record(job, ("State",), until_state=("COMPLETED",), timeout=60)
    lines = sorted((tmp_path / "out.txt").read_text().split("\n"))
    assert [line.split()[1:] for line in lines if line] == [
        ["nid001001", "10.231.20.11"], ["nid001002", "10.231.20.12"]]


def test_partitions_and_gpus_are_the_sites(alps: str) -> None:
    site = load_site(alps)
    out = slurm("sinfo", "-h", "-o", "%R %l %D %G")
    parts = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert set(parts) == set(site.partitions)
    assert parts["debug"][0] == "30:00" and parts["normal"][0] == "1-00:00:00"
    assert all(gres == "gpu:4" for _, _, gres in parts.values())
    assert "MaxNodes=2 " in slurm("scontrol", "show", "partition", "debug")


def test_an_account_without_association_is_refused(alps: str, tmp_path: Path) -> None:
    proc = subprocess.run(["sbatch", "-A", "nosuchproject", "--wrap", "true"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode != 0
    assert "Invalid account" in proc.stderr


def test_alps_options_reach_the_spank_plugin_and_sacct(alps: str, tmp_path: Path) -> None:
    job = sbatch("-A", ACCOUNT, "-t", "00:01:30", "--gpus=4", "--uenv=prgenv-gnu/24.11:v1",
                 "--view=default", "--wrap", "srun --environment=/tmp/x.toml true", cwd=tmp_path)
    record = job_record(job, ("Partition", "Account", "AllocTRES", "Timelimit"),
                        until_state=("COMPLETED",), timeout=60)
    assert record["Partition"] == "normal" and record["Account"] == ACCOUNT
    assert "gres/gpu=4" in record["AllocTRES"] and record["Timelimit"] == "00:02:00"
    def batch_and_step() -> list[dict[str, object]] | None:
        records = spank_records(job)
        return records if len(records) >= 2 else None

    steps = wait_until("SPANK records", batch_and_step, timeout=10)
    assert {(s["uenv"], s["view"]) for s in steps} == {("prgenv-gnu/24.11:v1", "default")}
    assert any(s.get("environment") == "/tmp/x.toml" for s in steps)
