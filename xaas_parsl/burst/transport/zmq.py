"""ZeroMQ transport: a ROUTER in the driver, one DEALER per pack, sealed pickled payloads.

Why this shape: packs are placed by an arbitrary executor (Parsl HTEX, a process pool, srun), so
they cannot know each other's addresses in advance; they all know the driver's. The driver's
ROUTER therefore doubles as the rendezvous (gang-start barrier, clock pings, abort fan-out) and
as the switch for inter-pack messages, which it forwards without unpickling. ZeroMQ sockets are
not thread-safe, so each pack has one I/O thread owning its DEALER; worker threads hand it
frames through per-thread inproc PUSH sockets.

Trust: every frame on the TCP socket is sealed with the flare's secret (``auth``): the router
checks the MAC of each frame before routing it (a frame whose MAC fails is dropped and logged),
opens and unpickles only frames addressed to the driver, and forwards the others still sealed;
the destination pack opens them (replay window, addressee) before unpickling. The router binds
the address the packs are told to connect to, not every interface.
"""

from __future__ import annotations

import contextlib
import pickle
import socket
import threading
import time
from collections.abc import Hashable
from typing import Any

import zmq

from xaas_parsl.burst.errors import FlareAborted, GangStartTimeout
from xaas_parsl.burst.timing import clock_offset
from xaas_parsl.burst.transport.auth import Opener, Sealer, new_secret
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


DRIVER = "driver"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def pack_name(pack: int) -> str:
    """The party name of ``pack`` in sealed frames (and, encoded, its routing id)."""
    return f"pack-{pack}"


def pack_identity(pack: int) -> bytes:
    """The DEALER routing id of ``pack`` (the router forwards to it by this name)."""
    return pack_name(pack).encode()


def bind_address(host: str) -> str:
    """The one interface to bind: the address ``host`` (what packs connect to) resolves to,
    loopback for a local flare, never the wildcard."""
    if host in LOOPBACK:
        return "127.0.0.1"
    try:
        return socket.gethostbyname(host)
    except OSError as exc:
        raise ValueError(f"flare host {host!r} does not resolve: {exc}") from None


class ZmqRendezvous(Rendezvous):
    """The driver's ROUTER for one flare of ``packs`` packs, served by one daemon thread.

    ``secret`` (default: a fresh one) seals and checks every frame; packs get it with their
    spec. ``bind`` defaults to the interface ``host`` resolves to (``bind_address``).
    """

    def __init__(self, packs: int, *, host: str = "127.0.0.1", bind: str | None = None,
                 start_timeout: float = 60.0, secret: bytes | None = None) -> None:
        self.packs = packs
        self.start_timeout = start_timeout
        self.secret = secret or new_secret()
        self._sealer = Sealer(self.secret, DRIVER)
        self.opener = Opener(self.secret, DRIVER)
        self._ctx = zmq.Context()
        self._router = _unbounded(self._ctx.socket(zmq.ROUTER))
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._router.setsockopt(zmq.LINGER, 0)
        port = self._router.bind_to_random_port(f"tcp://{bind or bind_address(host)}")
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
        if self._thread is None:  # never started: the sockets bound in __init__ close here
            self._router.close()
            self._ctl.close()
            self._ctx.term()
        elif self._thread is not threading.current_thread():
            self._thread.join(5)

    def _send(self, ident: bytes, *item: object) -> None:
        """Seal ``item`` (pickled) for the pack ``ident`` and send it."""
        frame = self._sealer.seal(ident.decode(), pickle.dumps(item))
        self._forward(ident, frame)

    def _forward(self, ident: bytes, frame: bytes) -> None:
        with contextlib.suppress(zmq.ZMQError):  # the pack is gone: nothing to deliver to
            self._router.send_multipart([ident, frame])

    def _abort_all(self, reason: str) -> None:
        if self._aborted is None:
            self._aborted = reason
        for ident in self._placed:
            self._send(ident, "ABORT", self._aborted)

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
        ident = frames[0]
        origin = ident.decode(errors="replace")
        if len(frames) != 2:
            self.opener.drop(f"{len(frames) - 1} frames, expected one sealed frame", origin)
            return
        checked = self.opener.verify(frames[1], origin)
        if checked is None:
            return
        sender, to, _, _ = checked
        if sender != origin:
            self.opener.drop(f"sealed by {sender!r} but sent by {origin!r}", origin)
            return
        if to != DRIVER:  # a data message: the destination pack opens it
            self._forward(to.encode(), frames[1])
            return
        opened = self.opener.open(frames[1], origin)
        if opened is None:
            return
        kind, *rest = pickle.loads(opened[1])  # authentic: sealed by a pack of this flare
        if kind == "PING":
            received = time.time()
            self._send(ident, "PONG", rest[0], received, time.time())
        elif kind == "HELLO":
            self._placed.append(ident)
            if self._aborted is not None:
                self._send(ident, "ABORT", self._aborted)
            elif len(self._placed) == self.packs:
                self.all_placed_at = time.time()
                for placed in self._placed:
                    self._send(placed, "GO")
        elif kind == "ERR" and self._aborted is None:
            rank, message, traceback = rest
            on_error(rank, message, traceback)
            self._abort_all(message)


