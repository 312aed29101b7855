"""Drive a flare launched as one launcher step (``srun``/``mpiexec``) from inside an allocation.

``flare_step`` only writes the command; ``run_step`` is the driver around it: it opens the
rendezvous on an address the nodes can reach, starts the step with the flare's secret in the
launcher's environment, watches two things at once — failures the packs report through the
rendezvous (a worker's exception, a collective that timed out waiting for a rank) and the step
process itself — and collects the sealed results.

Why the driver ends the step itself: when a node is lost, the launcher may wait a long time for
the tasks of that node (Slurm declares a node dead only after ``SlurmdTimeout``), while the
surviving ranks already failed within the flare's timeout. So after the first reported failure
the step gets ``STEP_GRACE_S`` to end on its own (``--kill-on-bad-exit`` usually ends it), then
SIGTERM (srun forwards it to every task and cancels the step), then SIGKILL. A step that exits
non-zero without a reported failure (a pack killed, a node that never started its task) names
the packs and ranks that left no result.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.errors import FlareError
from xaas_parsl.burst.launch import (
    FlareStep,
    collect_step,
    flare_step,
    missing_packs,
    pack_environment,
)
from xaas_parsl.burst.timing import FlareTiming
from xaas_parsl.burst.transport.zmq import ZmqRendezvous
from xaas_parsl.errors import InputError
from xaas_parsl.sites.facts import SiteFacts

#: Seconds the step may take to end on its own after a reported failure, and after SIGTERM.
STEP_GRACE_S = 5.0
#: What a pack reports when the launcher tears the step down around it: an effect, not a
#: cause. When a pack is killed, srun SIGTERMs the other tasks, and their packs may report
#: their workers' deaths before the step exits; the launcher's word on the first dead task wins.
_TEARDOWN = "worker process died (killed by SIGTERM)"
#: Bytes of the launcher's stderr read for the error line.
STDERR_LIMIT = 1 << 20
_SRUN_TASK = re.compile(r"^srun: error: (?P<node>[\w.-]+): tasks? (?P<tasks>[\d,-]+): "
                        r"(?P<how>.+)$")


@dataclass
class StepOutcome:
    """A finished step flare: values in rank order, timing, and the launcher it ran."""

    values: list[Any]
    timing: FlareTiming
    step: FlareStep
    step_started: float  # time.time() just before the launcher was started


def routable_address() -> str:
    """This node's first non-loopback IPv4 address: what packs on other nodes connect to when
    the node's name does not resolve (no DNS entry for compute nodes is common)."""
    import psutil  # type: ignore[import-untyped, unused-ignore]

    for _name, addrs in sorted(psutil.net_if_addrs().items()):
        for addr in addrs:
            if addr.family.name == "AF_INET" and not addr.address.startswith("127."):
                return str(addr.address)
    raise InputError("no non-loopback IPv4 address on this node: give the driver's address "
                     "with --host")


def _tasks(spec: str) -> list[int]:
    """``0-1,3`` -> [0, 1, 3] (srun's task lists)."""
    out: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


def first_dead_task(launcher_stderr: str) -> tuple[str, list[int], str] | None:
    """``(node, tasks, how)`` of the first task death srun reports (``srun: error: nid001002:
    task 2: Killed``): the cause; the deaths after it are srun tearing the step down."""
    for line in launcher_stderr.splitlines():
        match = _SRUN_TASK.match(line.strip())
        if match:
            return match["node"], _tasks(match["tasks"]), match["how"].strip()
    return None


