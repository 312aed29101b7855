"""Launch a flare as one job step of an allocation: ``srun`` (Slurm sites) or ``mpiexec``
(Aurora/PALS), generated from the site facts.

Inside an allocation a single launcher call starts every pack at once, which is the cheapest
gang start a scheduler offers (no per-task queueing). Each started process runs
``python -m xaas_parsl.burst``; it reads its pack index from the launcher's rank variable
(``SLURM_PROCID`` / ``PALS_RANKID``), connects to the driver's rendezvous and pickles its result
to ``--out-dir``. Packs are placed ``cores // granularity`` per node, one core per worker
thread. The flare's frame-sealing secret (``Rendezvous.secret``) reaches the packs through the
environment the launcher propagates, ``$XAAS_BURST_SECRET`` as hex (``pack_environment``),
never on the command line, where ``ps`` on a shared node would show it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.errors import FlareError
from xaas_parsl.burst.pack import PackResult
from xaas_parsl.burst.timing import FlareTiming
from xaas_parsl.burst.transport.auth import SECRET_ENV
from xaas_parsl.errors import InputError
from xaas_parsl.sites.facts import SiteFacts, load_site


@dataclass(frozen=True)
class FlareStep:
    """A flare's launcher command and the shape it asks for."""

    packs: int
    packs_per_node: int
    nodes: int
    command: list[str]


def pack_command(*, python: str, size: int, granularity: int, function: str, address: str,
                 flare_id: str, driver_host: str, out_dir: str, timeout: float,
                 start_timeout: float, worker_kind: str = "process") -> list[str]:
    """The per-pack command (the launcher's payload)."""
    return [python, "-m", "xaas_parsl.burst", "--address", address, "--flare-id", flare_id,
            "--size", str(size), "--granularity", str(granularity), "--function", function,
            "--driver-host", driver_host, "--timeout", f"{timeout:g}",
            "--start-timeout", f"{start_timeout:g}", "--out-dir", out_dir,
            "--workers", worker_kind]


def pack_environment(secret: bytes) -> dict[str, str]:
    """What to add to the launcher's environment so the packs can seal and check frames."""
    return {SECRET_ENV: secret.hex()}


def flare_step(site: str | Path | SiteFacts, *, size: int, granularity: int, function: str,
               address: str, flare_id: str, driver_host: str, out_dir: str,
               node_type: str | None = None, python: str = "python3", timeout: float = 60.0,
               start_timeout: float = 120.0) -> FlareStep:
    """The one-step launcher command of a flare at ``site`` (``srun`` or ``mpiexec``)."""
    facts = site if isinstance(site, SiteFacts) else load_site(site)
    if size < 1 or granularity < 1:
        raise InputError(f"flare size and granularity must be positive, got {size}, "
                         f"{granularity}")
    if ":" not in function:
        raise InputError(f"function {function!r} must be given as module:function")
    node = facts.node_type(node_type)
    placement = Placement(size, min(size, granularity))
    cores = node.cores or 1
    threads = min(placement.granularity, cores)
    per_node = max(1, cores // placement.granularity)
    per_node = min(per_node, placement.packs)
    nodes = -(-placement.packs // per_node)
    payload = pack_command(python=python, size=size, granularity=placement.granularity,
                           function=function, address=address, flare_id=flare_id,
                           driver_host=driver_host, out_dir=out_dir, timeout=timeout,
                           start_timeout=start_timeout)
    if facts.launcher == "srun":
        launcher = ["srun", f"--nodes={nodes}", f"--ntasks={placement.packs}",
                    f"--ntasks-per-node={per_node}", f"--cpus-per-task={threads}",
                    "--kill-on-bad-exit=1", "--exact"]
        if facts.uenv:
            launcher.append(f"--uenv={facts.uenv}")
            if facts.uenv_view:
                launcher.append(f"--view={facts.uenv_view}")
    elif facts.launcher == "mpiexec":
        launcher = ["mpiexec", "-n", str(placement.packs), "--ppn", str(per_node),
                    "--cpu-bind", "depth", "--depth", str(threads)]
    else:
        raise InputError(f"site {facts.name} has launcher {facts.launcher!r}: flares launch "
                         "through srun or mpiexec there; use flare(..., executor=...) instead")
    return FlareStep(packs=placement.packs, packs_per_node=per_node, nodes=nodes,
                     command=launcher + payload)


def collect_step(out_dir: str | Path, flare_id: str, size: int, granularity: int, t0: float
                 ) -> tuple[list[Any], FlareTiming]:
    """Results in rank order and timing of a flare launched as a step, read from the packs'
    pickles in ``out_dir``; a missing pack or a failed worker is a ``FlareError``."""
    placement = Placement(size, min(size, granularity))
    values: list[Any] = [None] * size
    timing = FlareTiming(t0=t0, starts=[0.0] * size, ends=[0.0] * size)
    for pack in range(placement.packs):
        path = Path(out_dir) / f"{flare_id}-pack{pack}.pickle"
        if not path.is_file():
            raise FlareError(f"flare {flare_id}: pack {pack} left no result at {path}")
        with path.open("rb") as fh:
            result: PackResult = pickle.load(fh)
        if result.error is not None:
            rank, message, trace = result.error
            raise FlareError(f"flare {flare_id}: {message}", rank=rank, traceback=trace)
        timing.offsets[pack], timing.hosts[pack] = result.offset, result.host
        for rank, value in result.results.items():
            values[rank] = value
            timing.starts[rank] = result.starts[rank] - result.offset
            timing.ends[rank] = result.ends[rank] - result.offset
    return values, timing
