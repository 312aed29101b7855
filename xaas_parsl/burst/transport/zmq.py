"""ZeroMQ transport: a ROUTER in the driver, one DEALER per pack, pickled payloads.

Why this shape: packs are placed by an arbitrary executor (Parsl HTEX, a process pool, srun), so
they cannot know each other's addresses in advance; they all know the driver's. The driver's
ROUTER therefore doubles as the rendezvous (gang-start barrier, clock pings, abort fan-out) and
as the switch for inter-pack messages, which it forwards without unpickling. ZeroMQ sockets are
not thread-safe, so each pack has one I/O thread owning its DEALER; worker threads hand it
frames through per-thread inproc PUSH sockets.
"""

from __future__ import annotations

import contextlib
import pickle
import threading
import time
from collections.abc import Hashable
from typing import Any

import zmq

from xaas_parsl.burst.errors import FlareAborted, GangStartTimeout
from xaas_parsl.burst.timing import clock_offset
from xaas_parsl.burst.transport.base import ErrorCallback, Mailbox, PackTransport, Rendezvous

CLOCK_PINGS = 5
# Packs wait this much longer than the driver for the gang start: the driver decides, and its
# abort says how many packs were placed, which the pack's own timeout could not.
START_GRACE_S = 2.0


def _unbounded(sock: zmq.Socket[bytes]) -> zmq.Socket[bytes]:
    """No high-water mark: a ROUTER drops (or raises on) messages past it, and a burst of
    collective messages easily exceeds the default 1000 per peer."""
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    return sock


def pack_identity(pack: int) -> bytes:
    """The DEALER routing id of ``pack`` (the router forwards to it by this name)."""
    return b"pack-%d" % pack


class ZmqRendezvous(Rendezvous):
    """The driver's ROUTER for one flare of ``packs`` packs, served by one daemon thread."""

    def __init__(self, packs: int, *, host: str = "127.0.0.1", bind: str = "127.0.0.1",
                 start_timeout: float = 60.0) -> None:
        self.packs = packs
        self.start_timeout = start_timeout
        self._ctx = zmq.Context()
        self._router = _unbounded(self._ctx.socket(zmq.ROUTER))
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._router.setsockopt(zmq.LINGER, 0)
        port = self._router.bind_to_random_port(f"tcp://{bind}")
        self._address = f"tcp://{host}:{port}"
        self._ctl_url = f"inproc://burst-ctl-{id(self)}"
        self._ctl = self._ctx.socket(zmq.PAIR)
        self._ctl.bind(self._ctl_url)
        self._ctl_out = self._ctx.socket(zmq.PAIR)
        self._ctl_out.connect(self._ctl_url)
        self._ctl_lock = threading.Lock()
        self._placed: list[bytes] = []
        self._aborted: str | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.all_placed_at: float | None = None

    @property
    def address(self) -> str:
        return self._address

    def start(self, on_error: ErrorCallback) -> None:
        self._thread = threading.Thread(target=self._serve, args=(on_error,), daemon=True,
                                        name="burst-router")
        self._thread.start()

    def _control(self, *frames: bytes) -> None:
        with self._ctl_lock:
            if not self._stopped:
                self._ctl_out.send_multipart(list(frames))

    def abort(self, reason: str) -> None:
        self._control(b"ABORT", reason.encode())

    def stop(self) -> None:
        with self._ctl_lock:
            if self._stopped:
                return
            self._ctl_out.send_multipart([b"STOP"])
            self._stopped = True
            self._ctl_out.close()  # before joining: the thread's ctx.term() waits for it
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _send(self, ident: bytes, *frames: bytes) -> None:
        with contextlib.suppress(zmq.ZMQError):  # the pack is gone: nothing to deliver to
            self._router.send_multipart([ident, *frames])

    def _abort_all(self, reason: str) -> None:
        if self._aborted is None:
            self._aborted = reason
        for ident in self._placed:
            self._send(ident, b"ABORT", self._aborted.encode())

    def _serve(self, on_error: ErrorCallback) -> None:
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._ctl, zmq.POLLIN)
        deadline = time.monotonic() + self.start_timeout
        try:
            while True:
                events = dict(poller.poll(100))
                if self._ctl in events:
                    frames = self._ctl.recv_multipart()
                    if frames[0] == b"STOP":
                        return
                    self._abort_all(frames[1].decode())
                if self._router in events:
                    self._handle(self._router.recv_multipart(), on_error)
                self.check_gang_start(deadline, on_error)
        finally:
            self._router.close()
            self._ctl.close()
            self._ctx.term()

    def _handle(self, frames: list[bytes], on_error: ErrorCallback) -> None:
        ident, kind = frames[0], frames[1]
        if kind == b"MSG":
            self._send(frames[2], b"MSG", frames[3])
        elif kind == b"PING":
            received = time.time()
            self._send(ident, b"PONG", pickle.dumps((frames[2], received, time.time())))
        elif kind == b"HELLO":
            self._placed.append(ident)
            if self._aborted is not None:
                self._send(ident, b"ABORT", self._aborted.encode())
            elif len(self._placed) == self.packs:
                self.all_placed_at = time.time()
                for placed in self._placed:
                    self._send(placed, b"GO")
        elif kind == b"ERR" and self._aborted is None:
            rank, message, traceback = pickle.loads(frames[2])
            on_error(rank, message, traceback)
            self._abort_all(message)