def _read(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[:STDERR_LIMIT]
    return ""


def _ranks(placement: Placement, pack: int) -> str:
    r = placement.ranks_of(pack)
    return f"{r.start}-{r.stop - 1}" if len(r) > 1 else str(r.start)


def _silent_packs(placement: Placement, lost: list[int]) -> str:
    """``; no result from pack(s) 2, 3 (ranks 4-5, 6-7)``: after a reported failure, the packs
    that did not even write their failure are the ones that died (a lost node's)."""
    if not lost or len(lost) == placement.packs:
        return ""
    return (f"; no result from pack(s) {', '.join(map(str, lost))} (ranks "
            f"{', '.join(_ranks(placement, p) for p in lost)})")


def _step_failure(flare_id: str, launcher: str, code: int, stderr: str,
                  lost: list[int], placement: Placement) -> FlareError:
    """The one-line error of a step that exited non-zero with packs missing: the first task
    the launcher saw die (node, pack, ranks, how), else the packs that left no result."""
    def ranks(pack: int) -> str:
        return _ranks(placement, pack)

    dead = first_dead_task(stderr)
    if dead is not None:
        node, packs, how = dead
        named = ", ".join(f"pack {p} (ranks {ranks(p)})" for p in packs)
        return FlareError(f"flare {flare_id}: {named} on {node} died first ({how}); "
                          f"{launcher} step exited {code}, {len(lost)} of {placement.packs} "
                          "pack(s) left no result", rank=placement.ranks_of(packs[0]).start)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return FlareError(f"flare {flare_id}: {launcher} step exited {code}; pack(s) "
                      f"{', '.join(map(str, lost))} (ranks {', '.join(map(ranks, lost))}) left "
                      f"no result: {lines[-1] if lines else 'no launcher message'}",
                      rank=placement.ranks_of(lost[0]).start)


def flare_failure(flare_id: str, reported: list[FlareError], launcher: str, code: int,
                  stderr: str, lost: list[int], placement: Placement) -> FlareError | None:
    """The one error a finished step raises, or None when it succeeded.

    A failure a pack reported names its cause (an exception, a collective's timeout) unless it is
    only the teardown around another death (``_TEARDOWN``): then, when the step exited non-zero
    with packs missing, the launcher's word on the first task that died wins."""
    causes = [f for f in reported if _TEARDOWN not in f.problem]
    if reported and (causes or code == 0 or not lost):
        first = (causes or reported)[0]
        return FlareError(f"flare {flare_id}: {first.problem}{_silent_packs(placement, lost)}",
                          rank=first.rank, traceback=first.traceback)
    if code != 0 and lost:
        return _step_failure(flare_id, launcher, code, stderr, lost, placement)
    return None


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Let the step end, then SIGTERM it (srun cancels the step on every node), then kill."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STEP_GRACE_S)
        return
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STEP_GRACE_S)
        return
    proc.kill()
    proc.wait()


def run_step(site: str | Path | SiteFacts, *, size: int, granularity: int, function: str,
             host: str | None = None, nodes: int | None = None, out_dir: str | Path | None = None,
             node_type: str | None = None, python: str = "python3", timeout: float = 60.0,
             start_timeout: float = 120.0, worker_kind: str = "process",
             env: Mapping[str, str] | None = None) -> StepOutcome:
    """Run a flare of ``size`` workers as one launcher step from inside an allocation.

    ``host`` is the address the packs connect to (default: this node's routable address);
    ``out_dir`` a directory every node sees (default: a fresh one under the current
    directory, removed afterwards). Raises ``FlareError`` naming the failing rank(s)."""
    bind = host or routable_address()
    placement = Placement.of(size, granularity)
    failures: list[FlareError] = []
    failed = threading.Event()

    def on_error(rank: int, message: str, trace: str) -> None:
        failures.append(FlareError(message, rank=rank if rank >= 0 else None, traceback=trace))
        failed.set()

    with contextlib.ExitStack() as stack:
        rendezvous = ZmqRendezvous(placement.packs, host=bind, bind=bind,
                                   start_timeout=start_timeout)
        stack.callback(rendezvous.stop)  # closes its socket even if the step is refused
        if out_dir is None:
            out_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix=".xaas-flare-",
                                                                      dir=os.getcwd()))
        out = Path(out_dir)
        flare_id = os.urandom(4).hex()
        step = flare_step(site, size=size, granularity=granularity, function=function,
                          address=rendezvous.address, flare_id=flare_id, driver_host=bind,
                          out_dir=str(out), node_type=node_type, python=python,
                          timeout=timeout, start_timeout=start_timeout, nodes=nodes,
                          worker_kind=worker_kind)
        rendezvous.start(on_error)
        launcher_env = {**(env if env is not None else os.environ),
                        **pack_environment(rendezvous.secret)}
        stderr_path = out / f".{flare_id}-launcher.err"
        started = time.time()
        try:
            with stderr_path.open("wb") as stderr:
                proc = subprocess.Popen(step.command, env=launcher_env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=stderr)
        except OSError as exc:
            raise FlareError(f"flare {flare_id}: cannot start {step.command[0]}: "
                             f"{exc.strerror or exc}") from None
        try:
            while proc.poll() is None:
                if failed.wait(0.2):
                    break
        finally:
            if proc.poll() is None and not failed.is_set():  # interrupted: take the step down
                proc.terminate()
            _end(proc)
        error = flare_failure(flare_id, failures, step.command[0], proc.returncode,
                              _read(stderr_path), missing_packs(out, flare_id, placement.packs),
                              placement)
        if error is not None:
            raise error
        values, timing = collect_step(out, flare_id, size, granularity, started,
                                      rendezvous.secret)
        return StepOutcome(values=values, timing=timing, step=step, step_started=started)
