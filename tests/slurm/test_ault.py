"""The generated Ault profile on the cluster restarted as Ault: the node type's ``--nodelist``
names a real node, the V100 node's GPUs are allocated, and no account is needed (the user's
default association is charged)."""

from __future__ import annotations

from pathlib import Path

from tests.slurm.cluster import ACCOUNT, job_record
from tests.slurm.test_snakemake import FAST_SLURM, submitted
from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run


def test_ault_v100_profile_runs_on_ault23(ault: str, tmp_path: Path,
                                          env: dict[str, str]) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--profile", "ault-v100", *FAST_SLURM,
                "results/ault-v100/system.json"], tmp_path, env, timeout=300)
    log = output(proc)
    assert proc.returncode == 0, log
    assert (tmp_path / "results/ault-v100/system.json").is_file()
    job = submitted(log)["xaas_discover_system"]
    record = job_record(job, ("Partition", "Account", "AllocTRES", "NodeList"),
                        until_state=("COMPLETED",))
    assert record["NodeList"] == "ault23" and record["Partition"] == "normal", record
    assert record["Account"] == ACCOUNT   # the default association: the profile passes no -A
    tres = dict(item.split("=") for item in record["AllocTRES"].split(","))
    assert tres["gres/gpu"] == "4" and tres["cpu"] == "32", record
