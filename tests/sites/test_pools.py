"""How a dead block is said (the real path, a SIGKILLed pool manager during ``flow bench``,
runs in ``tests/cli/test_signals.py``, slow) and that the pool watch ends only processes it
saw in a local block."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xaas_parsl.sites.pools import PoolWatch, _how
from xaas_parsl.sites.session import loaded


@pytest.mark.parametrize(("code", "said"), [
    (137, "exit code 137: killed by SIGKILL"), (143, "exit code 143: killed by SIGTERM"),
    (1, "exit code 1"), (-9, "killed by SIGKILL"), (None, "ended"), (200, "exit code 200")])
def test_how_a_block_ended(code: int | None, said: str) -> None:
    assert _how(code) == said


def test_watch_of_a_kernel_without_local_blocks_ends_nothing(tmp_path: Path) -> None:
    from parsl.config import Config
    from parsl.executors import ThreadPoolExecutor

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with loaded(Config(executors=[ThreadPoolExecutor(label="login")],
                           run_dir=str(tmp_path))) as dfk:
            watch = PoolWatch(dfk)
            watch.snapshot()
            assert watch.known == set()
        assert watch.end_strays(grace=0.1) == []
        assert bystander.poll() is None  # a child the kernel did not start is left alone
    finally:
        bystander.kill()
        bystander.wait()
