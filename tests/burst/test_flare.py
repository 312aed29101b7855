"""Flares end to end on local executors: collectives, placement, failure as a whole."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from tests.burst import workers
from tests.conftest import infra_import
from xaas_parsl.burst import CollectiveTimeout, FlareError, flare
from xaas_parsl.errors import ToolError, XaasError


def expected(rank: int, n: int) -> dict[str, object]:
    return {
        "broadcast": f"from-{n - 1}",
        "scatter": rank * 10,
        "gather": [r * r for r in range(n)] if rank == 2 % n else None,
        "reduce": sum(range(n)) if rank == 0 else None,
        "allreduce": n - 1,
        "allgather": [-r for r in range(n)],
        "all_to_all": [(s, rank) for s in range(n)],
        "recv": ("ring", (rank - 1) % n),
    }


@pytest.mark.parametrize(("kind", "granularity"),
                         [("process", 3), ("process", 2), ("thread", 1), ("thread", 7)])
def test_every_collective(kind: str, granularity: int, pool: ProcessPoolExecutor,
                          transport: str) -> None:
    """7 workers: mixed placement (packs 3+3+1, 2+2+2+1), all remote (g=1), one pack (g=7);
    over ZeroMQ and over Redis."""
    with ThreadPoolExecutor(8) as threads:
        executor = pool if kind == "process" else threads
        future = flare(workers.every_collective, 7, granularity, executor=executor, timeout=20,
                       transport=transport)
        results = future.result(timeout=30)
    assert results == [expected(r, 7) for r in range(7)]
    if granularity == 7:
        assert future.messages_sent == {0: 0}  # one pack: nothing crosses a transport


# One collective, 12 workers: packs of 4 (P = 3) against one worker per pack (P = 12). With
# per-pack aggregation a rooted collective costs P - 1 transport messages, a barrier 2 (P - 1),
# an all_to_all P (P - 1); one message per worker would be N - 1, 2 (N - 1) and N (N - 1).
@pytest.mark.parametrize(("fn", "per_packs"), [
    (workers.only_gather, lambda p: p - 1), (workers.only_reduce, lambda p: p - 1),
    (workers.only_broadcast, lambda p: p - 1), (workers.only_barrier, lambda p: 2 * (p - 1)),
    (workers.only_all_to_all, lambda p: p * (p - 1))])
def test_collectives_send_one_message_per_pack(fn: Any, per_packs: Any, transport: str) -> None:
    with ThreadPoolExecutor(12) as threads:
        packed = flare(fn, 12, 4, executor=threads, timeout=20, transport=transport)
        flat = flare(fn, 12, 1, executor=threads, timeout=20, transport=transport)
        assert packed.result(timeout=30) == flat.result(timeout=30)
    assert sum(packed.messages_sent.values()) == per_packs(3)
    assert sum(flat.messages_sent.values()) == per_packs(12)


def test_reduce_folds_in_rank_order_for_non_commutative_ops(pool: ProcessPoolExecutor) -> None:
    future = flare(workers.concat_reduce, 7, 3, executor=pool, timeout=20)
    assert future.result(timeout=30)[6] == "0123456"


def test_inside_a_thread_pack_messages_are_references(pool: ProcessPoolExecutor) -> None:
    assert all(flare(workers.zero_copy, 6, 3, executor=pool, worker_kind="thread"
                     ).result(timeout=30))


def test_result_order_and_context(pool: ProcessPoolExecutor) -> None:
    future = flare(workers.identity, 5, 2, executor=pool)
    results = future.result(timeout=30)
    assert [r[:5] for r in results] == [
        (0, 5, 0, 2, 0), (1, 5, 0, 2, 1), (2, 5, 1, 2, 0), (3, 5, 1, 2, 1), (4, 5, 2, 1, 0)]
    assert {r[5] for r in results} == {future.flare_id}
    summary = future.timing.summary()
    assert summary.size == 5 and 0 <= summary.start_spread_s <= summary.time_to_all_started_s


def test_raising_worker_fails_the_flare_with_its_rank(pool: ProcessPoolExecutor,
                                                      transport: str) -> None:
    start = time.monotonic()
    future = flare(workers.raise_on_3, 6, 2, executor=pool, timeout=30, transport=transport)
    with pytest.raises(FlareError) as info:
        future.result(timeout=30)
    assert info.value.rank == 3
    assert "rank 3 failed: ValueError: boom from three" in str(info.value)
    assert "raise ValueError" in info.value.traceback
    assert isinstance(info.value, XaasError) and "\n" not in str(info.value)
    assert time.monotonic() - start < 10  # aborted, not timed out


def test_killed_pack_fails_the_flare(transport: str) -> None:
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("fork")) as own:
        start = time.monotonic()
        future = flare(workers.kill_pack_of_4, 6, 2, executor=own, timeout=30,
                       transport=transport, worker_kind="thread")
        with pytest.raises(FlareError, match=r"pack \d \(ranks \d-\d\) failed"):
            future.result(timeout=30)
        assert time.monotonic() - start < 10


def test_collective_that_never_completes_times_out(pool: ProcessPoolExecutor,
                                                   transport: str) -> None:
    start = time.monotonic()
    future = flare(workers.only_rank0_barrier, 4, 2, executor=pool, timeout=1,
                   transport=transport)
    with pytest.raises(FlareError,
                       match=r"rank 0: barrier-in #1 timed out after 1 s waiting for rank 1"
                       ) as info:
        future.result(timeout=30)
    assert info.value.rank == 0
    assert time.monotonic() - start < 5


def test_collective_timeout_is_raised_in_the_worker() -> None:
    assert issubclass(CollectiveTimeout, FlareError)


def test_cancel_aborts_every_pack(pool: ProcessPoolExecutor, transport: str) -> None:
    future = flare(workers.wait_forever, 4, 2, executor=pool, timeout=60, transport=transport)
    time.sleep(0.5)
    assert future.cancel()
    with pytest.raises(CancelledError):
        future.result()
    # The packs returned at once: the pool runs the next flare immediately.
    assert flare(workers.identity, 4, 1, executor=pool).result(timeout=10)[3][0] == 3


def test_gang_start_times_out_when_packs_cannot_all_be_placed(transport: str) -> None:
    with ThreadPoolExecutor(1) as one:
        future = flare(workers.identity, 4, 2, executor=one, start_timeout=1,
                       transport=transport)
        with pytest.raises(FlareError, match="gang start timed out after 1 s: 1 of 2 packs"):
            future.result(timeout=10)


def test_bad_arguments_are_user_errors() -> None:
    with pytest.raises(XaasError):
        flare(workers.identity, 0)
    with pytest.raises(XaasError):
        flare(workers.identity, 2, executor=42)  # type: ignore[arg-type]
    with pytest.raises(XaasError, match="transport must be 'zmq' or a redis:// URL"):
        flare(workers.identity, 2, executor=ThreadPoolExecutor(1), transport="amqp://x")


def test_unreachable_redis_is_a_tool_error() -> None:
    from tests.services import free_port

    infra_import("redis")
    with pytest.raises(ToolError, match=r"flare transport redis://127.0.0.1:\d+/0: "):
        flare(workers.identity, 2, executor=ThreadPoolExecutor(1),
              transport=f"redis://127.0.0.1:{free_port()}/0")


def test_submission_failure_is_a_flare_error() -> None:
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    with pytest.raises(FlareError, match="cannot submit its packs: RuntimeError"):
        flare(workers.identity, 2, executor=pool)


def test_redis_keys_are_removed_when_the_flare_ends(redis_url: str,
                                                    pool: ProcessPoolExecutor) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert flare(workers.every_collective, 7, 3, executor=pool, timeout=20,
                     transport=redis_url).result(timeout=30)[0] == expected(0, 7)
        with pytest.raises(FlareError):
            flare(workers.raise_on_3, 6, 2, executor=pool, timeout=20,
                  transport=redis_url).result(timeout=30)
        deadline = time.monotonic() + 10  # the failed flare's packs end after its future
        while client.keys("xaas-burst:*") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.keys("xaas-burst:*") == []
    finally:
        client.close()
