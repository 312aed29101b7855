"""Redis transport: one list per pack as its inbox, one list as the driver's, pickled items.

Why Redis as the second transport: packs on hosts that cannot open a socket back to the driver
(firewalled login nodes, cloud functions) can all reach a shared Redis server. Every party only
ever *pushes* to someone else's list and *blocks popping* its own, so no connection between
packs or back to the driver is needed. The driver's service thread does what the ZeroMQ router
does: counts HELLOs for the gang start, fans out GO and ABORT. Data messages go straight from
the sending worker thread to the destination pack's list (the client's connection pool is
thread-safe), so the driver is not on the data path.

Clocks: a pack on another host estimates its offset against the Redis server's ``TIME``
(round trips, minimum RTT); the driver does the same at start and sends its own offset with GO;
the difference is the pack's offset against the driver.

Keys live under ``xaas-burst:<flare id>:`` and are deleted when the flare ends. The ``redis``
client is imported only when this transport is used (``ToolError`` if it is missing).

Trust: anyone who can reach the Redis server can push to these lists, so every item is sealed
with the flare's secret (``auth``) and opened (MAC, addressee, replay window) before it is
unpickled; anything else is dropped and logged.
"""

from __future__ import annotations

import contextlib
import pickle
import threading
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from xaas_parsl.burst.errors import FlareAborted, GangStartTimeout
from xaas_parsl.burst.timing import clock_offset
from xaas_parsl.burst.transport.auth import Opener, Sealer, new_secret
from xaas_parsl.burst.transport.base import ErrorCallback, Mailbox, PackTransport, Rendezvous
from xaas_parsl.errors import ToolError

if TYPE_CHECKING:
    from redis import Redis

CLOCK_PINGS = 5
START_GRACE_S = 2.0  # as for ZeroMQ: the driver decides the gang-start timeout
POLL_S = 0.1  # how long a blocking pop waits before the loop looks at its stop flag


def _client(url: str) -> Redis:
    try:
        import redis
    except ImportError:
        raise ToolError("the Redis transport needs the redis Python client "
                        "(pip install redis)") from None
    client: Redis = redis.Redis.from_url(url)
    return client


def split_address(address: str) -> tuple[str, str]:
    """``redis://host:port/db#<flare id>`` → (server URL, key prefix of the flare)."""
    url, _, flare_id = address.partition("#")
    if not flare_id:
        raise ValueError(f"Redis flare address {address!r} lacks its #<flare id>")
    return url, f"xaas-burst:{flare_id}:"


DRIVER = "driver"


def pack_name(pack: int) -> str:
    """A pack's party name in sealed items (its list is ``pack:<n>``)."""
    return f"pack-{pack}"


def _pop(client: Redis, key: str, timeout: float, opener: Opener) -> tuple[Any, ...] | None:
    """Blocking pop of one sealed item from ``key``: the unpickled item when it is authentic
    and fresh, None after ``timeout`` s or when it was dropped."""
    popped = client.blpop([key], timeout=timeout)
    if popped is None:
        return None
    data = popped[1]
    opened = opener.open(data.encode() if isinstance(data, str) else data, f"list {key}")
    if opened is None:
        return None
    item: tuple[Any, ...] = pickle.loads(opened[1])  # authentic: sealed by this flare
    return item


def _server_offset(client: Redis, pings: int) -> float:
    """This host's clock minus the Redis server's, from ``TIME`` round trips."""
    samples = []
    for _ in range(pings):
        sent = time.time()
        seconds, micros = client.time()
        back = time.time()
        server = seconds + micros / 1e6
        samples.append((sent, server, server, back))
    return clock_offset(samples)


