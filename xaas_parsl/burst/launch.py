"""Launch a flare as one job step of an allocation: ``srun`` (Slurm sites) or ``mpiexec``
(Aurora/PALS), generated from the site facts.

Inside an allocation a single launcher call starts every pack at once, which is the cheapest
gang start a scheduler offers (no per-task queueing). Each started process runs
``python -m xaas_parsl.burst``; it reads its pack index from the launcher's rank variable
(``SLURM_PROCID`` / ``PALS_RANKID``), connects to the driver's rendezvous and pickles its result
to ``--out-dir``, sealed with the flare's secret (the driver checks the seal before it unpickles
anything: the out-dir is a shared file system other users may write to). Packs are placed
``cores // granularity`` per node (one core per worker), or spread evenly over ``nodes`` when
the caller asks for that many nodes: a small flare on Alps' 288-core nodes otherwise lands on
one node. The flare's frame-sealing secret (``Rendezvous.secret``) reaches the packs through the
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
from xaas_parsl.burst.transport.auth import SECRET_ENV, Opener, Sealer
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
               start_timeout: float = 120.0, nodes: int | None = None,
               worker_kind: str = "process") -> FlareStep:
    """The one-step launcher command of a flare at ``site`` (``srun`` or ``mpiexec``).

    ``nodes`` spreads the packs evenly over that many nodes (at most one pack per node more
    on the first ones); without it packs fill each node's cores first."""
    facts = site if isinstance(site, SiteFacts) else load_site(site)
    if ":" not in function:
        raise InputError(f"function {function!r} must be given as module:function")
    node = facts.node_type(node_type)
    placement = Placement.of(size, granularity)
    cores = node.cores or 1
    threads = min(placement.granularity, cores)
    per_node = max(1, cores // placement.granularity)
    if nodes is not None:
        if nodes < 1 or nodes > placement.packs:
            raise InputError(f"a flare of {placement.packs} pack(s) cannot spread over "
                             f"{nodes} node(s)")
        per_node = -(-placement.packs // nodes)
    per_node = min(per_node, placement.packs)
    nodes = -(-placement.packs // per_node)
    payload = pack_command(python=python, size=size, granularity=placement.granularity,
                           function=function, address=address, flare_id=flare_id,
                           driver_host=driver_host, out_dir=out_dir, timeout=timeout,
                           start_timeout=start_timeout, worker_kind=worker_kind)
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


def result_path(out_dir: str | Path, flare_id: str, pack: int) -> Path:
    """Where pack ``pack`` of a launcher-started flare leaves its sealed result."""
    return Path(out_dir) / f"{flare_id}-pack{pack}.result"


def seal_result(result: PackResult, secret: bytes) -> bytes:
    """A pack's result as a frame sealed with the flare's secret, from ``pack-N`` to the
    driver (the same frames as the transports', so the same checks apply)."""
    return Sealer(secret, f"pack-{result.pack}").seal("driver", pickle.dumps(result))


def open_result(frame: bytes, pack: int, secret: bytes, flare_id: str) -> PackResult:
    """The result in ``frame`` once its seal is checked (sealed by pack ``pack`` of this flare);
    a frame that fails the check is a ``FlareError`` and is never unpickled."""
    opened = Opener(secret, "driver").open(frame, origin=f"pack {pack}'s result file")
    if opened is None or opened[0] != f"pack-{pack}":
        raise FlareError(f"flare {flare_id}: pack {pack}'s result is not sealed with the "
                         "flare's secret: refused")
    result = pickle.loads(opened[1])
    if not isinstance(result, PackResult) or result.pack != pack:
        raise FlareError(f"flare {flare_id}: pack {pack}'s result file holds something else")
    return result


def missing_packs(out_dir: str | Path, flare_id: str, packs: int) -> list[int]:
    """The packs that left no result file (died, were killed, never started)."""
    return [p for p in range(packs) if not result_path(out_dir, flare_id, p).is_file()]


def collect_step(out_dir: str | Path, flare_id: str, size: int, granularity: int, t0: float,
                 secret: bytes) -> tuple[list[Any], FlareTiming]:
    """Results in rank order and timing of a flare launched as a step, read from the packs'
    sealed results in ``out_dir``; a missing pack or a failed worker is a ``FlareError``."""
    placement = Placement.of(size, granularity)
    values: list[Any] = [None] * size
    timing = FlareTiming(t0=t0, starts=[0.0] * size, ends=[0.0] * size)
    for pack in range(placement.packs):
        path = result_path(out_dir, flare_id, pack)
        if not path.is_file():
            ranks = placement.ranks_of(pack)
            raise FlareError(f"flare {flare_id}: pack {pack} (ranks {ranks.start}-"
                             f"{ranks.stop - 1}) left no result at {path}", rank=ranks.start)
        result = open_result(path.read_bytes(), pack, secret, flare_id)
        if result.error is not None:
            rank, message, trace = result.error
            raise FlareError(f"flare {flare_id}: {message}", rank=rank, traceback=trace)
        timing.offsets[pack], timing.hosts[pack] = result.offset, result.host
        for rank, value in result.results.items():
            values[rank] = value
            timing.starts[rank] = result.starts[rank] - result.offset
            timing.ends[rank] = result.ends[rank] - result.offset
    return values, timing
