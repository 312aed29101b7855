"""Flares across the nodes of the real Slurm cluster (emulated Alps).

* ``xaas burst step alps --run --nodes 2`` inside a batch job: the driver on the job's first
  node opens the rendezvous on that node's address, one ``srun`` step starts the packs on both
  nodes, and every collective crosses the namespaces' network.
* The same flare as a node of a Parsl DAG under the site's own config: its packs are HTEX tasks
  of one Slurm block over both nodes; the rendezvous is on this machine's bridge address.
* Faults across nodes: a rank that never joins a collective, a pack process killed, a node lost
  (every process on it killed, slurmd included). Each fails within the flare's timeout with the
  ranks named, and no flare process is left on any node.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import parsl
import pytest
from parsl.app.app import python_app

from tests.conftest import REPO
from tests.slurm.cluster import (
    ACCOUNT,
    START,
    flare_processes,
    job_record,
    kill_node,
    node_pids,
    slurm,
    wait_until,
)
from tests.slurm.test_parsl import fast
from xaas_parsl.burst.parsl_apps import flare_app
from xaas_parsl.sites import config

HOST_ADDR = "10.231.20.1"   # this machine on the cluster's bridge (scripts/slurm/common.sh)
NODES = ("nid001001", "nid001002")
XAAS = str(Path(sys.executable).with_name("xaas"))
ENDED = ("COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL")


def submit_step(tmp_path: Path, function: str, *, size: int = 8, granularity: int = 2,
                timeout: float = 30) -> str:
    """A batch job over both nodes whose script drives ``xaas burst step alps --run``."""
    driver = [XAAS, "burst", "step", "alps", "--run", "--nodes", "2", "--size", str(size),
              "--granularity", str(granularity), "--function", function,
              "--python", sys.executable, "--timeout", f"{timeout:g}", "--start-timeout", "60",
              "--out-dir", str(tmp_path), "--output", str(tmp_path / "values.json")]
    # whole nodes, as Alps allocates them (the step asks for cores on both)
    return slurm("sbatch", "--parsable", "-A", ACCOUNT, "-N", "2", "--exclusive", "-t", "3",
                 "-D", str(REPO),
                 "-o", str(tmp_path / "job.out"), "--wrap", shlex.join(driver)).strip()


def finished(job: str, tmp_path: Path, timeout: float = 150) -> tuple[str, str]:
    """The job's final state and what its driver printed."""
    state = job_record(job, ("State",), until_state=ENDED, timeout=timeout)["State"]
    return state.split()[0], (tmp_path / "job.out").read_text()


def no_flare_left() -> None:
    """No pack or worker process on any node (bounded wait: srun tears the step down)."""
    wait_until("flare processes gone from every node",
               lambda: not any(flare_processes(n) for n in NODES), timeout=20)


def test_step_flare_over_two_nodes_with_every_collective(alps: str, tmp_path: Path) -> None:
    size = 8
    state, out = finished(submit_step(tmp_path, "tests.burst.workers:every_collective",
                                      size=size), tmp_path)
    assert state == "COMPLETED", out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["hosts"] == list(NODES)
    assert (summary["packs"], summary["packs_per_node"], summary["nodes"]) == (4, 2, 2)
    assert summary["time_to_all_started_s"] < 60
    values = json.loads((tmp_path / "values.json").read_text())
    assert [v["allreduce"] for v in values] == [size - 1] * size
    assert all(v["allgather"] == [-r for r in range(size)] for v in values)
    assert [v["recv"] for v in values] == [["ring", (r - 1) % size] for r in range(size)]
    assert values[0]["reduce"] == sum(range(size))
    no_flare_left()


def test_a_rank_that_never_joins_fails_the_flare_naming_the_ranks(alps: str,
                                                                  tmp_path: Path) -> None:
    start = time.monotonic()
    state, out = finished(submit_step(tmp_path, "tests.burst.workers:only_rank0_barrier",
                                      timeout=5), tmp_path)
    assert state == "FAILED", out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xaas: error: flare "), out
    assert "rank 0" in lines[0] and "timed out after 5 s waiting for rank" in lines[0]
    assert time.monotonic() - start < 60
    assert not (tmp_path / "values.json").exists()
    no_flare_left()


