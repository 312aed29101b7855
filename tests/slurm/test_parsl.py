"""Parsl on the real Slurm cluster: the site's own config (``config("alps", ...)``) submits HTEX
blocks through Parsl's SlurmProvider; ``srun`` starts the workers on the nodes with this
environment's interpreter; blocks scale out to two nodes and back in when idle; a cancelled
block's tasks are retried on the other one."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import parsl
import pytest
from parsl.app.app import python_app
from parsl.executors import HighThroughputExecutor

from tests.slurm.cluster import ACCOUNT, job_record, slurm, spank_records, wait_until
from xaas_parsl.sites import config


def fast(cfg: Any, *, retries: int = 0) -> Any:
    """Test timings: scale in after 2 idle seconds, notice a lost worker pool within ~6 s."""
    cfg.max_idletime = 2.0
    cfg.retries = retries
    compute = cfg.executors[1]
    assert isinstance(compute, HighThroughputExecutor)
    compute.heartbeat_period = 1
    compute.heartbeat_threshold = 6
    compute.poll_period = 100
    return cfg


def block_jobs(cfg: Any) -> list[str]:
    """Slurm job ids of the compute executor's blocks so far."""
    compute = cfg.executors[1]
    return sorted(compute.blocks_to_job_id.values(), key=int)


def apps() -> tuple[Any, Any]:
    """Apps defined here, not at module level, so they travel by value (the workers need not
    import the tests)."""
    @python_app(executors=["compute"])
    def where(seconds: float = 0.0) -> tuple[str, str]:
        import socket
        import sys
        import time
        time.sleep(seconds)
        return socket.gethostname(), sys.executable

    @python_app(executors=["compute"])
    def square(x: int, seconds: float) -> int:
        import time
        time.sleep(seconds)
        return x * x

    return where, square


@pytest.fixture
def loaded(alps: str, tmp_path: Path) -> Iterator[Any]:
    cfg = fast(config(alps, account=ACCOUNT, max_blocks=2, run_dir=tmp_path / "runinfo"),
               retries=2)
    with parsl.load(cfg):
        yield cfg


def test_blocks_on_two_nodes_run_this_interpreter_and_scale_in(loaded: Any) -> None:
    where, _ = apps()
    # 4 workers per node (one per GPU): 12 tasks of 2 s make the strategy add a second block.
    futures: list[Future[tuple[str, str]]] = [where(2.0) for _ in range(12)]
    results = [f.result(timeout=120) for f in futures]
    assert {host for host, _ in results} == {"nid001001", "nid001002"}
    assert {exe for _, exe in results} == {sys.executable}
    jobs = block_jobs(loaded)
    assert len(jobs) == 2
    for job in jobs:   # the generated config, unchanged, reached Slurm as Alps expects
        record = job_record(job, ("Partition", "Account", "AllocTRES", "Timelimit"))
        assert (record["Partition"], record["Account"]) == ("normal", ACCOUNT)
        assert "gres/gpu=4" in record["AllocTRES"] and record["Timelimit"] == "00:30:00"
        spank = spank_records(job)
        assert spank and {(r["uenv"], r["view"]) for r in spank} == {
            ("prgenv-gnu/24.11:v1", "default")}
    # idle: both blocks are cancelled by the strategy (min_blocks=0)
    wait_until("blocks scaled in", lambda: not slurm("squeue", "-h", "-j", ",".join(jobs)).strip(),
               timeout=60)
    for job in jobs:
        assert job_record(job, ("State",), until_state=("CANCELLED",))["State"].startswith(
            "CANCELLED")


def test_cancelled_block_tasks_are_retried_on_the_other_block(loaded: Any) -> None:
    where, square = apps()
    # two blocks up and busy
    warm = [where(2.0) for _ in range(12)]
    assert {f.result(timeout=120)[0] for f in warm} == {"nid001001", "nid001002"}
    futures = [square(x, 4.0) for x in range(8)]
    time.sleep(1.5)  # the tasks are on the workers of both blocks
    victim = block_jobs(loaded)[0]
    slurm("scancel", victim)
    assert [f.result(timeout=120) for f in futures] == [x * x for x in range(8)]
    # some tasks were lost with the block and ran again, on the block that was left
    assert sum(f.task_record["fail_count"] for f in futures) > 0
    assert job_record(victim, ("State",), until_state=("CANCELLED",))