class RedisRendezvous(Rendezvous):
    """The driver's side: a service thread popping the driver list."""

    def __init__(self, url: str, flare_id: str, packs: int, *,
                 start_timeout: float = 60.0, secret: bytes | None = None) -> None:
        self.packs = packs
        self.secret = secret or new_secret()
        self._sealer = Sealer(self.secret, DRIVER)
        self.opener = Opener(self.secret, DRIVER)
        self.start_timeout = start_timeout
        self._url = url
        self._address = f"{url}#{flare_id}"
        self._prefix = split_address(self._address)[1]
        self._redis = _client(url)
        self._redis.ping()  # fail at launch, in the caller, if the server is unreachable
        self._placed: list[int] = []
        self._aborted: str | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._lock = threading.Lock()
        self.all_placed_at: float | None = None
        self.offset = _server_offset(self._redis, CLOCK_PINGS)

    @property
    def address(self) -> str:
        return self._address

    def _key(self, name: str) -> str:
        return self._prefix + name

    def _seal(self, key: str, *item: Any) -> bytes:
        to = DRIVER if key == "driver" else pack_name(int(key.removeprefix("pack:")))
        return self._sealer.seal(to, pickle.dumps(item))

    def _push(self, key: str, *item: Any) -> None:
        self._redis.rpush(self._key(key), self._seal(key, *item))

    def start(self, on_error: ErrorCallback) -> None:
        self._thread = threading.Thread(target=self._serve, args=(on_error,), daemon=True,
                                        name="burst-redis-rendezvous")
        self._thread.start()

    def abort(self, reason: str) -> None:
        with self._lock:
            if not self._stopped:
                self._push("driver", "ABORT", reason)

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._push("driver", "STOP")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
            # Only now: closing disconnects every pooled connection, also one still reading
            # the reply to the STOP push above.
            self._redis.close()

    def _abort_all(self, reason: str) -> None:
        if self._aborted is None:
            self._aborted = reason
        for pack in self._placed:
            self._push(f"pack:{pack}", "ABORT", self._aborted)

    def _serve(self, on_error: ErrorCallback) -> None:
        deadline = time.monotonic() + self.start_timeout
        try:
            while True:
                item = _pop(self._redis, self._key("driver"), POLL_S, self.opener)
                if item is not None:
                    kind, *rest = item
                    if kind == "STOP":
                        return
                    self._handle(kind, rest, on_error)
                self.check_gang_start(deadline, on_error)
        finally:
            keys = [self._key("driver")] + [self._key(f"pack:{p}") for p in range(self.packs)]
            with contextlib.suppress(Exception):  # the server may be gone already
                self._redis.delete(*keys)

    def _handle(self, kind: str, rest: list[Any], on_error: ErrorCallback) -> None:
        if kind == "ABORT":
            self._abort_all(rest[0])
        elif kind == "HELLO":
            self._placed.append(rest[0])
            if self._aborted is not None:
                self._push(f"pack:{rest[0]}", "ABORT", self._aborted)
            elif len(self._placed) == self.packs:
                self.all_placed_at = time.time()
                with self._redis.pipeline(transaction=False) as pipe:
                    for pack in self._placed:
                        key = f"pack:{pack}"
                        pipe.rpush(self._key(key), self._seal(key, "GO", self.offset))
                    pipe.execute()
        elif kind == "ERR" and self._aborted is None:
            rank, message, traceback = rest
            on_error(rank, message, traceback)
            self._abort_all(message)


class RedisPackTransport(PackTransport):
    """One pack's inbox list and its reader thread."""

    def __init__(self, address: str, pack: int, mailbox: Mailbox,
                 clock_pings: int = CLOCK_PINGS, *, secret: bytes) -> None:
        url, self._prefix = split_address(address)
        self.pack = pack
        self._sealer = Sealer(secret, pack_name(pack))
        self.opener = Opener(secret, pack_name(pack))
        self.mailbox = mailbox
        self.clock_pings = clock_pings
        self._redis = _client(url)
        self._inbox = f"{self._prefix}pack:{pack}"
        self._io: threading.Thread | None = None
        self._closed = False

    def _handle(self, item: tuple[Any, ...]) -> None:
        if item[0] == "MSG":
            _, dst, src, tag, obj = item
            self.mailbox.put(dst, src, tag, obj)
        elif item[0] == "ABORT":
            self.mailbox.abort(item[1])

    def join(self, start_timeout: float) -> float:
        own = _server_offset(self._redis, self.clock_pings) if self.clock_pings else None
        self._redis.rpush(f"{self._prefix}driver", self._seal(DRIVER, "HELLO", self.pack))
        deadline = time.monotonic() + start_timeout + START_GRACE_S
        while True:
            left = deadline - time.monotonic()
            item = _pop(self._redis, self._inbox, min(max(left, 0.01), 1.0), self.opener)
            if item is None:
                if left <= 0:
                    raise GangStartTimeout(
                        f"pack {self.pack}: not started within {start_timeout:g} s "
                        "(Redis unreachable or other packs not placed)")
                continue
            if item[0] == "GO":
                break
            if item[0] == "ABORT":
                raise FlareAborted(f"pack {self.pack}: aborted before start: {item[1]}")
            self._handle(item)  # a message from a pack that got its GO first
        self._io = threading.Thread(target=self._serve, daemon=True, name="burst-redis-io")
        self._io.start()
        driver_offset: float = item[1]
        return 0.0 if own is None else own - driver_offset

    def _seal(self, to: str, *item: Any) -> bytes:
        return self._sealer.seal(to, pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))

    def _deliver(self, dst_pack: int, dst: int, src: int, tag: Hashable, obj: Any) -> None:
        payload = self._seal(pack_name(dst_pack), "MSG", dst, src, tag, obj)
        self._redis.rpush(f"{self._prefix}pack:{dst_pack}", payload)

    def report_error(self, rank: int, message: str, traceback: str) -> None:
        self._redis.rpush(f"{self._prefix}driver",
                          self._seal(DRIVER, "ERR", rank, message, traceback))

    def _serve(self) -> None:
        while True:
            item = _pop(self._redis, self._inbox, 1.0, self.opener)
            if item is None:
                continue
            if item[0] == "STOP":
                return
            self._handle(item)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            if self._io is not None:
                self._redis.rpush(self._inbox, self._seal(pack_name(self.pack), "STOP"))
                self._io.join(10)
            self._redis.delete(self._inbox)
        self._redis.close()