class ZmqPackTransport(PackTransport):
    """One pack's DEALER connection to the driver's ROUTER."""

    def __init__(self, address: str, pack: int, mailbox: Mailbox,
                 clock_pings: int = CLOCK_PINGS) -> None:
        self.pack = pack
        self.clock_pings = clock_pings
        self.mailbox = mailbox
        self._ctx = zmq.Context()
        self._dealer = _unbounded(self._ctx.socket(zmq.DEALER))
        self._dealer.setsockopt(zmq.IDENTITY, pack_identity(pack))
        self._dealer.setsockopt(zmq.LINGER, 2000)
        self._dealer.connect(address)
        self._out_url = f"inproc://burst-out-{id(self)}"
        self._pull = _unbounded(self._ctx.socket(zmq.PULL))
        self._pull.bind(self._out_url)
        self._local = threading.local()
        self._pushes: list[zmq.Socket[bytes]] = []
        self._push_lock = threading.Lock()
        self._io: threading.Thread | None = None
        self._closed = False

    def _recv(self, deadline: float) -> list[bytes]:
        left = deadline - time.monotonic()
        if left <= 0 or not self._dealer.poll(int(left * 1000) + 1):
            raise TimeoutError
        frames: list[bytes] = self._dealer.recv_multipart()
        return frames

    def join(self, start_timeout: float) -> float:
        deadline = time.monotonic() + start_timeout + START_GRACE_S
        samples: list[tuple[float, float, float, float]] = []
        try:
            for _ in range(self.clock_pings):
                sent = time.time()
                self._dealer.send_multipart([b"PING", b"%r" % sent])
                frames = self._recv(deadline)
                back = time.time()
                if frames[0] == b"PONG":
                    _, server_recv, server_send = pickle.loads(frames[1])
                    samples.append((sent, server_recv, server_send, back))
            self._dealer.send_multipart([b"HELLO"])
            frames = self._recv(deadline)
            while frames[0] == b"PONG":
                frames = self._recv(deadline)
        except TimeoutError:
            raise GangStartTimeout(f"pack {self.pack}: not started within {start_timeout:g} s "
                                   "(driver unreachable or other packs not placed)") from None
        if frames[0] == b"ABORT":
            raise FlareAborted(f"pack {self.pack}: aborted before start: {frames[1].decode()}")
        self._io = threading.Thread(target=self._serve, daemon=True, name="burst-io")
        self._io.start()
        return clock_offset(samples)

    def _push(self) -> zmq.Socket[bytes]:
        sock: zmq.Socket[bytes] | None = getattr(self._local, "push", None)
        if sock is None:
            sock = _unbounded(self._ctx.socket(zmq.PUSH))
            sock.connect(self._out_url)
            self._local.push = sock
            with self._push_lock:
                self._pushes.append(sock)
        return sock

    def _deliver(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        payload = pickle.dumps((dst, src, tag, obj), protocol=pickle.HIGHEST_PROTOCOL)
        self._push().send_multipart([b"MSG", pack_identity(dst_pack), payload])

    def report_error(self, rank: int, message: str, traceback: str) -> None:
        self._push().send_multipart([b"ERR", pickle.dumps((rank, message, traceback))])

    def _serve(self) -> None:
        poller = zmq.Poller()
        poller.register(self._dealer, zmq.POLLIN)
        poller.register(self._pull, zmq.POLLIN)
        while True:
            events = dict(poller.poll())
            if self._pull in events:
                frames = self._pull.recv_multipart()
                if frames[0] == b"STOP":
                    while self._pull.poll(0):  # flush what workers sent before finishing
                        self._dealer.send_multipart(self._pull.recv_multipart())
                    return
                self._dealer.send_multipart(frames)
            if self._dealer in events:
                frames = self._dealer.recv_multipart()
                if frames[0] == b"MSG":
                    dst, src, tag, obj = pickle.loads(frames[1])
                    self.mailbox.put(dst, src, tag, obj)
                elif frames[0] == b"ABORT":
                    self.mailbox.abort(frames[1].decode())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._io is not None:
            self._push().send_multipart([b"STOP"])
            self._io.join(10)
        with self._push_lock:
            for sock in self._pushes:
                sock.close(linger=0)
        self._pull.close(linger=0)
        self._dealer.close()
        self._ctx.term()
