"""Step launches: srun/mpiexec command lines from site facts, and the pack entry point run for
real as the processes a launcher would start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xaas_parsl.burst import FlareError
from xaas_parsl.burst.launch import (
    collect_step,
    flare_step,
    open_result,
    pack_command,
    pack_environment,
    result_path,
    seal_result,
)
from xaas_parsl.burst.pack import PackResult
from xaas_parsl.burst.transport.auth import new_secret
from xaas_parsl.burst.transport.base import Rendezvous
from xaas_parsl.burst.transport.redis import RedisRendezvous
from xaas_parsl.burst.transport.zmq import ZmqRendezvous
from xaas_parsl.errors import XaasError

REPO = Path(__file__).resolve().parents[2]
COMMON = {"function": "app.mod:work", "address": "tcp://login1:5555", "flare_id": "f1",
          "driver_host": "login1", "out_dir": "/scratch/out"}


def payload(size: int, granularity: int) -> list[str]:
    return pack_command(python="python3", size=size, granularity=granularity, timeout=60,
                        start_timeout=120, **COMMON)


def test_alps_srun_step_packs_workers_per_node() -> None:
    step = flare_step("alps", size=1000, granularity=96, **COMMON)
    # 11 packs of <=96 threads, 3 per 288-core node -> 4 nodes.
    assert (step.packs, step.packs_per_node, step.nodes) == (11, 3, 4)
    assert step.command[:7] == ["srun", "--nodes=4", "--ntasks=11", "--ntasks-per-node=3",
                                "--cpus-per-task=96", "--kill-on-bad-exit=1", "--exact"]
    assert step.command[-len(payload(1000, 96)):] == payload(1000, 96)


def test_nodes_spreads_a_small_flare_over_several_nodes() -> None:
    # without --nodes, 4 packs of 2 fit on one 288-core Alps node
    assert flare_step("alps", size=8, granularity=2, **COMMON).nodes == 1
    step = flare_step("alps", size=8, granularity=2, nodes=2, **COMMON)
    assert (step.packs, step.packs_per_node, step.nodes) == (4, 2, 2)
    assert step.command[1:4] == ["--nodes=2", "--ntasks=4", "--ntasks-per-node=2"]
    odd = flare_step("alps", size=5, granularity=1, nodes=2, **COMMON)
    assert (odd.packs_per_node, odd.nodes) == (3, 2)
    with pytest.raises(XaasError, match="cannot spread over 3 node"):
        flare_step("alps", size=4, granularity=2, nodes=3, **COMMON)


def test_a_result_file_without_the_flare_seal_is_never_unpickled(tmp_path: Path) -> None:
    secret = new_secret()
    result = PackResult(pack=1, host="nid001002", offset=0.0, results={2: "ok"})
    assert open_result(seal_result(result, secret), 1, secret, "f").results == {2: "ok"}
    with pytest.raises(FlareError, match="not sealed with the flare's secret"):
        open_result(seal_result(result, new_secret()), 1, secret, "f")   # another flare's key
    with pytest.raises(FlareError, match="not sealed"):
        open_result(seal_result(result, secret), 0, secret, "f")   # pack 1's result as pack 0
    import pickle

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("unpickled!",))

    with pytest.raises(FlareError, match="not sealed"):
        open_result(pickle.dumps(Boom()), 1, secret, "f")   # a plain pickle is refused


def test_aurora_mpiexec_step() -> None:
    step = flare_step("aurora", size=208, granularity=52, **COMMON)
    assert step.command[:9] == ["mpiexec", "-n", "4", "--ppn", "2", "--cpu-bind", "depth",
                                "--depth", "52"]
    assert step.nodes == 2


def test_step_needs_a_launcher_site_and_a_function_name() -> None:
    with pytest.raises(XaasError, match="srun or mpiexec"):
        flare_step("local", size=4, granularity=2, **COMMON)
    with pytest.raises(XaasError, match="module:function"):
        flare_step("alps", size=4, granularity=2, **{**COMMON, "function": "nocolon"})


def test_pack_entry_point_runs_a_flare_as_launched_processes(tmp_path: Path,
                                                             transport: str) -> None:
    """What srun would do: start every pack process with its SLURM_PROCID (over ZeroMQ, and
    over Redis, where the clock offset is estimated against the server's TIME)."""
    t0 = time.time()
    rendezvous: Rendezvous
    if transport == "zmq":
        rendezvous = ZmqRendezvous(2, start_timeout=30)
    else:
        rendezvous = RedisRendezvous(transport, "step1", 2, start_timeout=30)
    errors: list[str] = []
    rendezvous.start(lambda rank, message, trace: errors.append(message))
    command = pack_command(python=sys.executable, size=3, granularity=2,
                           function="tests.burst.workers:identity", address=rendezvous.address,
                           flare_id="step1", driver_host="elsewhere", out_dir=str(tmp_path),
                           timeout=20, start_timeout=30)
    env = {**os.environ, **pack_environment(rendezvous.secret)}
    procs = [subprocess.Popen(command, cwd=REPO, env={**env, "SLURM_PROCID": str(i)})
             for i in range(2)]
    try:
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
    finally:
        rendezvous.stop()
    assert result_path(tmp_path, "step1", 1).is_file()
    values, timing = collect_step(tmp_path, "step1", 3, 2, t0, rendezvous.secret)
    assert [v[:3] for v in values] == [(0, 3, 0), (1, 3, 0), (2, 3, 1)]
    assert not errors
    # "elsewhere" is not this host, so the packs estimated their clock offset (same clock: ~0).
    assert all(abs(o) < 0.05 for o in timing.offsets.values())
    assert timing.summary().time_to_all_started_s < 30
    with pytest.raises(FlareError, match=r"pack 0 \(ranks 0-1\) left no result"):
        collect_step(tmp_path, "other", 3, 2, t0, rendezvous.secret)
