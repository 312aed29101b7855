"""PageRank of a networkx-generated directed graph, rows of the iteration split over ranks.

Every worker builds the same seeded graph (cheaper than shipping it) and owns every
``size``-th node. Per iteration each worker computes the contributions of its own nodes (and
their dangling mass) and one ``allreduce`` sums them; the update and the convergence test are
those of ``networkx.pagerank`` (uniform teleport and dangling weights, L1 error < N·tol), so
the result must match it.
"""

from __future__ import annotations

from typing import Any

import networkx as nx  # type: ignore[import-untyped, unused-ignore]

from xaas_parsl.burst.context import WorkerContext

Partial = tuple[list[float], float]


def graph(nodes: int, seed: int) -> nx.DiGraph:
    """The seeded random directed graph every worker (and the verifier) builds."""
    g: nx.DiGraph = nx.gnp_random_graph(nodes, 4.0 / nodes, seed=seed, directed=True)
    return g


def _add(a: Partial, b: Partial) -> Partial:
    return [x + y for x, y in zip(a[0], b[0], strict=True)], a[1] + b[1]


def pagerank(ctx: WorkerContext, nodes: int = 200, seed: int = 1, alpha: float = 0.85,
             max_iter: int = 100, tol: float = 1.0e-6) -> dict[int, float]:
    """Flare worker: the PageRank of the nodes this rank owns."""
    g = graph(nodes, seed)
    own = list(range(ctx.rank, nodes, ctx.size))
    x = [1.0 / nodes] * nodes
    for _ in range(max_iter):
        partial = [0.0] * nodes
        dangling = 0.0
        for node in own:
            degree = g.out_degree(node)
            if degree == 0:
                dangling += x[node]
                continue
            share = alpha * x[node] / degree
            for target in g.successors(node):
                partial[target] += share
        sums, dangling_sum = ctx.allreduce((partial, dangling), _add)
        base = (alpha * dangling_sum + 1.0 - alpha) / nodes
        new = [s + base for s in sums]
        error = sum(abs(a - b) for a, b in zip(new, x, strict=True))
        x = new
        if error < nodes * tol:
            break
    return {node: x[node] for node in own}


def verify(results: list[Any], nodes: int = 200, seed: int = 1, rel: float = 1.0e-4) -> bool:
    """True when the merged results match ``networkx.pagerank`` on the same graph."""
    merged: dict[int, float] = {}
    for part in results:
        merged.update(part)
    g = graph(nodes, seed)
    try:
        expected = nx.pagerank(g, alpha=0.85, tol=1.0e-6)
    except ImportError:  # networkx's default implementation needs scipy; same algorithm
        from networkx.algorithms.link_analysis.pagerank_alg import (  # type: ignore[import-untyped, unused-ignore]
            _pagerank_python,
        )

        expected = _pagerank_python(g, alpha=0.85, tol=1.0e-6)
    return set(merged) == set(expected) and all(
        abs(merged[n] - expected[n]) <= rel * expected[n] for n in expected)
