"""The context a flare worker receives: its place in the flare and group collectives.

Collectives follow MPI semantics: every rank calls the same collectives in the same order, and
a per-rank sequence number tags each call so consecutive collectives never mix. They are built
on point-to-point messages; a message to a rank in the same pack is an object reference placed
in the shared mailbox in a thread pack (zero-copy: receivers must not mutate what they get), a
pickled message over the pack's pipes in a process pack (``procpack``), and a message to another
pack goes through the transport. Every wait is bounded by the flare's timeout, so a collective
that cannot complete raises ``CollectiveTimeout`` naming the waiting rank instead of hanging.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from xaas_parsl.burst.transport.base import Mailbox
from xaas_parsl.errors import InputError

T = TypeVar("T")

# Delivers one message to a rank of the worker's own pack: (dst, src, tag, obj).
LocalPut = Callable[[int, int, Hashable, Any], None]


class Sender(Protocol):
    """What a worker needs of its pack's transport: sending to a rank of another pack (a
    ``PackTransport`` in thread packs, the pipe to the pack process in process packs)."""

    def send(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None: ...


@dataclass(frozen=True)
class Placement:
    """Where ranks live: ``size`` workers packed ``granularity`` per pack, in rank order."""

    size: int
    granularity: int

    @classmethod
    def of(cls, size: int, granularity: int) -> Placement:
        """The placement of a requested flare: both numbers checked (they come from users),
        the granularity capped at the size (one pack cannot hold more workers than exist)."""
        if size < 1 or granularity < 1:
            raise InputError(f"flare size and granularity must be positive, got {size}, "
                             f"{granularity}")
        return cls(size, min(size, granularity))

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
                 mailbox: Mailbox, transport: Sender, timeout: float,
                 local: LocalPut | None = None) -> None:
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
        # Thread packs: straight into the shared mailbox; process packs: over the pipe.
        self._local: LocalPut = local or mailbox.put
        self._seq = 0

    # -- point to point -------------------------------------------------------------------

    def _put(self, dst: int, tag: Hashable, obj: Any) -> None:
        if not 0 <= dst < self.size:
            raise ValueError(f"rank {self.rank}: destination rank {dst} outside 0..{self.size - 1}")
        pack = self._placement.pack_of(dst)
        if pack == self.group_id:
            self._local(dst, self.rank, tag, obj)
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
    #
    # Rooted collectives are two-level: inside a pack the workers meet at the pack's leader
    # through the mailbox (object references, zero-copy), and only leaders talk over the
    # transport, one message per pack. A pack's leader is the root itself in the root's pack,
    # else the pack's first rank. So gather/reduce/broadcast/scatter cost P - 1 transport
    # messages (P = packs) instead of N - 1, a barrier 2 (P - 1), an all_to_all P (P - 1).

    def _next(self, name: str) -> tuple[tuple[str, int], str]:
        self._seq += 1
        return ("coll", self._seq), f"{name} #{self._seq}"

    def _check_root(self, root: int) -> None:
        if not 0 <= root < self.size:
            raise ValueError(f"rank {self.rank}: root {root} outside 0..{self.size - 1}")

    def _leader(self, pack: int, root: int) -> int:
        """The rank that speaks for ``pack`` in a collective rooted at ``root``."""
        if pack == self._placement.pack_of(root):
            return root
        return self._placement.ranks_of(pack).start

    def _up(self, obj: Any, root: int, name: str, combine: Callable[[list[Any]], Any]
            ) -> list[Any] | None:
        """Fan-in: each leader folds its pack's objects (rank order) with ``combine`` and
        sends the one result to ``root``; returns the per-pack results in pack order at
        ``root``, None elsewhere."""
        self._check_root(root)
        tag, what = self._next(name)
        leader = self._leader(self.group_id, root)
        if self.rank != leader:
            self._put(leader, tag, obj)
            return None
        part = combine([obj if src == self.rank else self._get(src, tag, what)
                        for src in self._placement.ranks_of(self.group_id)])
        if self.rank != root:
            self._put(root, tag, part)  # the pack's one transport message
            return None
        return [part if pack == self.group_id else self._get(self._leader(pack, root), tag, what)
                for pack in range(self._placement.packs)]

    def _down(self, root: int, name: str, block_for: Callable[[int], Any],
              pick: Callable[[Any, int], T]) -> T:
        """Fan-out: ``root`` sends each pack's leader its block (``block_for(pack)``), leaders
        hand each local rank ``pick(block, rank)`` through the mailbox."""
        self._check_root(root)
        tag, what = self._next(name)
        leader = self._leader(self.group_id, root)
        if self.rank == root:
            for pack in range(self._placement.packs):
                if pack != self.group_id:
                    self._put(self._leader(pack, root), tag, block_for(pack))
            block = block_for(self.group_id)
        elif self.rank == leader:
            block = self._get(root, tag, what)
        else:
            value: T = self._get(leader, tag, what)
            return value
        for dst in self._placement.ranks_of(self.group_id):
            if dst != self.rank:
                self._put(dst, tag, pick(block, dst))
        return pick(block, self.rank)

    def gather(self, obj: T, root: int = 0) -> list[T] | None:
        """Every rank's ``obj`` at ``root`` in rank order (None elsewhere)."""
        parts = self._up(obj, root, "gather", lambda values: values)
        return None if parts is None else [value for part in parts for value in part]

    def broadcast(self, obj: T | None = None, root: int = 0) -> T:
        """``root``'s ``obj`` on every rank."""
        value: T = self._down(root, "broadcast", lambda pack: obj, lambda block, rank: block)
        return value

    def scatter(self, items: Sequence[T] | None = None, root: int = 0) -> T:
        """Item ``rank`` of ``root``'s ``items`` (which must have ``size`` entries)."""
        if self.rank == root and (items is None or len(items) != self.size):
            raise ValueError(f"rank {root}: scatter needs {self.size} items")
        ranks = self._placement.ranks_of

        def block_for(pack: int) -> list[T]:
            assert items is not None
            return list(items[ranks(pack).start:ranks(pack).stop])

        value: T = self._down(root, "scatter", block_for,
                              lambda block, rank: block[rank - ranks(self.group_id).start])
        return value

    def barrier(self) -> None:
        """Return only once every rank has entered the barrier."""
        self._up(None, 0, "barrier-in", lambda values: None)
        self._down(0, "barrier-out", lambda pack: None, lambda block, rank: None)

    def reduce(self, obj: T, op: Callable[[T, T], T], root: int = 0) -> T | None:
        """``op`` folded over every rank's ``obj`` at ``root`` (None elsewhere). Each pack folds
        its own values first (rank order), then ``root`` folds the packs' partial results (pack
        order), so ``op`` must be associative (as in MPI); it need not be commutative."""
        parts = self._up(obj, root, "reduce", lambda values: functools.reduce(op, values))
        return None if parts is None else functools.reduce(op, parts)

    def allreduce(self, obj: T, op: Callable[[T, T], T]) -> T:
        """``reduce`` whose result every rank receives."""
        return self.broadcast(self.reduce(obj, op, 0), 0)

    def allgather(self, obj: T) -> list[T]:
        """Every rank's ``obj`` on every rank, in rank order."""
        return self.broadcast(self.gather(obj, 0), 0)

    def all_to_all(self, items: Sequence[T]) -> list[T]:
        """Personalised exchange: rank ``r`` sends ``items[d]`` to ``d`` and returns what each
        rank sent it, in rank order (``items`` must have ``size`` entries).

        Inside a pack items go straight to their destination (references). For other packs,
        each rank hands its whole ``items`` to its pack's first rank, which sends every other
        pack one bundle (the items from all its ranks to all that pack's ranks); the receiving
        leader hands each local rank its column."""
        if len(items) != self.size:
            raise ValueError(f"rank {self.rank}: all_to_all needs {self.size} items")
        tag, what = self._next("all_to_all")
        place = self._placement
        mine = place.ranks_of(self.group_id)
        leader = mine.start
        for dst in mine:
            if dst != self.rank:
                self._put(dst, tag, items[dst])
        if place.packs > 1:
            if self.rank != leader:
                self._put(leader, (tag, "out"), items)
            else:
                rows = [items if src == self.rank else self._get(src, (tag, "out"), what)
                        for src in mine]
                for pack in range(place.packs):
                    if pack != self.group_id:
                        cols = place.ranks_of(pack)
                        self._put(cols.start, (tag, "x"),
                                  [row[cols.start:cols.stop] for row in rows])
                for pack in range(place.packs):
                    if pack == self.group_id:
                        continue
                    bundle = self._get(place.ranks_of(pack).start, (tag, "x"), what)
                    for dst in mine:  # the column of dst: one item from each rank of `pack`
                        self._put(dst, (tag, "in", pack), [row[dst - leader] for row in bundle])
        out: list[T] = []
        for pack in range(place.packs):
            if pack == self.group_id:
                out.extend(items[src] if src == self.rank else self._get(src, tag, what)
                           for src in mine)
            else:
                out.extend(self._get(leader, (tag, "in", pack), what))
        return out
