"""Per-task overhead of xaas-parsl's Parsl apps over raw Parsl apps doing the same work.

Both kinds of app run on the same executor of the same ``local`` config in the same process,
in interleaved batches (ours, raw, ours, raw, ...), so machine noise hits both alike. The
reported figure is the median per-task wall time of each kind and their ratio (goal: ours/raw
≤ 1.10). Run: ``.venv/bin/python benchmarks/parsl_overhead.py [--tasks 40] [--reps 5] [--plot]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import parsl
from parsl import python_app
from rich.console import Console
from rich.table import Table

from xaas_parsl import apps
from xaas_parsl.descriptor import bundled_app
from xaas_parsl.sites import config

RESULTS = Path(__file__).parent / "results"


@python_app(executors=["login"])
def raw_intersect(spec: dict[str, Any], system: dict[str, Any]) -> dict[str, Any]:
    """The library call our ``intersect`` app makes, as a plain Parsl app."""
    from xaas_parsl.discovery.load import system_from_data
    from xaas_parsl.intersection import intersect
    from xaas_parsl.spec import spec_from_dict

    return intersect(spec_from_dict(spec), system_from_data(system, "<system>")).to_dict()


@python_app(executors=["compute"])
def raw_discover(fmt: str = "native") -> dict[str, Any]:
    """The library call our ``discover_system`` app makes, as a plain Parsl app."""
    from xaas_parsl.discovery.load import dump_system
    from xaas_parsl.discovery.probe import discover_local

    return dump_system(discover_local(), "native")


def batch_seconds(submit: Callable[[], Any], tasks: int) -> float:
    """Wall time per task of ``tasks`` concurrent submissions."""
    start = time.perf_counter()
    futures = [submit() for _ in range(tasks)]
    for future in futures:
        future.result()
    return (time.perf_counter() - start) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args()
    console = Console()
    app = bundled_app("heat2d")
    spec = app.spec().raw
    with tempfile.TemporaryDirectory() as run_dir:
        dfk = parsl.load(config("local", run_dir=run_dir, workers_per_node=2))
        try:
            system = apps.discover_system().result()
            cases = {
                "intersect (login)": (lambda: apps.intersect(spec, system),
                                      lambda: raw_intersect(spec, system)),
                "discover_system (compute)": (apps.discover_system, raw_discover),
            }
            for ours, raw in cases.values():  # warm-up: imports, worker start
                batch_seconds(ours, 4)
                batch_seconds(raw, 4)
            results: dict[str, dict[str, Any]] = {}
            for name, (ours, raw) in cases.items():
                ours_t: list[float] = []
                raw_t: list[float] = []
                for _ in range(args.reps):
                    ours_t.append(batch_seconds(ours, args.tasks))
                    raw_t.append(batch_seconds(raw, args.tasks))
                ours_m, raw_m = statistics.median(ours_t), statistics.median(raw_t)
                results[name] = {"ours_ms": ours_m * 1e3, "raw_ms": raw_m * 1e3,
                                 "ratio": ours_m / raw_m, "ours_runs_ms": [t * 1e3 for t in ours_t],
                                 "raw_runs_ms": [t * 1e3 for t in raw_t]}
        finally:
            dfk.cleanup()
            parsl.clear()
    table = Table(title=f"Per-task time, median of {args.reps} interleaved batches of {args.tasks}")
    for column in ("step (executor)", "xaas-parsl app ms", "raw Parsl app ms", "ratio"):
        table.add_column(column)
    for name, r in results.items():
        table.add_row(name, f"{r['ours_ms']:.2f}", f"{r['raw_ms']:.2f}", f"{r['ratio']:.3f}")
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "parsl_overhead.json").write_text(json.dumps(
        {"tasks": args.tasks, "reps": args.reps, "results": results}, indent=2) + "\n")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        names = list(results)
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], [results[n]["raw_ms"] for n in names], 0.4, label="raw Parsl")
        ax.bar([i + 0.2 for i in x], [results[n]["ours_ms"] for n in names], 0.4,
               label="xaas-parsl")
        ax.set_xticks(list(x), names)
        ax.set_ylabel("ms per task (median)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / "parsl_overhead.png", dpi=120)
        console.print(f"plot: {RESULTS / 'parsl_overhead.png'}")


if __name__ == "__main__":
    main()
