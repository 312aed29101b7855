"""A flare over both nodes launched by one ``srun`` step from inside a batch job: the packs run
on two nodes (own hostnames and addresses) and their collectives cross the namespaces' network
through the driver's ZeroMQ rendezvous on this machine's bridge address.

The step is written out here (the packs' entry point, one pack per node): ``flare_step`` places
as many packs per node as the site's cores allow, which on Alps' 288-core nodes is one node for
any small flare (issue 21 covers placement over several nodes)."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from tests.slurm.cluster import ACCOUNT, job_record, slurm
from xaas_parsl.burst.launch import collect_step, pack_command
from xaas_parsl.burst.transport.auth import SECRET_ENV
from xaas_parsl.burst.transport.zmq import ZmqRendezvous

HOST_ADDR = "10.231.20.1"   # this machine on the cluster's bridge (scripts/slurm/common.sh)


def test_flare_over_two_nodes_with_every_collective(alps: str, tmp_path: Path) -> None:
    size, granularity = 4, 2
    rendezvous = ZmqRendezvous(2, host=HOST_ADDR, bind=HOST_ADDR, start_timeout=60)
    errors: list[str] = []
    rendezvous.start(lambda rank, message, trace: errors.append(message))
    payload = pack_command(python=sys.executable, size=size, granularity=granularity,
                           function="tests.burst.workers:every_collective",
                           address=rendezvous.address, flare_id="two-nodes",
                           driver_host="login", out_dir=str(tmp_path), timeout=60,
                           start_timeout=60)
    step = ["srun", "--nodes=2", "--ntasks=2", "--ntasks-per-node=1", "--kill-on-bad-exit=1",
            *payload]
    t0 = time.time()
    try:
        # the packs seal their frames with the flare's secret: sbatch exports it to the step
        # through the environment (never on a command line, where ps would show it)
        env = {**os.environ, SECRET_ENV: rendezvous.secret.hex()}
        job = slurm("sbatch", "--parsable", "-A", ACCOUNT, "-N", "2", "-t", "2", "-D", str(REPO),
                    "-o", str(tmp_path / "job.out"), "--wrap", shlex.join(step), env=env).strip()
        record = job_record(job, ("State",), until_state=("COMPLETED", "FAILED", "TIMEOUT",
                                                          "CANCELLED"), timeout=150)
    finally:
        rendezvous.stop()
    assert record["State"] == "COMPLETED", (tmp_path / "job.out").read_text()
    values, timing = collect_step(tmp_path, "two-nodes", size, granularity, t0)
    assert not errors
    assert set(timing.hosts.values()) == {"nid001001", "nid001002"}
    assert [v["allreduce"] for v in values] == [size - 1] * size
    assert all(v["allgather"] == [0, -1, -2, -3] for v in values)
    assert [v["recv"] for v in values] == [("ring", (r - 1) % size) for r in range(size)]
    assert values[0]["reduce"] == sum(range(size))
