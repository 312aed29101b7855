"""Process packs (``worker_kind="process"``): every collective, faults, and no worker process
left behind (checked by pid)."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.burst import workers
from tests.burst.test_flare import expected
from xaas_parsl.burst import FlareError, flare
from xaas_parsl.burst.procpack import ABORT_GRACE_S
from xaas_parsl.errors import InputError


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _all_gone(pids: list[int], within: float = ABORT_GRACE_S + 4) -> bool:
    """The flare's future fails at the first reported failure; the packs then stop their
    workers (at once in a collective, after ``ABORT_GRACE_S`` if computing), so allow that."""
    deadline = time.monotonic() + within
    while not all(_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pids(pid_dir: Path, n: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(list(pid_dir.glob("*.pid"))) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return [int((pid_dir / f"{r}.pid").read_text()) for r in range(n)]


@pytest.mark.parametrize("granularity", [3, 7])
def test_every_collective_in_process_packs(granularity: int, pool: ProcessPoolExecutor,
                                           transport: str) -> None:
    """Packs 3+3+1 (in-pack pipes and the transport) and one pack of 7 (pipes only)."""
    future = flare(workers.every_collective, 7, granularity, executor=pool, timeout=20,
                   transport=transport, worker_kind="process")
    assert future.result(timeout=30) == [expected(r, 7) for r in range(7)]
    if granularity == 7:
        assert future.messages_sent == {0: 0}


def test_process_pack_workers_are_distinct_processes_and_end(pool: ProcessPoolExecutor) -> None:
    pids = flare(workers.pid_of, 6, 3, executor=pool).result(timeout=30)
    assert len(set(pids)) == 6
    assert all(_gone(pid) for pid in pids)


def test_thread_pack_workers_share_one_process(pool: ProcessPoolExecutor) -> None:
    pids = flare(workers.pid_of, 6, 3, executor=pool, worker_kind="thread").result(timeout=30)
    assert len(set(pids)) == 2


def test_killed_worker_process_fails_the_flare_and_leaves_nothing(
        pool: ProcessPoolExecutor, transport: str, tmp_path: Path) -> None:
    start = time.monotonic()
    future = flare(workers.pid_then_kill_4, 6, 3, args=(str(tmp_path),), executor=pool,
                   timeout=30, transport=transport)
    with pytest.raises(FlareError, match=r"rank 4 failed: worker process died \(killed by "
                                         r"SIGKILL\)") as info:
        future.result(timeout=30)
    assert info.value.rank == 4
    assert time.monotonic() - start < 10
    assert _all_gone(_pids(tmp_path, 6))


def test_killed_pack_task_takes_its_worker_processes_along(tmp_path: Path) -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as own:
        future = flare(workers.pid_then_kill_pack_of_4, 6, 3, args=(str(tmp_path),),
                       executor=own, timeout=30)
        with pytest.raises(FlareError, match=r"pack \d \(ranks \d-\d\) failed"):
            future.result(timeout=30)
    assert _all_gone(_pids(tmp_path, 6))


def test_worker_still_computing_after_an_abort_is_killed(pool: ProcessPoolExecutor,
                                                         tmp_path: Path) -> None:
    start = time.monotonic()
    future = flare(workers.pid_then_spin_unless_0, 4, 2, args=(str(tmp_path),),
                   executor=pool, timeout=30)
    with pytest.raises(FlareError, match="rank 0 failed: RuntimeError: zero gives up"):
        future.result(timeout=30)
    assert time.monotonic() - start < 10
    assert _all_gone(_pids(tmp_path, 4))


def test_stuck_collective_in_a_process_pack_times_out(pool: ProcessPoolExecutor) -> None:
    future = flare(workers.only_rank0_barrier, 4, 4, executor=pool, timeout=1)
    with pytest.raises(FlareError, match=r"rank 0: barrier-in #1 timed out after 1 s "
                                         r"waiting for rank 1"):
        future.result(timeout=30)


def test_raising_worker_in_a_process_pack(pool: ProcessPoolExecutor) -> None:
    future = flare(workers.raise_on_3, 6, 3, executor=pool, timeout=30)
    with pytest.raises(FlareError, match="rank 3 failed: ValueError: boom from three") as info:
        future.result(timeout=30)
    assert info.value.rank == 3 and "raise ValueError" in info.value.traceback


def test_process_packs_on_a_thread_executor() -> None:
    """The pack task may run in a thread of the driver: workers are still forked."""
    with ThreadPoolExecutor(2) as threads:
        pids = flare(workers.pid_of, 4, 2, executor=threads).result(timeout=30)
    assert len(set(pids)) == 4 and os.getpid() not in pids


def test_unknown_worker_kind_is_a_user_error() -> None:
    with pytest.raises(InputError, match="worker_kind"):
        flare(workers.identity, 2, executor=ThreadPoolExecutor(1), worker_kind="fiber")
