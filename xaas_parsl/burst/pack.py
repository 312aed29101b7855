"""One pack: a process that joins the flare and runs its workers, as processes or threads.

``worker_kind="process"`` (the default) forks the pack's workers as processes (``procpack``):
CPU-bound Python workers run in parallel. ``"thread"`` runs them as threads of the pack process:
cheaper to start and zero-copy inside the pack, right for workers that wait on I/O or
subprocesses, but Python code of one pack then runs one worker at a time (one GIL). A pack of
one worker runs it in the pack process either way (a fork would buy nothing).

``run_pack`` is the only function an executor has to run, which is what lets any executor
(Parsl HTEX, a process pool, an ``srun`` step via ``python -m xaas_parsl.burst``) host a
flare. Workers start only after the gang-start barrier, and each stamps its start on its first
line. A failing worker reports itself through the transport first (so the other packs abort at
once) and then its pack returns the failure in its result.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xaas_parsl.burst.context import Placement, WorkerContext
from xaas_parsl.burst.errors import FlareAborted
from xaas_parsl.burst.procpack import ProcessPack, one_line
from xaas_parsl.burst.transport.base import Mailbox, PackTransport
from xaas_parsl.burst.transport.zmq import CLOCK_PINGS, ZmqPackTransport

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
WORKER_KINDS = ("process", "thread")


@dataclass(frozen=True)
class PackSpec:
    """What a pack needs to know: its flare, its index, the layout, where the driver is."""

    flare_id: str
    pack: int
    placement: Placement
    address: str
    timeout: float
    start_timeout: float
    driver_host: str
    # The flare's frame-sealing key (``transport.auth``); travels with the spec, never shown.
    secret: bytes = field(default=b"", repr=False)
    worker_kind: str = "process"


@dataclass
class PackResult:
    """A pack's outcome: results, start/end stamps (own clock) per rank, clock offset."""

    pack: int
    host: str
    offset: float
    results: dict[int, Any] = field(default_factory=dict)
    starts: dict[int, float] = field(default_factory=dict)
    ends: dict[int, float] = field(default_factory=dict)
    error: tuple[int, str, str] | None = None  # (rank, one line, traceback)
    messages_sent: int = 0  # data messages this pack put on the transport


def connect(address: str, pack: int, mailbox: Mailbox, clock_pings: int,
            secret: bytes) -> PackTransport:
    """The pack side of the transport the driver's address names (``tcp://`` ZeroMQ,
    ``redis://`` Redis), sealing and checking frames with the flare's ``secret``."""
    if address.startswith(REDIS_SCHEMES):
        from xaas_parsl.burst.transport.redis import RedisPackTransport

        return RedisPackTransport(address, pack, mailbox, clock_pings=clock_pings,
                                  secret=secret)
    return ZmqPackTransport(address, pack, mailbox, clock_pings=clock_pings, secret=secret)


def run_pack(spec: PackSpec, fn: Callable[..., Any], args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None) -> PackResult:
    """Join the flare, wait for the gang start, run this pack's workers, return their results."""
    if spec.worker_kind == "process" and len(spec.placement.ranks_of(spec.pack)) > 1:
        return _run_process_pack(spec, fn, args, kwargs or {})
    return _run_thread_pack(spec, fn, args, kwargs)


def _run_process_pack(spec: PackSpec, fn: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> PackResult:
    """Fork the workers first (they inherit no transport state), then join the flare."""
    host = socket.gethostname()
    workers = ProcessPack(spec, fn, args, kwargs)
    try:
        pings = 0 if host == spec.driver_host else CLOCK_PINGS
        transport = connect(spec.address, spec.pack, workers.router, pings, spec.secret)
        try:
            try:
                offset = transport.join(spec.start_timeout)
            except BaseException as exc:
                workers.router.abort(one_line(exc))
                raise
            out = PackResult(pack=spec.pack, host=host, offset=offset)
            workers.go()
            workers.serve(transport, out)
            if out.error is None and workers.router.aborted is not None:
                out.error = (-1, f"pack {spec.pack} aborted: {workers.router.aborted}", "")
            out.messages_sent = transport.messages_sent
            return out
        finally:
            transport.close()
    finally:
        workers.close()


def _run_thread_pack(spec: PackSpec, fn: Callable[..., Any], args: tuple[Any, ...],
                     kwargs: dict[str, Any] | None) -> PackResult:
    host = socket.gethostname()
    mailbox = Mailbox()
    # Same host, same clock: skip the round trips (an estimate could only add noise).
    pings = 0 if host == spec.driver_host else CLOCK_PINGS
    transport = connect(spec.address, spec.pack, mailbox, pings, spec.secret)
    try:
        offset = transport.join(spec.start_timeout)
        out = PackResult(pack=spec.pack, host=host, offset=offset)
        lock = threading.Lock()

        def work(rank: int) -> None:
            start = time.time()
            try:
                ctx = WorkerContext(rank=rank, placement=spec.placement, pack=spec.pack,
                                    flare_id=spec.flare_id, mailbox=mailbox, transport=transport,
                                    timeout=spec.timeout)
                value = fn(ctx, *args, **(kwargs or {}))
                with lock:
                    out.results[rank] = value
            except FlareAborted:
                pass  # a consequence of someone else's failure, already reported
            except BaseException as exc:
                message = f"rank {rank} failed: {one_line(exc)}"
                trace = traceback.format_exc()
                with lock:
                    if out.error is None:
                        out.error = (rank, message, trace)
                transport.report_error(rank, message, trace)
                mailbox.abort(message)
            finally:
                with lock:
                    out.starts[rank] = start
                    out.ends[rank] = time.time()

        threads = [threading.Thread(target=work, args=(rank,), name=f"burst-rank-{rank}")
                   for rank in spec.placement.ranks_of(spec.pack)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if out.error is None and mailbox.aborted is not None:
            out.error = (-1, f"pack {spec.pack} aborted: {mailbox.aborted}", "")
        out.messages_sent = transport.messages_sent
        return out
    finally:
        transport.close()
