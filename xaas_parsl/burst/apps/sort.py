"""Distributed sort of generated data, TeraSort-style.

Each worker generates its own share (seeded by rank, so the driver can regenerate all of it to
verify), samples it; rank 0 picks ``size - 1`` splitters from the gathered samples and
broadcasts them; every worker buckets its data by splitter and one ``all_to_all`` moves each
bucket to its owner, which sorts locally. Concatenating the workers' results in rank order is
the sorted whole.
"""

from __future__ import annotations

import bisect
import random
from itertools import chain
from typing import Any

from xaas_parsl.burst.context import WorkerContext

SAMPLES_PER_WORKER = 32


def generate(rank: int, count: int, seed: int) -> list[int]:
    """Worker ``rank``'s share of the input (deterministic)."""
    rng = random.Random(seed * 1_000_003 + rank)
    return [rng.randrange(1 << 32) for _ in range(count)]


def terasort(ctx: WorkerContext, count: int = 1000, seed: int = 0) -> list[int]:
    """Flare worker: this rank's sorted range of all generated keys."""
    data = generate(ctx.rank, count, seed)
    sample = random.Random(ctx.rank).sample(data, min(SAMPLES_PER_WORKER, count))
    samples = ctx.gather(sample, root=0)
    splitters: list[int] | None = None
    if samples is not None:
        pool = sorted(chain.from_iterable(samples))
        splitters = [pool[len(pool) * i // ctx.size] for i in range(1, ctx.size)]
    splitters = ctx.broadcast(splitters, root=0)
    buckets: list[list[int]] = [[] for _ in range(ctx.size)]
    for key in data:
        buckets[bisect.bisect_right(splitters, key)].append(key)
    return sorted(chain.from_iterable(ctx.all_to_all(buckets)))


def verify(results: list[Any], size: int, count: int, seed: int = 0) -> bool:
    """True when the concatenated results are the sorted generated input (sorted, complete)."""
    expected = sorted(chain.from_iterable(generate(r, count, seed) for r in range(size)))
    return list(chain.from_iterable(results)) == expected
