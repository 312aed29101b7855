"""Flare transports against peers without the secret (issue: untrusted input cannot escape).

Escape pinned here: the rendezvous bound 0.0.0.0 and unpickled frames from any peer (ZeroMQ
and Redis), so anyone who could reach the port or the Redis server ran code in the driver and
the packs. Every frame is now sealed with a per-flare secret and checked (MAC, addressee,
replay window) before anything is unpickled. A process without the secret sends junk, pickle
bombs in the old wire format, frames with a forged MAC and a replayed captured frame: each is
dropped and logged, no bomb goes off, and the flare's collectives still complete.
"""

from __future__ import annotations

import logging
import pickle
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from tests.burst import workers
from tests.burst.test_flare import expected
from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.pack import PackSpec, run_pack
from xaas_parsl.burst.transport.auth import Opener, Sealer, new_secret
from xaas_parsl.burst.transport.base import Rendezvous
from xaas_parsl.burst.transport.redis import RedisRendezvous
from xaas_parsl.burst.transport.zmq import ZmqRendezvous, bind_address

LOGGER = "xaas_parsl.burst.transport"

# -- the sealing itself --------------------------------------------------------------------


def test_a_sealed_frame_opens_once_for_its_addressee(caplog: pytest.LogCaptureFixture) -> None:
    secret = new_secret()
    frame = Sealer(secret, "pack-1").seal("driver", b"body")
    driver = Opener(secret, "driver")
    with caplog.at_level(logging.WARNING, LOGGER):
        assert driver.open(frame) == ("pack-1", b"body")
        assert driver.open(frame) is None  # replayed
        assert Opener(secret, "pack-2").open(frame) is None  # not addressed there
        assert Opener(new_secret(), "driver").open(frame) is None  # another flare's secret
        tampered = frame[:-1] + bytes([frame[-1] ^ 1])
        assert Opener(secret, "driver").open(tampered) is None
    reasons = " | ".join(r.getMessage() for r in caplog.records)
    assert "replayed" in reasons and "addressed to 'driver'" in reasons
    assert reasons.count("bad MAC") == 2 and driver.dropped == 1


def test_frames_of_one_sender_may_arrive_out_of_order() -> None:
    secret = new_secret()
    sealer = Sealer(secret, "pack-0")
    frames = [sealer.seal("pack-1", b"%d" % i) for i in range(50)]
    opener = Opener(secret, "pack-1")
    order = list(range(50))[::-1]
    assert [opener.open(frames[i]) for i in order] == [("pack-0", b"%d" % i) for i in order]
    assert all(opener.open(f) is None for f in frames)


@given(frame=st.binary(max_size=200))
def test_random_bytes_never_open(frame: bytes) -> None:
    assert Opener(b"k" * 32, "driver").open(frame) is None


def test_the_rendezvous_binds_the_address_packs_connect_to() -> None:
    assert bind_address("localhost") == "127.0.0.1"
    assert bind_address(socket.gethostname()) == socket.gethostbyname(socket.gethostname())
    rendezvous = ZmqRendezvous(1, host=socket.gethostname())
    try:
        endpoint = rendezvous._router.getsockopt_string(zmq.LAST_ENDPOINT)
        assert "0.0.0.0" not in endpoint and "*" not in endpoint
    finally:
        rendezvous.start(lambda *a: None)
        rendezvous.stop()


# -- a peer without the secret, against a running flare ---------------------------------------

BOMB = '''
import os, pickle, sys
class Bomb:
    def __reduce__(self):
        return (os.mkdir, (sys.argv[2],))
bomb = pickle.dumps(Bomb())
forged = os.urandom(32) + bytes(8) + b"\\x06pack-9\\x06driver" + pickle.dumps(("ERR", 0, "x", ""))
forged_to_pack = os.urandom(32) + bytes(8) + b"\\x06pack-9\\x06pack-0" + bomb
sniffed = bytes.fromhex(sys.argv[3])
'''

