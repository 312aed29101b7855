"""The contract between the driver (``engine``) and the invokers that make calls.

An invoker makes one call attempt (``Invoker.call``). Invokers backed by a task system with
dependencies (Parsl) can also *prepare* a call before its input exists: the task is submitted
with a gate as its input and waits in the task system until the driver releases it. The driver
uses that for the call that must follow the running one (the next task of a chain, the next
iteration of a repeat): submission bookkeeping then overlaps with the running call, and when the
running call succeeds its result releases the prepared call straight from the thread that
delivers the result (``Successor.release_early``), as the task system's own dependencies would,
instead of after a round trip through the driver's event loop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

Record = dict[str, Any]

_CALLS = itertools.count(1)


def call_id(request_id: str) -> str:
    """A unique id for one call attempt of run ``request_id`` (SeBS's provider request id).

    The run's id is a random UUID; a process-wide counter makes the attempt unique without
    another trip to the system's random source on every call.
    """
    return f"{request_id}-{next(_CALLS)}"


@dataclass(frozen=True)
class CallRequest:
    """One attempt of one function call, as the driver hands it to an invoker."""

    func_name: str
    payload: Any
    request_id: str
    state: str
    attempt: int
    provider_request_id: str


class CallFailed(Exception):
    """An attempt failed (handler error, timeout, lost worker); ``record`` measures it."""

    def __init__(self, message: str, record: Record | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.record = record


class Successor(Protocol):
    """What follows a call if it succeeds; told so from whichever thread delivers the result."""

    def release_early(self, payload: Any, request_id: str) -> None: ...


class Prepared(Protocol):
    """A first attempt submitted before its input exists; released or cancelled once."""

    provider_request_id: str

    def release(self, payload: Any, request_id: str) -> None:
        """Give the call its input and let it run (thread-safe; later calls are ignored)."""
        ...

    async def wait(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        """Release the call (if not yet) and wait for its outcome, like ``Invoker.call``."""
        ...

    def cancel(self) -> None:
        """The call is not needed: it must never run."""
        ...


class Invoker(Protocol):
    """Makes call attempts: ``(output payload, record)`` or ``CallFailed``."""

    can_prepare: bool

    async def call(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        """One attempt, bounded by ``timeout_s``; on success release ``then`` at once."""
        ...

    def prepare(self, func_name: str, state: str, request_id: str) -> Prepared | None:
        """Submit the first attempt of a call whose input is not known yet, or ``None``."""
        ...

    def close(self) -> None: ...


class Ahead:
    """The next call, prepared as soon as the driver waits for the running one.

    Preparing synchronously would put the submission cost back on the path between the
    running call's end and the next call's start; ``call_soon`` runs it right after the
    running call was submitted. If the running call ends first, the driver releases the
    prepared call itself (``take`` + ``Prepared.wait``).
    """

    def __init__(self, invoker: Invoker, func_name: str, state: str, request_id: str) -> None:
        self._args = (func_name, state, request_id)
        self._invoker = invoker
        self._prepared: Prepared | None = None
        self._settled = False
        asyncio.get_running_loop().call_soon(self._make)

    def _make(self) -> None:
        if not self._settled:
            self._settled = True
            self._prepared = self._invoker.prepare(*self._args)

    def take(self) -> Prepared | None:
        """The prepared call (made now if it was not yet), or ``None`` (invoker can't)."""
        self._make()
        return self._prepared

    def release_early(self, payload: Any, request_id: str) -> None:
        prepared = self._prepared  # one read: made by the loop thread, maybe not yet
        if prepared is not None:
            prepared.release(payload, request_id)

    def cancel(self) -> None:
        if not self._settled:
            self._settled = True
        elif self._prepared is not None:
            self._prepared.cancel()


class Plan:
    """The calls of a straight chain (tasks and repeats linked by ``next``), prepared ahead.

    The driver makes the chain's first call directly and prepares up to ``window`` following
    calls while it runs, as a hand-written Parsl chain submits its apps up front; each call's
    success then releases the next one. The driver consumes calls in chain order
    (``take``/``successor``); a failure ends the chain early and ``cancel`` drops the rest.
    """

    def __init__(self, invoker: Invoker, calls: Iterator[tuple[str, str]], request_id: str,
                 window: int = 8) -> None:
        self._invoker = invoker
        self._calls = calls
        self._request_id = request_id
        self._window = window
        self._ahead: deque[Ahead] = deque()
        self._head = True

    def _fill(self) -> None:
        while len(self._ahead) < self._window:
            upcoming = next(self._calls, None)
            if upcoming is None:
                return
            self._ahead.append(Ahead(self._invoker, *upcoming, self._request_id))

    def take(self) -> Ahead | None:
        """The prepared call for the call about to be made (``None``: make it directly)."""
        if self._head:
            self._head = False
            next(self._calls, None)  # the first call is made directly
            self._fill()
            return None
        ahead = self._ahead.popleft() if self._ahead else None
        self._fill()
        return ahead

    def successor(self) -> Ahead | None:
        """The call after the one just taken, to release when that succeeds."""
        return self._ahead[0] if self._ahead else None

    def cancel(self) -> None:
        """Drop the rest of the chain: prepared calls are cancelled and never run."""
        for ahead in self._ahead:
            ahead.cancel()
        self._ahead.clear()
        self._calls = iter(())
