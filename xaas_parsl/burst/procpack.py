"""Process packs: a pack's ``g`` workers run as ``g`` forked processes, so CPU-bound Python
workers of one pack run in parallel instead of taking turns under one GIL.

Shape. The pack process forks its workers once, *before* it joins the flare, so no transport
socket, context or I/O thread is inherited by a worker. It keeps one duplex pipe per worker
(a star, not a pipe per pair: 2g descriptors instead of g², and no lock shared between worker
processes, so a worker killed in the middle of a send cannot wedge its siblings, as it could with
a ``multiprocessing.Queue``'s shared lock). A worker sends every message to the pack process,
framed ``M`` + destination rank + pickle; the pack process forwards a message for a rank of its
own pack as the same bytes to that worker's pipe (never unpickled on the way) and puts a message
for another pack on the flare's transport as a thread pack does. Messages from other packs arrive
through the transport into a ``_Router`` (a ``Mailbox`` whose ``put`` writes to the destination
worker's pipe), so the ZeroMQ and Redis transports are unchanged. Inside each worker a reader
thread drains its pipe into an ordinary per-process ``Mailbox``, so the collectives of
``WorkerContext`` are the same code for both kinds of pack.

Faults. The pack process watches every worker's sentinel: a worker that exits without sending its
result (SIGKILL, ``os._exit``, a crash) fails the flare with its rank and how it died. On an abort
(another rank failed, a timeout, ``cancel()``) every worker gets ``A`` at once, so those waiting in
a collective raise ``FlareAborted``; those still computing are killed after ``ABORT_GRACE_S``
(unlike threads, processes can be stopped). A worker whose pipe reaches end-of-file (the pack
process died) exits at once, so no worker outlives its pack.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable, Hashable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from xaas_parsl.burst.context import WorkerContext
from xaas_parsl.burst.errors import FlareAborted
from xaas_parsl.burst.transport.base import Mailbox, PackTransport

# Seconds an aborted worker may keep computing before its pack process kills it.
ABORT_GRACE_S = 1.0
_DST = struct.Struct(">i")
_PROTO = pickle.HIGHEST_PROTOCOL


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (what a failing rank reports)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe_exit(code: int | None) -> str:
    """How a worker process ended, for the flare's error line."""
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


# -- the worker process ---------------------------------------------------------------------


class _Link:
    """A worker's end of its pipe: every message it sends goes to the pack process, which
    routes it by the destination rank in the frame (inside the pack or onto the transport)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()  # user code may call collectives from several threads

    def frame(self, data: bytes) -> None:
        with self._lock:
            try:
                self._conn.send_bytes(data)
            except OSError:  # the pack process is gone: as in _drain, end without a word
                os._exit(70)

    def put(self, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        self.frame(b"M" + _DST.pack(dst) + pickle.dumps((dst, src, tag, obj), protocol=_PROTO))

    def send(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        self.put(dst, src, tag, obj)


def _drain(conn: Connection, mailbox: Mailbox, go: threading.Event) -> None:
    """The worker's reader thread: pipe → mailbox; end-of-file means the pack process is gone,
    and a worker must not outlive it."""
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(70)
        kind = data[:1]
        if kind == b"M":
            dst, src, tag, obj = pickle.loads(data[1 + _DST.size:])
            mailbox.put(dst, src, tag, obj)
        elif kind == b"A":
            mailbox.abort(data[1:].decode())
            go.set()
        elif kind == b"G":
            go.set()


def _worker(spec: Any, rank: int, conn: Connection, inherited: list[Connection],
            fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Body of one worker process: wait for the gang start, run ``fn``, send back ``R``."""
    for other in inherited:  # so the pack's death reaches this worker as end-of-file
        other.close()
    mailbox = Mailbox()
    go = threading.Event()
    threading.Thread(target=_drain, args=(conn, mailbox, go), daemon=True,
                     name="burst-pipe").start()
    go.wait()
    if mailbox.aborted is not None:
        return
    link = _Link(conn)
    start = time.time()
    status: str
    payload: Any
    try:
        ctx = WorkerContext(rank=rank, placement=spec.placement, pack=spec.pack,
                            flare_id=spec.flare_id, mailbox=mailbox, transport=link,
                            timeout=spec.timeout, local=link.put)
        status, payload = "ok", fn(ctx, *args, **kwargs)
    except FlareAborted:
        status, payload = "aborted", None
    except BaseException as exc:
        status, payload = "error", (f"rank {rank} failed: {one_line(exc)}",
                                    traceback.format_exc())
    end = time.time()
    try:
        data = pickle.dumps((status, payload, start, end), protocol=_PROTO)
    except Exception as exc:  # an unpicklable return value fails this rank, not the pack
        data = pickle.dumps(("error", (f"rank {rank} failed: its result cannot be pickled: "
                                       f"{one_line(exc)}", ""), start, end))
    link.frame(b"R" + data)


# -- the pack process -----------------------------------------------------------------------