ZMQ_PEER = BOMB + '''
import zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, b"pack-9")
s.connect(sys.argv[1])
s.send(b"x")                          # junk
s.send_multipart([b"ERR", bomb])      # the old wire format, a pickle bomb
s.send(forged)                        # a frame with a made-up MAC
s.send(forged_to_pack)                # the same, to be forwarded to a pack
s.send(sniffed)                       # a captured frame (a PING of pack-9) ...
assert s.poll(10000)                  # (answered: it is authentic)
s.recv()
s.send(sniffed)                       # ... played again
s.close(linger=2000)
ctx.term()
'''

REDIS_PEER = BOMB + '''
import redis
r = redis.Redis.from_url(sys.argv[1].split("#")[0])
prefix = "xaas-burst:" + sys.argv[1].split("#")[1] + ":"
r.rpush(prefix + "driver", bomb)                            # the old wire format
r.rpush(prefix + "pack:0", pickle.dumps(("MSG", 0, 1, "t", Bomb())))
r.rpush(prefix + "pack:0", bomb)
r.rpush(prefix + "driver", forged)
r.rpush(prefix + "driver", sniffed)                         # a captured frame, twice
r.rpush(prefix + "driver", sniffed)
'''


def _attack(peer: str, rendezvous: Rendezvous, sniffed: bytes, marker: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", peer, rendezvous.address, str(marker),
                           sniffed.hex()], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def _wait_dropped(opener: Opener, count: int) -> None:
    deadline = time.monotonic() + 10
    while opener.dropped < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _run_flare(rendezvous: Rendezvous, pool: ProcessPoolExecutor, flare_id: str) -> list[object]:
    placement = Placement(4, 2)
    futures = [pool.submit(run_pack, PackSpec(
        flare_id=flare_id, pack=p, placement=placement, address=rendezvous.address, timeout=20,
        start_timeout=30, driver_host=socket.gethostname(), secret=rendezvous.secret),
        workers.every_collective) for p in range(placement.packs)]
    values: list[object] = [None] * 4
    for future in futures:
        result = future.result(timeout=60)
        assert result.error is None, result.error
        for rank, value in result.results.items():
            values[rank] = value
    return values


@pytest.mark.parametrize("kind", ["zmq", "redis"])
def test_frames_from_a_peer_without_the_secret_are_dropped_and_logged(
        kind: str, tmp_path: Path, pool: ProcessPoolExecutor, caplog: pytest.LogCaptureFixture,
        request: pytest.FixtureRequest) -> None:
    errors: list[str] = []
    rendezvous: ZmqRendezvous | RedisRendezvous
    if kind == "zmq":
        rendezvous = ZmqRendezvous(2, start_timeout=60)
        sniffed = Sealer(rendezvous.secret, "pack-9").seal("driver", pickle.dumps(("PING", 0.0)))
        peer, drops = ZMQ_PEER, 5  # junk, old format, forged, forged to a pack, replay
    else:
        rendezvous = RedisRendezvous(request.getfixturevalue("redis_url"), "auth1", 2,
                                     start_timeout=60)
        sniffed = Sealer(rendezvous.secret, "pack-9").seal("driver", pickle.dumps(("NOOP",)))
        peer, drops = REDIS_PEER, 3  # old format, forged, replay (the packs drop theirs)
    marker = tmp_path / "bomb-went-off"
    with caplog.at_level(logging.WARNING, LOGGER):
        rendezvous.start(lambda rank, message, trace: errors.append(message))
        try:
            _attack(peer, rendezvous, sniffed, marker)
            _wait_dropped(rendezvous.opener, drops)
            values = _run_flare(rendezvous, pool, "auth1")
        finally:
            rendezvous.stop()
    assert values == [expected(r, 4) for r in range(4)]  # collectives still complete
    assert not marker.exists() and not errors
    assert rendezvous.opener.dropped == drops
    logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(logged) == drops and all("driver: dropped a frame from" in m for m in logged)
    assert any("replayed" in m for m in logged) and any("bad MAC" in m for m in logged)
