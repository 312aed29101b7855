"""Long measurements that resume: finished steps kept in a JSON state file, SIGTERM-safe stop;
and the two rules every timed comparison here follows (interleaved rounds, a pinned CPU).

Why: the IR benchmarks (llama.cpp, GROMACS) need hours of a shared 2-core machine, more than
one working session. Each step's result is written (atomically) as soon as it finishes, so a
rerun skips it; the long steps themselves save their progress in batches (the IR store's
indexes, the preprocessing cache, ninja's own log), so an interrupted step resumes too.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from xaas_parsl.discovery.runner import default_cache_dir
from xaas_parsl.fileio import load_json, write_json

console = Console(stderr=True)


class Stopped(Exception):
    """The run was asked to stop (SIGTERM); the current step is not recorded as done."""


def work_dir(name: str) -> Path:
    """``$XDG_CACHE_HOME/xaas-parsl/<name>`` (``~/.cache/...``): survives sessions, unlike
    ``/tmp`` on machines that clean it."""
    return default_cache_dir() / name


@contextlib.contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """Run the block (and the processes it starts: affinity is inherited) on ``cpu`` only,
    then restore the affinity; ``None`` pins nothing. Timed single-threaded runs then do not
    migrate between cores in the middle of a measurement."""
    before = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def interleaved(labels: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """``(round, label)`` for timing labels against each other: every round runs each label
    once, the order alternating between rounds, so a drift of the machine favours none."""
    for r in range(rounds):
        for label in labels if r % 2 == 0 else labels[::-1]:
            yield r, label


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children: unlike wall time,
    it does not grow when other users load the shared machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stop_on_sigterm() -> None:
    """On SIGTERM: pass it on to the tools this process started (when it leads its process
    group, e.g. started with ``setsid``: ninja then stops its compilers and keeps its log) and
    raise ``Stopped`` here, so queued jobs are dropped and the progress files are written."""

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group signal reaches us too
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGTERM)
        raise Stopped(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


class State:
    """Finished steps with their results, saved after each one (reruns skip them)."""

    def __init__(self, path: Path, fresh: bool = False, cached_only: bool = False) -> None:
        self.path = path
        self.cached_only = cached_only
        data = {} if fresh or not path.is_file() else load_json(path)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def phase(self, name: str, func: Callable[..., Any], check: Path | None = None) -> Any:
        """``{seconds, cpu_seconds, result}`` of step ``name``: recorded, or run now (and
        recorded). ``check``: a file the step made; when it is gone the step runs again."""
        if name in self.data and (check is None or check.exists()):
            console.print(f"[dim]{name}: done before ({self.data[name]['seconds']:.0f} s)[/]")
            return self.data[name]
        if self.cached_only:
            console.print(f"[yellow]{name}: not done, skipped (--cached-only)[/]")
            return None
        console.print(f"[bold]{name}[/] ...")
        start, cpu = time.perf_counter(), cpu_seconds()
        result = func()
        self.data[name] = {"seconds": round(time.perf_counter() - start, 1),
                           "cpu_seconds": round(cpu_seconds() - cpu, 1), "result": result}
        write_json(self.path, self.data)
        console.print(f"{name}: {self.data[name]['seconds']:.0f} s")
        return self.data[name]
