"""The two example applications, verified: distributed sort and PageRank."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from xaas_parsl.burst import flare
from xaas_parsl.burst.apps import pagerank, sort


@pytest.mark.parametrize(("size", "granularity"), [(8, 2), (64, 16)])
def test_distributed_sort(size: int, granularity: int, pool: ProcessPoolExecutor,
                          transport: str) -> None:
    future = flare(sort.terasort, size, granularity, executor=pool, kwargs={"count": 300},
                   timeout=30, transport=transport)
    results = future.result(timeout=60)
    assert all(len(part) > 0 for part in results)  # splitters spread the keys
    assert sort.verify(results, size, 300)


def test_sort_verifier_rejects_a_lost_key() -> None:
    results = [sorted(sort.generate(r, 10, 0)) for r in range(2)]
    assert not sort.verify([results[0][1:], results[1]], 2, 10)


@pytest.mark.parametrize(("size", "granularity"), [(8, 3), (64, 16)])
def test_pagerank_matches_networkx(size: int, granularity: int,
                                   pool: ProcessPoolExecutor) -> None:
    future = flare(pagerank.pagerank, size, granularity, executor=pool, timeout=30)
    assert pagerank.verify(future.result(timeout=60))


def test_pagerank_verifier_rejects_wrong_ranks() -> None:
    with ThreadPoolExecutor(1) as one:
        results = flare(pagerank.pagerank, 2, 2, executor=one).result(timeout=30)
    first = dict(results[0])
    first[0] *= 1.01
    assert pagerank.verify(results)
    assert not pagerank.verify([first, results[1]])