class ZmqPackTransport(PackTransport):
    """One pack's DEALER connection to the driver's ROUTER."""

    def __init__(self, address: str, pack: int, mailbox: Mailbox,
                 clock_pings: int = CLOCK_PINGS, *, secret: bytes) -> None:
        self.pack = pack
        self.clock_pings = clock_pings
        self.mailbox = mailbox
        self._sealer = Sealer(secret, pack_name(pack))
        self.opener = Opener(secret, pack_name(pack))
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

    def _seal(self, to: str, *item: object) -> bytes:
        return self._sealer.seal(to, pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))

    def _open(self, frames: list[bytes]) -> tuple[Any, ...] | None:
        """The unpickled item of an authentic frame from the driver or a pack, else None."""
        if len(frames) != 1:
            self.opener.drop(f"{len(frames)} frames, expected one sealed frame", "the router")
            return None
        opened = self.opener.open(frames[0], "the router")
        if opened is None:
            return None
        item: tuple[Any, ...] = pickle.loads(opened[1])
        return item

    def _recv(self, deadline: float) -> tuple[Any, ...]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self._dealer.poll(int(left * 1000) + 1):
                raise TimeoutError
            item = self._open(self._dealer.recv_multipart())
            if item is None:
                continue
            if item[0] == "MSG":  # a pack that got its GO first
                self.mailbox.put(*item[1:])
                continue
            return item

    def join(self, start_timeout: float) -> float:
        deadline = time.monotonic() + start_timeout + START_GRACE_S
        samples: list[tuple[float, float, float, float]] = []
        try:
            for _ in range(self.clock_pings):
                sent = time.time()
                self._dealer.send(self._seal(DRIVER, "PING", sent))
                item = self._recv(deadline)
                back = time.time()
                if item[0] == "PONG":
                    samples.append((sent, item[2], item[3], back))
            self._dealer.send(self._seal(DRIVER, "HELLO"))
            item = self._recv(deadline)
            while item[0] == "PONG":
                item = self._recv(deadline)
        except TimeoutError:
            raise GangStartTimeout(f"pack {self.pack}: not started within {start_timeout:g} s "
                                   "(driver unreachable or other packs not placed)") from None
        if item[0] == "ABORT":
            raise FlareAborted(f"pack {self.pack}: aborted before start: {item[1]}")
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
        frame = self._seal(pack_name(dst_pack), "MSG", dst, src, tag, obj)
        self._push().send_multipart([b"OUT", frame])

    def report_error(self, rank: int, message: str, traceback: str) -> None:
        self._push().send_multipart([b"OUT", self._seal(DRIVER, "ERR", rank, message,
                                                         traceback)])

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
                        self._dealer.send(self._pull.recv_multipart()[1])
                    return
                self._dealer.send(frames[1])
            if self._dealer in events:
                item = self._open(self._dealer.recv_multipart())
                if item is None:
                    continue
                if item[0] == "MSG":
                    self.mailbox.put(*item[1:])
                elif item[0] == "ABORT":
                    self.mailbox.abort(item[1])

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
