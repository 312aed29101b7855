"""Invokers: how the driver makes one call attempt.

``ParslInvoker`` makes every call one Parsl ``python_app`` invocation on a chosen executor
(``compute`` by default; the ``login`` thread pool for latency measurements), so a workflow run
is a Parsl DAG that runs wherever Parsl runs. ``LocalInvoker`` calls functions on a thread pool
of this process, without Parsl, for tests of the interpreter and for quick local runs.

Both bound every attempt by its timeout on the driver side, so a hung or killed worker never hangs
the run. A call that timed out is abandoned: the driver stops waiting and ignores a late result,
but cannot stop the worker (a thread cannot be killed, and Parsl has no task cancellation); the
worker finishes the call or dies with its block. A worker that dies mid-call surfaces as Parsl's
``WorkerLost`` (HTEX notices within its heartbeat period), which is a failed attempt like any
other, retried when the state's ``retry`` says so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from xaas_parsl.flow.calls import CallFailed, CallRequest, Record, Successor, call_id
from xaas_parsl.flow.functions import Source
from xaas_parsl.flow.worker import HandlerFailed, invoke, make_record


def _spec(state: str, attempt: int, provider_request_id: str, sources: tuple[Source, ...],
          storage: dict[str, Any], copy_payload: bool) -> dict[str, Any]:
    return {"state": state, "attempt": attempt, "provider_request_id": provider_request_id,
            "sources": sources, "storage": storage, "copy": copy_payload}


class _Expired(Exception):
    """The attempt's timeout passed before its result arrived."""


def _settle(waiter: asyncio.Future[Any], done: concurrent.futures.Future[Any]) -> None:
    if waiter.done():
        return
    error = done.exception()
    if error is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


async def _outcome(future: concurrent.futures.Future[Any], request: CallRequest,
                   timeout_s: float | None, submitted: float,
                   then: Successor | None) -> tuple[Any, Record]:
    """Wait for one attempt, bounded by ``timeout_s``; failures become ``CallFailed``.

    The result and the timeout race for a one-shot token (a lock taken without blocking), so
    exactly one of them decides the attempt: a result that arrives after the timeout is ignored
    and releases nothing. On success, ``then`` is released in the thread that delivers the
    result, before the driver's event loop even wakes up. (``asyncio.wrap_future`` is not used:
    it would try to cancel Parsl's ``AppFuture``, which refuses, and would fail when a late
    result arrives after the loop closed.)
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Any] = loop.create_future()
    token = threading.Lock()

    def on_done(done: concurrent.futures.Future[Any]) -> None:
        if not token.acquire(blocking=False):
            return  # timed out before
        if then is not None and done.exception() is None:
            then.release_early(done.result()["payload"], request.request_id)
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed since the check
                loop.call_soon_threadsafe(_settle, waiter, done)

    def on_timeout() -> None:
        if token.acquire(blocking=False) and not waiter.done():
            waiter.set_exception(_Expired())

    future.add_done_callback(on_done)
    timer = None if timeout_s is None else loop.call_later(timeout_s, on_timeout)
    try:
        result: dict[str, Any] = await waiter
    except _Expired:
        message = f"timed out after {timeout_s:g} s"
        raise CallFailed(message, _lost(request, submitted, message)) from None
    except HandlerFailed as error:
        raise CallFailed(error.message, error.record) from None
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        raise CallFailed(message, _lost(request, submitted, message)) from None
    finally:
        if timer is not None:
            timer.cancel()
    return result["payload"], result["record"]


def _lost(request: CallRequest, submitted: float, error: str) -> Record:
    """The driver's record of an attempt whose worker reported nothing (timeout, lost worker)."""
    spec = {"state": request.state, "attempt": request.attempt,
            "provider_request_id": request.provider_request_id}
    return make_record(request.func_name, spec, request.request_id, start=submitted,
                       end=time.time(), is_cold=None, container="", error=error)


