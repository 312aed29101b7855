"""Overhead of running a SeBS-Flow workflow over the same calls as a hand-written Parsl chain.

The shape is 620.func-invo's function chain: one task (``gen``) and a repeat of 8 (``process``),
nine calls with eight transitions, with the test payload size. Side by side, on the same executor
of the same ``local`` config in the same process, in interleaved repetitions (flow, raw, raw,
flow, ... so drift and noise hit both alike):

* **flow**: ``Engine.run`` of the loaded definition, each call one Parsl app (``invoke``), every
  call measured and its record written to the SQLite store, as ``xaas flow run`` does;
* **raw**: nine Parsl apps calling the same handlers, chained by passing futures
  (``f = process(f)``), so Parsl's own dependency resolution drives them.

Reported per executor: median wall time of each, their ratio (goal ≤ 1.2x), the overhead per
transition ((flow − raw) / 8), and from the flow's own records the median transition latency
(next call's start − previous call's end; goal ≤ 2 ms on the thread executor). Results go to
``benchmarks/results/flow_overhead.{json,png}``.

Run: ``.venv/bin/python benchmarks/flow_overhead.py [--reps 30] [--size 10] [--executors
login,compute]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import parsl
from parsl import python_app
from rich.console import Console
from rich.table import Table

from xaas_parsl.flow.engine import Engine
from xaas_parsl.flow.functions import Source
from xaas_parsl.flow.invokers import ParslInvoker
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.measure import SQLiteStore, transition_latencies
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.storage import storage_spec
from xaas_parsl.sites import config

REPO = Path(__file__).resolve().parents[1]
DEFINITION = REPO / "tests" / "flow" / "data" / "620.func-invo.json"
FUNCTIONS = REPO / "tests" / "flow" / "functions"
RESULTS = Path(__file__).parent / "results"
TRANSITIONS = 8


def raw_call(func_name: str, sources: tuple[Source, ...], payload: Any) -> Any:
    """The handler call alone: the body of every app of the hand-written chain."""
    from xaas_parsl.flow.functions import load_handler

    return load_handler(func_name, sources)(payload)


class Chain:
    """The hand-written chain: nine apps on one executor, chained through futures."""

    def __init__(self, executor: str, sources: tuple[Source, ...]) -> None:
        self.app = python_app(raw_call, executors=[executor])
        self.sources = sources

    def run(self, payload: dict[str, Any]) -> Any:
        future = self.app("gen", self.sources, payload)
        for _ in range(TRANSITIONS):
            future = self.app("process", self.sources, future)
        return future.result()


class Flow:
    """The workflow through our engine, records written to an SQLite store as the CLI does."""

    def __init__(self, executor: str, sources: tuple[Source, ...], workdir: Path) -> None:
        self.workflow: Workflow = load_workflow(DEFINITION)
        self.store = SQLiteStore(workdir / f"measurements-{executor}.sqlite")
        invoker = ParslInvoker(sources, storage_spec(workdir / "storage"), executor)
        self.engine = Engine(invoker, sink=self.store.add_many, default_timeout_s=120)
        self.transitions: list[float] = []

    def run(self, payload: dict[str, Any]) -> Any:
        result = asyncio.run(self.engine.run(self.workflow, payload))
        self.transitions.extend(transition_latencies(result.records))
        return result.payload


def timed(runner: Chain | Flow, payload: dict[str, Any], size: int) -> float:
    start = time.perf_counter()
    out = runner.run(payload)
    elapsed = time.perf_counter() - start
    assert len(out["len"]) == size, out
    return elapsed


def measure(executor: str, reps: int, size: int, workdir: Path) -> dict[str, Any]:
    sources: tuple[Source, ...] = (("dir", str(FUNCTIONS)),)
    flow, chain = Flow(executor, sources, workdir), Chain(executor, sources)
    payload = {"size": size}
    for _ in range(3):  # warm-up: worker start, imports, first (cold) calls
        timed(flow, payload, size)
        timed(chain, payload, size)
    flow.transitions.clear()
    flow_t: list[float] = []
    raw_t: list[float] = []
    for rep in range(reps):
        order = (flow, chain) if rep % 2 == 0 else (chain, flow)
        for runner in order:
            (flow_t if runner is flow else raw_t).append(timed(runner, payload, size))
    flow.store.close()
    flow_m, raw_m = statistics.median(flow_t), statistics.median(raw_t)
    pairs = [f / r for f, r in zip(flow_t, raw_t, strict=True)]
    return {
        "flow_ms": flow_m * 1e3, "raw_ms": raw_m * 1e3, "ratio": flow_m / raw_m,
        "median_pair_ratio": statistics.median(pairs),
        "overhead_per_transition_ms": (flow_m - raw_m) / TRANSITIONS * 1e3,
        "median_transition_ms": statistics.median(flow.transitions) * 1e3,
        "p90_transition_ms": statistics.quantiles(flow.transitions, n=10)[-1] * 1e3,
        "flow_runs_ms": [t * 1e3 for t in flow_t], "raw_runs_ms": [t * 1e3 for t in raw_t],
    }


def plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    x = range(len(names))
    left.bar([i - 0.2 for i in x], [results[n]["raw_ms"] for n in names], 0.4,
             label="hand-written Parsl chain")
    left.bar([i + 0.2 for i in x], [results[n]["flow_ms"] for n in names], 0.4,
             label="xaas flow (620 shape)")
    left.set_xticks(list(x), names)
    left.set_ylabel("ms per run of 9 calls (median)")
    left.legend(fontsize=8)
    right.bar(list(x), [results[n]["median_transition_ms"] for n in names], 0.5)
    right.axhline(2.0, color="grey", linestyle="--", linewidth=1, label="goal (threads)")
    right.set_xticks(list(x), names)
    right.set_ylabel("median transition latency (ms)")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--size", type=int, default=10, help="620's payload size (test: 10)")
    parser.add_argument("--executors", default="login,compute")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 110))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        dfk = parsl.load(config("local", run_dir=Path(tmp) / "runinfo", workers_per_node=2))
        try:
            for executor in args.executors.split(","):
                results[executor] = measure(executor, args.reps, args.size, Path(tmp))
        finally:
            dfk.cleanup()
            parsl.clear()
    table = Table(title=f"620 shape (task + repeat 8, size {args.size}), median of {args.reps} "
                        "interleaved runs; goals: ratio ≤ 1.2, transition ≤ 2 ms (threads)")
    for column in ("executor", "raw chain ms", "flow ms", "ratio", "pair ratio",
                   "+ms/transition", "transition ms", "p90 ms"):
        table.add_column(column, justify="right")
    for name, r in results.items():
        table.add_row(name, f"{r['raw_ms']:.2f}", f"{r['flow_ms']:.2f}", f"{r['ratio']:.3f}",
                      f"{r['median_pair_ratio']:.3f}", f"{r['overhead_per_transition_ms']:.3f}",
                      f"{r['median_transition_ms']:.3f}", f"{r['p90_transition_ms']:.3f}")
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    out = {"shape": "620.func-invo (task + repeat 8)", "size": args.size, "reps": args.reps,
           "transitions": TRANSITIONS, "results": results}
    (RESULTS / "flow_overhead.json").write_text(json.dumps(out, indent=2) + "\n")
    plot(results, RESULTS / "flow_overhead.png")
    console.print(f"wrote {RESULTS / 'flow_overhead.json'} and {RESULTS / 'flow_overhead.png'}")


if __name__ == "__main__":
    main()
