"""The driver: walks a workflow's states and makes each function call through an ``Invoker``.

Control flow (switch, map fan-out, parallel branches, loop, repeat, failure → compensation,
retries, timeouts) is decided here, in the driver process, with the pure rules of
``xaas_parsl.flow.core``; only function calls leave the driver, each as one invocation of the
invoker (a Parsl app on a chosen executor, or a thread in this process). The driver is an asyncio
coroutine: a map of a thousand items or nested fan-outs are a thousand cheap coroutines waiting on
futures, not a thousand threads, and nothing can deadlock on a bounded pool.

Failure semantics (docs/flow.md §2): a failing call is retried per its ``retry`` policy, each
attempt bounded by its timeout; when the attempts are spent, a task with ``failure`` continues there
with the payload the task received, and the run still succeeds. Otherwise the run fails with
``WorkflowFailed`` naming the request id and the state path (a loop/repeat names itself; a call
inside a map or parallel names the map/parallel state, then the inner state). A failing map item or
branch fails its map/parallel after all siblings finished (so no call is left running unobserved and
all their measurements are kept); the first failure in element order is reported.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from xaas_parsl.errors import XaasError
from xaas_parsl.flow.calls import CallFailed, CallRequest, Invoker, Plan, Record, call_id
from xaas_parsl.flow.core import (
    FlowError,
    can_handle,
    loop_items,
    map_items,
    map_output,
    next_state,
)
from xaas_parsl.flow.model import (
    Call,
    Loop,
    Map,
    Parallel,
    Repeat,
    Scope,
    State,
    Switch,
    Task,
    Workflow,
)

log = logging.getLogger(__name__)

FLUSH_S = 0.25  # how often measurement records are written while a run goes on


class WorkflowFailed(XaasError):
    """A run ended in an error that no ``failure`` target handled."""

    def __init__(self, request_id: str, state_path: tuple[str, ...], func_name: str | None,
                 error: str, path: str | None = None) -> None:
        self.request_id = request_id
        self.state_path = state_path
        self.func_name = func_name
        self.error = error
        func = f" (function {func_name})" if func_name else ""
        super().__init__(f"run {request_id} failed in state {' > '.join(state_path)}{func}: "
                         f"{error}", path)


class _StateFailed(Exception):
    """Internal: an unhandled failure travelling up to the top of the run."""

    def __init__(self, path: tuple[str, ...], func_name: str | None, error: str) -> None:
        super().__init__(error)
        self.path = path
        self.func_name = func_name
        self.error = error


@dataclass
class RunResult:
    """The final payload and what happened on the way."""

    request_id: str
    payload: Any
    records: list[Record] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        # Short: asyncio formats a finished task's result, and records can be many.
        return (f"RunResult(request_id={self.request_id!r}, {len(self.records)} records, "
                f"{len(self.handled)} handled failures)")


def _state_path(path: tuple[str, ...]) -> str:
    return "/".join(path)


class Engine:
    """Runs workflows through ``invoker``; ``sink`` receives every record (in batches)."""

    def __init__(self, invoker: Invoker, *,
                 sink: Callable[[list[Record]], None] | None = None,
                 default_timeout_s: float | None = None, flush_s: float = FLUSH_S) -> None:
        self.invoker = invoker
        self.sink = sink
        self.default_timeout_s = default_timeout_s
        self.flush_s = flush_s  # 0: every record goes to the sink as soon as its call ends
        self._unsunk: list[Record] = []
        self._flush_timer: asyncio.TimerHandle | None = None

    async def run(self, workflow: Workflow, payload: Any,
                  request_id: str | None = None) -> RunResult:
        """Run ``workflow`` on ``payload``; ``WorkflowFailed`` when a failure is unhandled."""
        result = RunResult(request_id or uuid.uuid4().hex, None)
        try:
            result.payload = await self._scope(workflow.scope, payload, (), result)
        except _StateFailed as exc:
            raise WorkflowFailed(result.request_id, exc.path, exc.func_name, exc.error,
                                 workflow.source) from None
        finally:
            self._flush()
        return result

    def _record(self, run: RunResult, record: Record | None) -> None:
        """Keep ``record``; the sink gets records in batches, off the calls' critical path.

        Writing a record (an SQLite commit, a Redis round trip) costs as much as a fast
        transition and would compete with it for the interpreter; records are flushed every
        ``FLUSH_S`` seconds while the run goes on and at its end, whatever the outcome, so the
        records of calls that finished before a failure are all kept.
        """
        if record is None:
            return
        run.records.append(record)
        if self.sink is None:
            return
        self._unsunk.append(record)
        if self.flush_s <= 0:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(self.flush_s, self._flush)

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        pending, self._unsunk = self._unsunk, []
        if self.sink is not None and pending:
            self.sink(pending)

    def _chain(self, scope: Scope, state: Task | Repeat,
               where: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        """``(func_name, state path)`` of every call of the straight chain starting at ``state``:
        tasks and repeats linked by ``next``, i.e. the calls that follow one another for sure
        as long as none fails."""
        current: State | None = state
        while isinstance(current, Task | Repeat):
            path = _state_path((*where, current.name))
            for _ in range(current.count if isinstance(current, Repeat) else 1):
                yield current.call.func_name, path
            current = scope[current.next] if current.next is not None else None

    async def _scope(self, scope: Scope, payload: Any, where: tuple[str, ...],
                     run: RunResult) -> Any:
        name: str | None = scope.root
        plan: Plan | None = None  # the chain of calls the current state belongs to
        while name is not None:
            state = scope[name]
            here = (*where, name)
            if not isinstance(state, Task | Repeat):
                plan = None
            elif plan is None and self.invoker.can_prepare:
                plan = Plan(self.invoker, self._chain(scope, state, where), run.request_id)
            try:
                output = await self._state(state, payload, here, run, plan)
                name = next_state(state, output)
            except BaseException as exc:
                if plan is not None:
                    plan.cancel()
                    plan = None
                if isinstance(exc, FlowError):
                    raise _StateFailed(here, None, str(exc)) from None
                if not isinstance(exc, CallFailed):
                    raise
                if not can_handle(state):
                    func = state.call.func_name if isinstance(state, Task | Loop | Repeat) \
                        else None
                    raise _StateFailed(here, func, exc.message) from None
                name = next_state(state, payload, failed=True)
                log.warning("run %s: state %s failed (%s); continuing at %s", run.request_id,
                            _state_path(here), " ".join(exc.message.split())[:300], name)
                run.handled.append(f"{_state_path(here)} -> {name}: {exc.message}")
                continue  # the failure target receives the failed task's input unchanged
            payload = output
        return payload

    async def _state(self, state: State, payload: Any, here: tuple[str, ...], run: RunResult,
                     plan: Plan | None = None) -> Any:
        if isinstance(state, Task):
            return await self._call(state.call, payload, here, run, plan)
        if isinstance(state, Switch):
            return payload
        if isinstance(state, Repeat):
            for _ in range(state.count):
                payload = await self._call(state.call, payload, here, run, plan)
            return payload
        if isinstance(state, Loop):
            for element in loop_items(state.array, payload):
                await self._call(state.call, element, here, run)
            return payload
        if isinstance(state, Map):
            items = map_items(state, payload)
            results = await self._all([self._scope(state.body, item, here, run)
                                       for item in items])
            return map_output(state, payload, results)
        if isinstance(state, Parallel):
            outputs = await self._all([self._scope(branch, copy.deepcopy(payload), here, run)
                                       for branch in state.branches])
            return {branch.root: out for branch, out in zip(state.branches, outputs, strict=True)}
        raise TypeError(f"unknown state {state!r}")

    @staticmethod
    async def _all(runs: list[Any]) -> list[Any]:
        """Await all (concurrently); then raise the first failure in order, if any."""
        if not runs:
            return []
        results = await asyncio.gather(*runs, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)

    async def _call(self, call: Call, payload: Any, here: tuple[str, ...], run: RunResult,
                    plan: Plan | None = None) -> Any:
        """One call with its retries; ``plan`` (if any) holds it prepared and its successor."""
        timeout = call.timeout_s if call.timeout_s is not None else self.default_timeout_s
        state = _state_path(here)
        prepared = plan.take() if plan is not None else None
        then = plan.successor() if plan is not None else None
        for attempt in range(1, call.retry.max_attempts + 1):
            first = prepared.take() if prepared is not None and attempt == 1 else None
            request = CallRequest(call.func_name, payload, run.request_id, state, attempt,
                                  first.provider_request_id if first else call_id(run.request_id))
            try:
                if first is not None:
                    output, record = await first.wait(request, timeout, then)
                else:
                    output, record = await self.invoker.call(request, timeout, then)
            except CallFailed as exc:
                self._record(run, exc.record)
                if attempt == call.retry.max_attempts:
                    raise
                delay = call.retry.delay(attempt)
                log.warning("run %s: %s attempt %d/%d failed (%s); retrying in %.3g s",
                            run.request_id, state, attempt, call.retry.max_attempts,
                            exc.message, delay)
                await asyncio.sleep(delay)
                continue
            self._record(run, record)
            return output
        raise AssertionError("unreachable: max_attempts >= 1")
