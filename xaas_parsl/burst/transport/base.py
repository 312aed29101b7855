"""The transport interface of a flare and the in-process mailbox every pack uses.

A pack is one process holding ``granularity`` workers as threads. Messages between workers of
the same pack never touch a transport: they are object references dropped into the pack's
``Mailbox`` (zero-copy; receivers must treat them as read-only). Only messages to a rank in
another pack go through a ``PackTransport``, which delivers them into the destination pack's
mailbox. The driver side of a transport is a ``Rendezvous``: it gang-starts the packs, forwards
their messages and fans out aborts. Keeping both halves abstract is what lets each transport
(``zmq``, ``redis``) be one module.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Callable, Hashable
from typing import Any

from xaas_parsl.burst.errors import CollectiveTimeout, FlareAborted

# (destination rank, source rank, tag): tags keep collectives and user messages apart.
Key = tuple[int, int, Hashable]
# Called by a rendezvous when a pack reports a failing worker: (rank, one line, traceback).
ErrorCallback = Callable[[int, str, str], None]


class Mailbox:
    """Per-pack message store: one condition per destination rank, sharing one lock, so a
    delivery wakes only the thread it is for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conds: dict[int, threading.Condition] = {}
        self._boxes: dict[Key, deque[Any]] = defaultdict(deque)
        self._abort: str | None = None

    def _cond(self, dst: int) -> threading.Condition:
        cond = self._conds.get(dst)
        if cond is None:
            cond = self._conds.setdefault(dst, threading.Condition(self._lock))
        return cond

    def put(self, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        """Deliver ``obj`` (by reference) to ``dst``."""
        with self._lock:
            self._boxes[(dst, src, tag)].append(obj)
            self._cond(dst).notify_all()

    def get(self, dst: int, src: int, tag: Hashable, timeout: float, what: str) -> Any:
        """The next message from ``src`` to ``dst`` with ``tag``; raises ``CollectiveTimeout``
        after ``timeout`` s (naming ``dst`` and ``src``) or ``FlareAborted`` once aborted."""
        deadline = time.monotonic() + timeout
        key = (dst, src, tag)
        with self._lock:
            cond = self._cond(dst)
            while True:
                if self._abort is not None:
                    raise FlareAborted(f"rank {dst}: {what} aborted: {self._abort}", rank=dst)
                box = self._boxes.get(key)
                if box:
                    obj = box.popleft()
                    if not box:
                        del self._boxes[key]
                    return obj
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CollectiveTimeout(
                        f"rank {dst}: {what} timed out after {timeout:g} s waiting for rank {src}",
                        rank=dst)
                cond.wait(left)

    def abort(self, reason: str) -> None:
        """Wake every waiting worker with ``FlareAborted``; the first reason wins."""
        with self._lock:
            if self._abort is None:
                self._abort = reason
            for cond in self._conds.values():
                cond.notify_all()

    @property
    def aborted(self) -> str | None:
        """The abort reason, or None while the flare is alive."""
        return self._abort


class PackTransport(ABC):
    """The pack side: join the flare, wait for the gang start, send to other packs.

    ``send`` counts the data messages this pack put on the wire (``messages_sent``): the
    flare reports the counts, which is how per-pack aggregation of collectives is checked."""

    messages_sent: int = 0
    _count_lock = threading.Lock()

    def send(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        """Deliver ``obj`` to rank ``dst`` living in pack ``dst_pack`` (serialises it)."""
        with self._count_lock:
            self.messages_sent += 1
        self._deliver(dst_pack, dst, src, tag, obj)

    @abstractmethod
    def _deliver(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        """Put one message for rank ``dst`` of pack ``dst_pack`` on the wire."""

    @abstractmethod
    def join(self, start_timeout: float) -> float:
        """Register this pack and block until every pack is placed (the gang-start barrier).
        Returns the estimated clock offset of this host against the driver (seconds, this
        host's clock minus the driver's); raises ``GangStartTimeout`` or ``FlareAborted``."""

    @abstractmethod
    def report_error(self, rank: int, message: str, traceback: str) -> None:
        """Tell the flare that ``rank`` failed, so every other pack aborts at once."""

    @abstractmethod
    def close(self) -> None:
        """Release sockets/connections; idempotent."""


class Rendezvous(ABC):
    """The driver side: gang start, message forwarding and abort fan-out for one flare.

    Every transport keeps the same gang-start state (set by its constructor and service
    thread), so the deadline rule lives here once: ``check_gang_start``.
    """

    packs: int
    start_timeout: float
    secret: bytes  # seals every frame of the flare (``auth``); packs get it with their spec
    all_placed_at: float | None
    _placed: list[Any]
    _aborted: str | None

    @abstractmethod
    def _abort_all(self, reason: str) -> None:
        """Record ``reason`` (first one wins) and send an abort to every placed pack."""

    def check_gang_start(self, deadline: float, on_error: ErrorCallback) -> None:
        """Fail the flare (rank -1) once ``deadline`` passes before every pack is placed."""
        if self.all_placed_at is None and self._aborted is None and time.monotonic() > deadline:
            message = (f"gang start timed out after {self.start_timeout:g} s: "
                       f"{len(self._placed)} of {self.packs} packs placed")
            on_error(-1, message, "")
            self._abort_all(message)

    @property
    @abstractmethod
    def address(self) -> str:
        """Where packs connect (passed to them with their spec)."""

    @abstractmethod
    def start(self, on_error: ErrorCallback) -> None:
        """Begin serving; ``on_error`` is called (from a service thread) on a worker failure
        or when the gang start times out (rank -1)."""

    @abstractmethod
    def abort(self, reason: str) -> None:
        """Tell every placed pack to abort (idempotent)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving; idempotent."""
