"""The context a flare worker receives: its place in the flare and group collectives.

Collectives follow MPI semantics: every rank calls the same collectives in the same order, and
a per-rank sequence number tags each call so consecutive collectives never mix. They are built
on point-to-point messages; a message to a rank in the same pack is an object reference placed
in the shared mailbox (zero-copy: receivers must not mutate what they get), a message to another
pack goes through the transport. Every wait is bounded by the flare's timeout, so a collective
that cannot complete raises ``CollectiveTimeout`` naming the waiting rank instead of hanging.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from xaas_parsl.burst.transport.base import Mailbox, PackTransport

T = TypeVar("T")


@dataclass(frozen=True)
class Placement:
    """Where ranks live: ``size`` workers packed ``granularity`` per pack, in rank order."""

    size: int
    granularity: int

    @property
    def packs(self) -> int:
        """Number of packs (the last one may hold fewer workers)."""
        return -(-self.size // self.granularity)

    def pack_of(self, rank: int) -> int:
        """The pack holding ``rank``."""
        return rank // self.granularity

    def ranks_of(self, pack: int) -> range:
        """The ranks held by ``pack``."""
        return range(pack * self.granularity, min((pack + 1) * self.granularity, self.size))


class WorkerContext:
    """One worker's view of its flare: ``rank``/``size``, its pack (``group_id``,
    ``group_size``, ``worker_in_group``), ``flare_id``, and the collectives."""

    def __init__(self, *, rank: int, placement: Placement, pack: int, flare_id: str,
                 mailbox: Mailbox, transport: PackTransport, timeout: float) -> None:
        self.rank = rank
        self.size = placement.size
        self.group_id = pack
        self.group_size = len(placement.ranks_of(pack))
        self.worker_in_group = rank - placement.ranks_of(pack).start
        self.flare_id = flare_id
        self.timeout = timeout
        self._placement = placement
        self._mailbox = mailbox
        self._transport = transport
        self._seq = 0

    # -- point to point -------------------------------------------------------------------

    def _put(self, dst: int, tag: Hashable, obj: Any) -> None:
        if not 0 <= dst < self.size:
            raise ValueError(f"rank {self.rank}: destination rank {dst} outside 0..{self.size - 1}")
        pack = self._placement.pack_of(dst)
        if pack == self.group_id:
            self._mailbox.put(dst, self.rank, tag, obj)
        else:
            self._transport.send(pack, dst, self.rank, tag, obj)

    def _get(self, src: int, tag: Hashable, what: str, timeout: float | None = None) -> Any:
        return self._mailbox.get(self.rank, src, tag, timeout or self.timeout, what)

    def send(self, obj: Any, dst: int, tag: int = 0) -> None:
        """Send ``obj`` to rank ``dst`` (non-blocking; messages with one tag stay ordered)."""
        self._put(dst, ("p2p", tag), obj)

    def recv(self, src: int, tag: int = 0, timeout: float | None = None) -> Any:
        """Receive the next object sent by ``src`` with ``tag``."""
        return self._get(src, ("p2p", tag), f"recv(src={src}, tag={tag})", timeout)

    # -- collectives ----------------------------------------------------------------------

    def _next(self, name: str) -> tuple[tuple[str, int], str]:
        self._seq += 1
        return ("coll", self._seq), f"{name} #{self._seq}"

    def _check_root(self, root: int) -> None:
        if not 0 <= root < self.size:
            raise ValueError(f"rank {self.rank}: root {root} outside 0..{self.size - 1}")

    def gather(self, obj: T, root: int = 0) -> list[T] | None:
        """Every rank's ``obj`` at ``root`` in rank order (None elsewhere)."""
        self._check_root(root)
        tag, what = self._next("gather")
        if self.rank != root:
            self._put(root, tag, obj)
            return None
        return [obj if src == root else self._get(src, tag, what) for src in range(self.size)]

    def broadcast(self, obj: T | None = None, root: int = 0) -> T:
        """``root``'s ``obj`` on every rank."""
        self._check_root(root)
        tag, what = self._next("broadcast")
        if self.rank == root:
            for dst in range(self.size):
                if dst != root:
                    self._put(dst, tag, obj)
            return obj  # type: ignore[return-value]
        value: T = self._get(root, tag, what)
        return value

    def scatter(self, items: Sequence[T] | None = None, root: int = 0) -> T:
        """Item ``rank`` of ``root``'s ``items`` (which must have ``size`` entries)."""
        self._check_root(root)
        tag, what = self._next("scatter")
        if self.rank == root:
            if items is None or len(items) != self.size:
                raise ValueError(f"rank {root}: scatter needs {self.size} items")
            for dst in range(self.size):
                if dst != root:
                    self._put(dst, tag, items[dst])
            return items[root]
        value: T = self._get(root, tag, what)
        return value

    def barrier(self) -> None:
        """Return only once every rank has entered the barrier."""
        self.gather(None, 0)
        self.broadcast(None, 0)

    def reduce(self, obj: T, op: Callable[[T, T], T], root: int = 0) -> T | None:
        """``op`` folded over every rank's ``obj`` in rank order, at ``root`` (None elsewhere)."""
        values = self.gather(obj, root)
        return None if values is None else functools.reduce(op, values)

    def allreduce(self, obj: T, op: Callable[[T, T], T]) -> T:
        """``reduce`` whose result every rank receives."""
        return self.broadcast(self.reduce(obj, op, 0), 0)

    def allgather(self, obj: T) -> list[T]:
        """Every rank's ``obj`` on every rank, in rank order."""
        return self.broadcast(self.gather(obj, 0), 0)

    def all_to_all(self, items: Sequence[T]) -> list[T]:
        """Personalised exchange: rank ``r`` sends ``items[d]`` to ``d`` and returns what each
        rank sent it, in rank order (``items`` must have ``size`` entries)."""
        if len(items) != self.size:
            raise ValueError(f"rank {self.rank}: all_to_all needs {self.size} items")
        tag, what = self._next("all_to_all")
        for dst in range(self.size):
            if dst != self.rank:
                self._put(dst, tag, items[dst])
        return [items[src] if src == self.rank else self._get(src, tag, what)
                for src in range(self.size)]
