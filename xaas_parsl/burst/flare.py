"""``flare``: launch N workers as one unit and get one future of their results.

The driver starts a rendezvous (a ZeroMQ ROUTER, or lists on a Redis server), submits one task
per pack to the executor all at once, and folds the pack tasks into one ``FlareFuture``: a
``concurrent.futures.Future``, so Parsl apps accept it as a dependency like any AppFuture
(``parsl_apps.flare_app`` makes it a DAG node of its own). The flare fails as a whole: the
first failure (a worker's exception reported through the rendezvous, a pack task that died, a
gang start that timed out) sets the future's exception and aborts every other pack;
``cancel()`` does the same on request.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.errors import FlareError
from xaas_parsl.burst.pack import REDIS_SCHEMES, WORKER_KINDS, PackResult, PackSpec, run_pack
from xaas_parsl.burst.timing import FlareTiming
from xaas_parsl.burst.transport.base import Rendezvous
from xaas_parsl.burst.transport.zmq import ZmqRendezvous
from xaas_parsl.errors import InputError, ToolError, XaasError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FlareFuture(Future[list[Any]]):
    """The future of one flare: its result is the workers' return values in rank order.
    ``timing`` holds the start/end stamps once the flare succeeded."""

    def __init__(self, flare_id: str, placement: Placement, t0: float) -> None:
        super().__init__()
        self.flare_id = flare_id
        self.placement = placement
        self.timing = FlareTiming(t0=t0)
        self.messages_sent: dict[int, int] = {}  # per pack: data messages on the transport
        self._on_cancel: Callable[[], None] | None = None

    def cancel(self) -> bool:
        """Cancel the whole flare: abort every pack (workers see ``FlareAborted`` at their next
        collective; Python threads cannot be killed mid-computation)."""
        cancelled = super().cancel()
        if cancelled and self._on_cancel is not None:
            self._on_cancel()
        return cancelled


class _FlareRun:
    """Driver-side bookkeeping that turns pack futures and rendezvous reports into one
    outcome."""

    def __init__(self, future: FlareFuture, rendezvous: Rendezvous) -> None:
        self.future = future
        self.rendezvous = rendezvous
        self.packs: list[Future[PackResult]] = []
        self.results: dict[int, PackResult] = {}
        self.lock = threading.Lock()
        self.pending = future.placement.packs

    def fail(self, error: FlareError, *, cancelled: bool = False) -> None:
        """Fail the flare with ``error`` (unless already done) and abort every pack; after
        ``cancel()`` the future is already settled and only the abort remains to do."""
        with self.lock:
            if not cancelled:
                if self.future.done():
                    return
                self.future.set_exception(error)
        self.rendezvous.abort(error.problem)
        for pack in self.packs:
            with contextlib.suppress(NotImplementedError):  # Parsl AppFutures cannot cancel
                pack.cancel()

    def on_worker_error(self, rank: int, message: str, trace: str) -> None:
        self.fail(FlareError(f"flare {self.future.flare_id}: {message}", rank=rank,
                             traceback=trace))

    def on_pack_done(self, index: int, fut: Future[PackResult]) -> None:
        placement = self.future.placement
        ranks = placement.ranks_of(index)
        try:
            result = fut.result()
        except BaseException as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            self.fail(FlareError(f"flare {self.future.flare_id}: pack {index} (ranks "
                                 f"{ranks.start}-{ranks.stop - 1}) failed: {text}",
                                 rank=ranks.start))
        else:
            if result.error is not None:
                rank, message, trace = result.error
                self.fail(FlareError(f"flare {self.future.flare_id}: {message}",
                                     rank=rank if rank >= 0 else None, traceback=trace))
            with self.lock:
                self.results[index] = result
        with self.lock:
            self.pending -= 1
            finished = self.pending == 0
        if finished:
            try:
                self.rendezvous.stop()
            finally:  # whatever happens to the rendezvous, the future must settle
                self.complete()

    def complete(self) -> None:
        with self.lock:
            if self.future.done():
                return
            timing = self.future.timing
            size = self.future.placement.size
            values: list[Any] = [None] * size
            starts = [0.0] * size
            ends = [0.0] * size
            for result in self.results.values():
                timing.offsets[result.pack] = result.offset
                timing.hosts[result.pack] = result.host
                self.future.messages_sent[result.pack] = result.messages_sent
                for rank, value in result.results.items():
                    values[rank] = value
                    starts[rank] = result.starts[rank] - result.offset
                    ends[rank] = result.ends[rank] - result.offset
            timing.starts, timing.ends = starts, ends
            self.future.set_result(values)


def _submitter(executor: str | Executor) -> Callable[..., Future[PackResult]]:
    if isinstance(executor, Executor):
        return lambda *a: executor.submit(run_pack, *a)
    if isinstance(executor, str):
        from parsl import python_app

        app = python_app(run_pack, executors=[executor])
        return lambda *a: app(*a)
    raise InputError(f"flare executor must be a Parsl executor label or a "
                     f"concurrent.futures.Executor, got {type(executor).__name__}")


def _rendezvous(transport: str, flare_id: str, packs: int, host: str,
                start_timeout: float) -> Rendezvous:
    if transport == "zmq":
        try:  # bound on the interface packs connect to (``host``), never on 0.0.0.0
            return ZmqRendezvous(packs, host=host, start_timeout=start_timeout)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    if transport.startswith(REDIS_SCHEMES):
        from xaas_parsl.burst.transport.redis import RedisRendezvous

        try:
            return RedisRendezvous(transport, flare_id, packs, start_timeout=start_timeout)
        except XaasError:
            raise
        except Exception as exc:  # redis.ConnectionError and friends
            raise ToolError(f"flare transport {transport}: {type(exc).__name__}: "
                            f"{' '.join(str(exc).split())}") from exc
    raise InputError(f"flare transport must be 'zmq' or a redis:// URL, got {transport!r}")


def flare(fn: Callable[..., Any], size: int, granularity: int = 1, *,
          args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
          executor: str | Executor = "compute", timeout: float = 60.0,
          start_timeout: float = 120.0, host: str = "127.0.0.1",
          transport: str = "zmq", worker_kind: str = "process") -> FlareFuture:
    """Start ``size`` workers running ``fn(ctx, *args, **kwargs)`` as one unit.

    Workers are packed ``granularity`` per pack task; ``worker_kind`` says how a pack runs
    them: ``"process"`` (default: one forked process per worker, CPU-bound Python runs in
    parallel) or ``"thread"`` (threads of the pack process under one GIL: for workers that wait
    on I/O or subprocesses; zero-copy inside the pack). ``executor`` is
    a Parsl executor label (the loaded config's ``compute`` by default) or any
    ``concurrent.futures.Executor`` able to run all packs at once. ``timeout`` bounds every
    collective and receive, ``start_timeout`` the gang start. ``host`` is the driver address
    packs connect to: keep the loopback default locally, give a routable name on clusters.
    ``transport`` is ``"zmq"`` (the driver's ROUTER, default) or a Redis URL
    (``redis://host:port/db``) every pack can reach.
    """
    t0 = time.time()
    placement = Placement.of(size, granularity)
    if timeout <= 0 or start_timeout <= 0:
        raise InputError("flare timeouts must be positive")
    if worker_kind not in WORKER_KINDS:
        raise InputError(f"flare worker_kind must be one of {', '.join(WORKER_KINDS)}, "
                         f"got {worker_kind!r}")
    submit = _submitter(executor)
    flare_id = uuid.uuid4().hex[:8]
    rendezvous = _rendezvous(transport, flare_id, placement.packs, host, start_timeout)
    future = FlareFuture(flare_id, placement, t0)
    run = _FlareRun(future, rendezvous)
    future._on_cancel = lambda: run.fail(FlareError(f"flare {future.flare_id}: cancelled"),
                                         cancelled=True)
    rendezvous.start(run.on_worker_error)
    driver_host = socket.gethostname()
    try:
        for index in range(placement.packs):
            spec = PackSpec(flare_id=future.flare_id, pack=index, placement=placement,
                            address=rendezvous.address, timeout=timeout,
                            start_timeout=start_timeout, driver_host=driver_host,
                            secret=rendezvous.secret, worker_kind=worker_kind)
            run.packs.append(submit(spec, fn, args, kwargs))
    except Exception as exc:  # e.g. no Parsl config loaded, executor shut down
        error = FlareError(f"flare {future.flare_id}: cannot submit its packs: "
                           f"{type(exc).__name__}: {' '.join(str(exc).split())}")
        run.fail(error)
        rendezvous.stop()
        raise error from exc
    for index, pack in enumerate(run.packs):
        pack.add_done_callback(functools.partial(run.on_pack_done, index))
    return future