class _Router(Mailbox):
    """The pack process's mailbox: what the transport delivers goes down the destination
    worker's pipe; an abort goes down every pipe."""

    def __init__(self, conns: dict[int, Connection]) -> None:
        super().__init__()
        self.conns = conns
        self._locks = {rank: threading.Lock() for rank in conns}

    def frame(self, rank: int, data: bytes) -> None:
        with self._locks[rank], contextlib.suppress(OSError):  # the worker is gone
            self.conns[rank].send_bytes(data)

    def put(self, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        if dst in self.conns:
            self.frame(dst, b"M" + _DST.pack(dst) + pickle.dumps((dst, src, tag, obj),
                                                                  protocol=_PROTO))

    def abort(self, reason: str) -> None:
        first = self.aborted is None
        super().abort(reason)
        if first:
            for rank in self.conns:
                self.frame(rank, b"A" + reason.encode())


class ProcessPack:
    """The ``g`` worker processes of one pack and the pack-side routing between them."""

    def __init__(self, spec: Any, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.spec = spec
        self.ranks = spec.placement.ranks_of(spec.pack)
        ctx = multiprocessing.get_context("fork")  # fn need not be importable (Parsl, closures)
        pipes = {rank: ctx.Pipe(duplex=True) for rank in self.ranks}
        every = [end for pair in pipes.values() for end in pair]
        self.procs: dict[int, BaseProcess] = {}
        try:
            for rank, (_, child) in pipes.items():
                proc = ctx.Process(
                    target=_worker, name=f"burst-rank-{rank}",
                    args=(spec, rank, child, [c for c in every if c is not child], fn, args,
                          kwargs))
                proc.start()
                self.procs[rank] = proc
        except BaseException:
            self.kill()
            raise
        finally:
            for _, child in pipes.values():
                child.close()
        self.router = _Router({rank: pair[0] for rank, pair in pipes.items()})

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (rank order)."""
        return [proc.pid or 0 for proc in self.procs.values()]

    def kill(self) -> None:
        """SIGKILL every worker still running and reap them all."""
        for proc in self.procs.values():
            if proc.exitcode is None:
                with contextlib.suppress(OSError):
                    proc.kill()
        for proc in self.procs.values():
            proc.join()

    def close(self) -> None:
        """Kill what is left, reap, close the pipes (idempotent)."""
        self.kill()
        for conn in self.router.conns.values():
            conn.close()

    def go(self) -> None:
        """The gang start: every worker stamps its start and calls ``fn``."""
        for rank in self.ranks:
            self.router.frame(rank, b"G")

    def serve(self, transport: PackTransport, out: Any) -> None:
        """Route messages and collect results into ``out`` (a ``PackResult``) until every
        worker has exited; report the first failure through ``transport``."""
        conns = {conn: rank for rank, conn in self.router.conns.items()}
        sentinels = {proc.sentinel: rank for rank, proc in self.procs.items()}
        done: set[int] = set()
        aborted_at: float | None = None

        def fail(rank: int, message: str, trace: str) -> None:
            if out.error is None:
                out.error = (rank, message, trace)
            transport.report_error(rank, message, trace)
            self.router.abort(message)

        def handle(rank: int, data: bytes) -> None:
            kind = data[:1]
            if kind == b"M":
                (dst,) = _DST.unpack_from(data, 1)
                if dst in self.router.conns:
                    self.router.frame(dst, data)  # same bytes: never unpickled here
                else:
                    _, src, tag, obj = pickle.loads(data[1 + _DST.size:])
                    transport.send(self.spec.placement.pack_of(dst), dst, src, tag, obj)
            elif kind == b"R":
                status, payload, start, end = pickle.loads(data[1:])
                done.add(rank)
                out.starts[rank], out.ends[rank] = start, end
                if status == "ok":
                    out.results[rank] = payload
                elif status == "error":
                    fail(rank, *payload)

        def read(conn: Connection) -> bool:
            try:
                handle(conns[conn], conn.recv_bytes())
                return True
            except (EOFError, OSError):
                del conns[conn]
                return False

        while sentinels:
            for ready in wait([*conns, *sentinels], timeout=0.2):
                if isinstance(ready, Connection):
                    if ready in conns:
                        read(ready)
                    continue
                assert isinstance(ready, int)
                rank = sentinels.pop(ready)
                conn = self.router.conns[rank]
                while conn in conns and conn.poll() and read(conn):
                    pass  # what it sent before exiting, its result included
                self.procs[rank].join()
                if rank not in done:
                    how = describe_exit(self.procs[rank].exitcode)
                    if self.router.aborted is None:
                        fail(rank, f"rank {rank} failed: worker process died ({how}) on "
                                   f"{socket.gethostname()}", "")
            if self.router.aborted is not None:
                aborted_at = aborted_at or time.monotonic()
                if time.monotonic() - aborted_at > ABORT_GRACE_S:
                    self.kill()  # still computing after the abort: processes can be stopped
