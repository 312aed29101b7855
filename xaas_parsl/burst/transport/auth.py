"""Authenticated frames: nothing from the network is unpickled before its HMAC is checked.

A flare's transports carry pickled objects, and unpickling runs code, so a frame from anyone
but the flare's own driver and packs must never reach ``pickle.loads``. Every frame is sealed
with a per-flare secret (32 random bytes made by the driver, handed to the packs with their
spec, i.e. through the executor's own channel, never on a command line):

    frame = HMAC-SHA256(secret, header + body) || header || body
    header = seq (8 bytes, big endian) || len(sender) || sender || len(to) || to

``sender``/``to`` are party names (``driver``, ``pack-3``), so a frame cannot be re-addressed
to another pack; ``seq`` counts per sender, and the receiver keeps a window of the sequence
numbers it has accepted from each sender, so a captured frame played again is refused (frames
of one sender may arrive slightly out of order: worker threads seal concurrently). A refused
frame is dropped and logged (logger ``xaas_parsl.burst.transport``); the flare goes on.
Verification uses ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import os
import secrets
import struct
import threading

SECRET_BYTES = 32
TAG_BYTES = 32
#: How far behind the newest sequence number of a sender a frame may arrive.
WINDOW = 1 << 16
#: Environment variable carrying the secret (hex) to packs started by a launcher (srun).
SECRET_ENV = "XAAS_BURST_SECRET"

log = logging.getLogger("xaas_parsl.burst.transport")


def new_secret() -> bytes:
    """A fresh per-flare secret."""
    return secrets.token_bytes(SECRET_BYTES)


def secret_from_env(environ: dict[str, str] | None = None) -> bytes:
    """The secret a launcher passed in ``$XAAS_BURST_SECRET`` (hex)."""
    text = (environ if environ is not None else dict(os.environ)).get(SECRET_ENV, "")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"${SECRET_ENV} must hold the flare's {SECRET_BYTES}-byte secret "
                         "as hex")
    return secret


def _name(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise ValueError(f"party name {text!r} is too long")
    return bytes([len(raw)]) + raw


class Sealer:
    """Seals the frames one party sends (thread-safe: worker threads share it)."""

    def __init__(self, secret: bytes, sender: str) -> None:
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"a flare secret has {SECRET_BYTES} bytes")
        self._secret = secret
        self._sender = _name(sender)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def seal(self, to: str, body: bytes) -> bytes:
        """The frame carrying ``body`` to party ``to``."""
        with self._lock:
            seq = next(self._seq)
        header = struct.pack("!Q", seq) + self._sender + _name(to)
        tag = hmac.new(self._secret, header + body, hashlib.sha256).digest()
        return tag + header + body


class Opener:
    """Checks frames addressed to one party; keeps the replay windows of its senders."""

    def __init__(self, secret: bytes, me: str) -> None:
        self._secret = secret
        self.me = me
        self.dropped = 0
        self._seen: dict[str, tuple[int, set[int]]] = {}
        self._lock = threading.Lock()

    def drop(self, why: str, origin: str) -> None:
        with self._lock:
            self.dropped += 1
        log.warning("%s: dropped a frame from %s: %s", self.me, origin, why)

    def verify(self, frame: bytes, origin: str = "a peer") -> tuple[str, str, int, bytes] | None:
        """``(sender, to, seq, body)`` when the MAC is right, else None (dropped, logged).
        No replay check: a forwarder (the ZeroMQ router) routes by ``to`` with this."""
        if len(frame) < TAG_BYTES + 10:
            self.drop("short frame", origin)
            return None
        tag, rest = frame[:TAG_BYTES], frame[TAG_BYTES:]
        if not hmac.compare_digest(tag, hmac.new(self._secret, rest, hashlib.sha256).digest()):
            self.drop("bad MAC (no or another flare's secret)", origin)
            return None
        seq = struct.unpack("!Q", rest[:8])[0]
        n = rest[8]
        sender = rest[9:9 + n].decode(errors="replace")
        m = rest[9 + n]
        to = rest[10 + n:10 + n + m].decode(errors="replace")
        return sender, to, seq, rest[10 + n + m:]

    def open(self, frame: bytes, origin: str = "a peer") -> tuple[str, bytes] | None:
        """``(sender, body)`` of an authentic, fresh frame addressed here, else None."""
        checked = self.verify(frame, origin)
        if checked is None:
            return None
        sender, to, seq, body = checked
        if to != self.me:
            self.drop(f"addressed to {to!r}, not here", sender)
            return None
        if not self._fresh(sender, seq):
            self.drop(f"replayed or too old (seq {seq})", sender)
            return None
        return sender, body

    def _fresh(self, sender: str, seq: int) -> bool:
        with self._lock:
            high, seen = self._seen.get(sender, (0, set()))
            if seq <= high - WINDOW or seq in seen:
                return False
            seen.add(seq)
            if seq > high:
                high = seq
                if len(seen) > 2 * WINDOW:
                    seen = {s for s in seen if s > high - WINDOW}
            self._seen[sender] = (high, seen)
            return True