def _wait_for_packs(node: str, count: int) -> list[str]:
    return wait_until(f"{count} flare processes on {node}",
                      lambda: (found := flare_processes(node)) and len(found) >= count and found,
                      timeout=60)


def test_a_killed_pack_process_fails_the_flare_naming_its_ranks(alps: str,
                                                               tmp_path: Path) -> None:
    job = submit_step(tmp_path, "tests.burst.workers:sleep_then_allreduce", timeout=30)
    # 2 packs of 2 forked workers on nid001002: pack processes and workers (3 per pack)
    _wait_for_packs("nid001002", 6)
    found = flare_processes("nid001002")
    pids = {int(line.split(":")[0]) for line in found}
    leaders = [p for p in pids if _ppid(p) not in pids]
    assert len(leaders) == 2
    os.kill(min(leaders), signal.SIGKILL)
    state, out = finished(job, tmp_path)
    assert state == "FAILED", out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xaas: error: flare "), out
    assert "left no result" in lines[0] and "ranks" in lines[0]
    assert "nid001002" in lines[0]   # the launcher's word on which node's task died
    no_flare_left()


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


@pytest.fixture
def restore_cluster() -> Iterator[None]:
    """Bring lost nodes back after the test (start-slurm.sh restarts a missing slurmd)."""
    yield
    import subprocess

    proc = subprocess.run([str(START), "--site", "alps"], capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    wait_until("both nodes idle again",
               lambda: set(slurm("sinfo", "-h", "-N", "-o", "%t").split()) == {"idle"},
               timeout=90)


def test_a_lost_node_fails_the_flare_within_its_timeout(alps: str, tmp_path: Path,
                                                        restore_cluster: None) -> None:
    job = submit_step(tmp_path, "tests.burst.workers:sleep_then_allreduce", timeout=8)
    _wait_for_packs("nid001002", 6)
    _wait_for_packs("nid001001", 6)
    lost_at = time.monotonic()
    kill_node("nid001002")      # slurmd, slurmstepd, packs, workers: the node is gone
    wait_until("nid001002 empty", lambda: not node_pids("nid001002"), timeout=10)
    # the driver (on nid001001) fails the flare once the surviving ranks' allreduce times out
    wait_until("driver's error line", lambda: "xaas: error:" in
               (tmp_path / "job.out").read_text(), timeout=60)
    assert time.monotonic() - lost_at < 5 + 8 + 2 * 5 + 10   # sleep + timeout + step grace
    out = (tmp_path / "job.out").read_text()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "timed out after 8 s waiting for rank" in lines[0]
    # the lost node's packs are named: they did not even write their failure
    assert "no result from pack(s) 2, 3 (ranks 4-5, 6-7)" in lines[0]
    assert not (tmp_path / "values.json").exists()
    wait_until("flare processes gone from nid001001",
               lambda: not flare_processes("nid001001"), timeout=30)
    assert job


@pytest.fixture
def loaded(alps: str, tmp_path: Path) -> Iterator[Any]:
    # one block of two nodes (4 workers each): a flare needs all its packs at once, which a
    # block sized for it gives at once (scaling out block by block may not reach that in time)
    cfg = fast(config(alps, account=ACCOUNT, nodes=2, max_blocks=1,
                      run_dir=tmp_path / "runinfo"))
    with parsl.load(cfg):
        yield cfg


def test_flare_as_a_node_of_a_parsl_dag_over_a_two_node_block(loaded: Any) -> None:
    @python_app(executors=["login"])
    def seed() -> int:
        return 10

    @python_app(executors=["login"])
    def total(values: list[tuple[str, int]]) -> tuple[set[str], int]:
        return {host for host, _ in values}, sum(v for _, v in values)

    def work(ctx: Any, base: int) -> tuple[str, int]:   # travels by value to the workers
        import socket
        return socket.gethostname(), ctx.allreduce(base + ctx.rank, lambda a, b: a + b)

    # HTEX starts min(GPUs, cores) = 2 workers on each emulated node: 4 packs of 2 worker
    # processes need both nodes
    flare = flare_app(work, 8, 2, seed(), flare_options={
        "executor": "compute", "host": HOST_ADDR, "timeout": 60, "start_timeout": 120})
    hosts, summed = total(flare).result(timeout=240)
    assert hosts == set(NODES)
    assert summed == 8 * sum(10 + r for r in range(8))
