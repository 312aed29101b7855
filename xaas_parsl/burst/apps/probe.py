"""Probe workers for measuring flares rather than computing anything: ``rank`` (a no-op that
returns the worker's rank, for start-up and spread measurements) and ``spin`` (CPU-bound pure
Python, for whether a pack's workers really run in parallel). Module-level, so launcher steps
(``xaas burst step --function xaas_parsl.burst.apps.probe:spin``) and process pools find them.
"""

from __future__ import annotations

import operator
import os

from xaas_parsl.burst.context import WorkerContext

#: Loop steps of ``spin`` when ``$XAAS_BURST_SPIN_LOOPS`` does not say (about 1 s of CPython
#: on this project's 2-core build machine).
SPIN_LOOPS = 10_000_000


def rank(ctx: WorkerContext) -> int:
    """No work: the worker's rank."""
    value: int = ctx.rank
    return value


def spin(ctx: WorkerContext, loops: int | None = None) -> int:
    """CPU-bound pure Python (holds the GIL throughout), then one allreduce so the collectives
    take part; ``loops`` defaults to ``$XAAS_BURST_SPIN_LOOPS`` or ``SPIN_LOOPS`` (a launcher
    step passes no arguments, but it passes the environment)."""
    steps = loops if loops is not None else int(os.environ.get("XAAS_BURST_SPIN_LOOPS",
                                                               SPIN_LOOPS))
    total = 0
    for i in range(steps):
        total += i * i % 7
    reduced: int = ctx.allreduce(total, operator.add)
    return reduced
