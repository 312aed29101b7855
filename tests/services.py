"""Real services the tests start for themselves: a free port, a private redis-server."""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import infra_missing


def free_port() -> int:
    """A TCP port nobody listens on now (redis-server needs a fixed port: no port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port in ``workdir``, without persistence; yields
    its URL. Skips when the server or the Python client is missing (scripts/setup.sh installs
    both); fails when the server does not answer within 10 s."""
    server = shutil.which("redis-server")
    if server is None:
        infra_missing("redis-server is not installed (scripts/setup.sh installs it)")
    if importlib.util.find_spec("redis") is None:
        infra_missing("the redis Python client is not installed")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as conn:
                if conn.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start within 10 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
