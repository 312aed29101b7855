"""Worker functions for the flare tests (module level, so process pools can pickle them)."""

from __future__ import annotations

import operator
import os
import signal
import time
from typing import Any

from xaas_parsl.burst import WorkerContext


def every_collective(ctx: WorkerContext) -> dict[str, Any]:
    """Exercise every collective once, with roots in different packs."""
    r, n = ctx.rank, ctx.size
    ctx.barrier()
    out: dict[str, Any] = {
        "broadcast": ctx.broadcast(f"from-{n - 1}" if r == n - 1 else None, root=n - 1),
        "scatter": ctx.scatter([i * 10 for i in range(n)] if r == 1 else None, root=1),
        "gather": ctx.gather(r * r, root=2 % n),
        "reduce": ctx.reduce(r, operator.add, root=0),
        "allreduce": ctx.allreduce(r, max),
        "allgather": ctx.allgather(-r),
        "all_to_all": ctx.all_to_all([(r, d) for d in range(n)]),
    }
    ctx.send(("ring", r), (r + 1) % n, tag=7)
    out["recv"] = ctx.recv((r - 1) % n, tag=7)
    ctx.barrier()
    return out


def identity(ctx: WorkerContext) -> tuple[int, int, int, int, int, str]:
    """The worker's place in the flare."""
    return (ctx.rank, ctx.size, ctx.group_id, ctx.group_size, ctx.worker_in_group, ctx.flare_id)


def raise_on_3(ctx: WorkerContext) -> int:
    """Rank 3 raises while the others wait in a barrier."""
    if ctx.rank == 3:
        raise ValueError("boom from three")
    ctx.barrier()
    return ctx.rank


def kill_pack_of_4(ctx: WorkerContext) -> int:
    """Rank 4 SIGKILLs its own pack process while the others wait in a barrier."""
    if ctx.rank == 4:
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
    ctx.barrier()
    return ctx.rank


def only_rank0_barrier(ctx: WorkerContext) -> int:
    """Rank 0 enters a barrier nobody else joins."""
    if ctx.rank == 0:
        ctx.barrier()
    return ctx.rank


def wait_forever(ctx: WorkerContext) -> int:
    """Receive a message that never comes (until cancelled or timed out)."""
    ctx.recv((ctx.rank + 1) % ctx.size, tag=99)
    return ctx.rank


def only_gather(ctx: WorkerContext) -> list[int] | None:
    """Exactly one gather (root 1): counts the transport messages of one collective."""
    return ctx.gather(ctx.rank, root=1)


def only_reduce(ctx: WorkerContext) -> int | None:
    """Exactly one reduce (root in the last pack)."""
    return ctx.reduce(ctx.rank, operator.add, root=ctx.size - 1)


def only_barrier(ctx: WorkerContext) -> int:
    """Exactly one barrier."""
    ctx.barrier()
    return ctx.rank


def only_broadcast(ctx: WorkerContext) -> str:
    """Exactly one broadcast from rank 2."""
    return ctx.broadcast("hello" if ctx.rank == 2 else None, root=2)


def only_all_to_all(ctx: WorkerContext) -> list[tuple[int, int]]:
    """Exactly one all_to_all."""
    return ctx.all_to_all([(ctx.rank, d) for d in range(ctx.size)])


def zero_copy(ctx: WorkerContext) -> bool:
    """Inside a pack a broadcast hands every rank the very same object (no copy)."""
    obj = ctx.broadcast(object() if ctx.rank == 0 else None, root=0)
    ids = ctx.gather((ctx.group_id, id(obj)), root=0)
    if ids is None:
        return True
    return all(len({i for g, i in ids if g == pack}) == 1 for pack, _ in ids)


def concat_reduce(ctx: WorkerContext) -> str | None:
    """A reduce with an associative but not commutative op: string concatenation."""
    return ctx.reduce(str(ctx.rank), operator.add, root=ctx.size - 1)


def scaled_sum(ctx: WorkerContext, values: list[int], factor: int = 1) -> int:
    """Rank r takes values[r] (an upstream app's output), scales it, and all sum it up."""
    return ctx.allreduce(values[ctx.rank] * factor, operator.add)


def pid_then_kill_4(ctx: WorkerContext, pid_dir: str) -> int:
    """Each rank records its pid; rank 4 SIGKILLs its own (worker) process while the others
    wait in a barrier."""
    with open(os.path.join(pid_dir, f"{ctx.rank}.pid"), "w") as fh:
        fh.write(str(os.getpid()))
    if ctx.rank == 4:
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
    ctx.barrier()
    return ctx.rank


def pid_then_spin_unless_0(ctx: WorkerContext, pid_dir: str) -> int:
    """Each rank records its pid; rank 0 raises while the others compute without ever
    entering a collective (only killing them stops them)."""
    with open(os.path.join(pid_dir, f"{ctx.rank}.pid"), "w") as fh:
        fh.write(str(os.getpid()))
    if ctx.rank == 0:
        time.sleep(0.3)
        raise RuntimeError("zero gives up")
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pass
    return ctx.rank


def pid_of(ctx: WorkerContext) -> int:
    """The worker's process id."""
    return os.getpid()


def pid_then_kill_pack_of_4(ctx: WorkerContext, pid_dir: str) -> int:
    """Each rank records its pid; rank 4 SIGKILLs its pack task (its parent process) while the
    others wait in a barrier."""
    with open(os.path.join(pid_dir, f"{ctx.rank}.pid"), "w") as fh:
        fh.write(str(os.getpid()))
    if ctx.rank == 4:
        time.sleep(0.3)
        os.kill(os.getppid(), signal.SIGKILL)
    ctx.barrier()
    return ctx.rank


def sleep_then_allreduce(ctx: WorkerContext, seconds: float = 5.0) -> int:
    """Every rank computes (sleeps) for a while, then joins one allreduce: time for a test to
    kill a pack or a node in the middle of the flare."""
    time.sleep(seconds)
    total: int = ctx.allreduce(ctx.rank, operator.add)
    return total