class LocalInvoker:
    """Calls ``worker.invoke`` on this process's threads (no Parsl)."""

    can_prepare = False

    def __init__(self, sources: Sequence[Source], storage: dict[str, Any],
                 max_workers: int = 32) -> None:
        self.sources = tuple(sources)
        self.storage = storage
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers,
                                                          thread_name_prefix="xaas-flow")

    async def call(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        envelope = {"payload": request.payload, "request_id": request.request_id}
        spec = _spec(request.state, request.attempt, request.provider_request_id, self.sources,
                     self.storage, copy_payload=True)
        submitted = time.time()
        future = self.pool.submit(invoke, request.func_name, envelope, spec)
        return await _outcome(future, request, timeout_s, submitted, then)

    def prepare(self, func_name: str, state: str, request_id: str) -> None:
        """Nothing to gain from submitting ahead to a local pool."""
        return None

    def close(self) -> None:
        """Stop the pool without waiting for abandoned (timed-out) calls."""
        self.pool.shutdown(wait=False, cancel_futures=True)


class ParslInvoker:
    """Every call attempt is one Parsl app invocation on ``executor`` of the loaded DFK."""

    can_prepare = True

    def __init__(self, sources: Sequence[Source], storage: dict[str, Any],
                 executor: str = "compute", dfk: Any = None) -> None:
        import parsl
        from parsl import python_app
        from parsl.executors import ThreadPoolExecutor

        from xaas_parsl.errors import InputError

        try:
            self.dfk = dfk if dfk is not None else parsl.dfk()
        except parsl.errors.NoDataFlowKernelError:
            raise InputError("no Parsl configuration is loaded: parsl.load(xaas_parsl.sites."
                             "config(site)) first, use run_workflow(..., site=...), or run "
                             "without Parsl (executor None / --executor none)") from None
        if executor not in self.dfk.executors:
            raise InputError(f"no Parsl executor labelled {executor!r} (the loaded config has "
                             f"{', '.join(sorted(self.dfk.executors))})")
        self.sources = tuple(sources)
        self.storage = storage
        self.executor = executor
        # In-process executors hand the driver's own objects to the handler: copy them first.
        self.copy_payload = isinstance(self.dfk.executors[executor], ThreadPoolExecutor)
        self.app = python_app(invoke, executors=[executor], data_flow_kernel=self.dfk)

    async def call(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        envelope = {"payload": request.payload, "request_id": request.request_id}
        spec = _spec(request.state, request.attempt, request.provider_request_id, self.sources,
                     self.storage, self.copy_payload)
        submitted = time.time()
        future = self.app(request.func_name, envelope, spec)
        return await _outcome(future, request, timeout_s, submitted, then)

    def prepare(self, func_name: str, state: str, request_id: str) -> PreparedApp:
        """Submit the app now with a gate future as its envelope; Parsl holds it until the
        gate is released with the real input (or fails, and then the app never runs)."""
        gate: concurrent.futures.Future[Any] = concurrent.futures.Future()
        provider_request_id = call_id(request_id)
        spec = _spec(state, 1, provider_request_id, self.sources, self.storage,
                     self.copy_payload)
        return PreparedApp(gate, self.app(func_name, gate, spec), provider_request_id)

    def close(self) -> None:
        """Nothing to release: the DFK belongs to the caller."""


class NotNeeded(Exception):
    """The gate of a prepared call that will not run (an earlier state failed)."""


class PreparedApp:
    """A Parsl app waiting on its gate future (a dependency Parsl resolves like any other)."""

    def __init__(self, gate: concurrent.futures.Future[Any],
                 future: concurrent.futures.Future[Any], provider_request_id: str) -> None:
        self.gate = gate
        self.future = future
        self.provider_request_id = provider_request_id
        self.released = time.time()
        self._lock = threading.Lock()

    def release(self, payload: Any, request_id: str) -> None:
        with self._lock:
            if not self.gate.done():
                self.released = time.time()
                self.gate.set_result({"payload": payload, "request_id": request_id})

    async def wait(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        self.release(request.payload, request.request_id)
        return await _outcome(self.future, request, timeout_s, self.released, then)

    def cancel(self) -> None:
        with self._lock:
            if not self.gate.done():
                self.gate.set_exception(NotNeeded("not needed: an earlier state failed"))
