"""How together do N workers start? Flares against one-task-per-worker baselines.

Runners, all on warm local pools of the same width (8 processes), doing no-op work:

* ``flare``: ``xaas_parsl.burst.flare`` on Parsl's HighThroughputExecutor, workers packed
  ``granularity`` per pack so every size is 8 packs (N = 8, 64, 512 → g = 1, 8, 64);
* ``parsl-tasks``: one plain Parsl ``python_app`` per worker on the same executor;
* ``process-pool``: one ``ProcessPoolExecutor`` task per worker;
* ``lithops`` (localhost): only when the ``lithops`` package is importable; skipped otherwise.

t0 is the launch call in the driver, a worker's start is the timestamp of its first line.
Reported per runner and size: median over repetitions of time-to-all-started (max start − t0)
and start spread (last − first); ratios to the flare; a start-time CDF at the largest size.
Run: ``.venv/bin/python benchmarks/burst.py [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
from rich.console import Console
from rich.table import Table

from xaas_parsl.burst import StartSummary, WorkerContext, flare, plot_cdf, summarize
from xaas_parsl.sites.parsl_config import INTERCHANGE_CMD, LOCAL_WORKER_CMD

RESULTS = Path(__file__).parent / "results"
WIDTH = 8  # processes in every pool; flares use WIDTH packs
SIZES = (8, 64, 512)


def noop(ctx: WorkerContext) -> None:
    """Flare worker doing nothing (its start is stamped by the pack)."""


def stamp() -> float:
    """Baseline task: its first line is its start (imports inside: Parsl ships ``__main__``
    functions by value, without module globals)."""
    import time as clock

    return clock.time()


def htex_config(run_dir: str) -> Config:
    """WIDTH HTEX workers on this machine regardless of its core count (no-op work)."""
    htex = HighThroughputExecutor(
        label="compute", max_workers_per_node=WIDTH, cores_per_worker=0.01, cpu_affinity="none",
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
        launch_cmd=LOCAL_WORKER_CMD, interchange_launch_cmd=INTERCHANGE_CMD)
    return Config(executors=[htex], run_dir=run_dir, strategy_period=0.5)


def run_flare(size: int) -> tuple[StartSummary, list[float]]:
    future = flare(noop, size, max(1, size // WIDTH), executor="compute", timeout=60,
                   start_timeout=60)
    future.result(timeout=120)
    timing = future.timing
    return timing.summary(), [s - timing.t0 for s in timing.starts]


def run_tasks(submit: Callable[[], Any], size: int) -> tuple[StartSummary, list[float]]:
    t0 = time.time()
    futures = [submit() for _ in range(size)]
    starts = [f.result(timeout=120) for f in futures]
    return summarize(t0, starts, [time.time()]), [s - t0 for s in starts]


def measure(name: str, run: Callable[[int], tuple[StartSummary, list[float]]], reps: int,
            granularity: Callable[[int], int], out: list[dict[str, Any]],
            cdfs: dict[str, list[float]]) -> None:
    run(SIZES[0])  # warm-up: imports in every worker
    for size in SIZES:
        summaries = []
        for _ in range(reps):
            summary, rel = run(size)
            summaries.append(summary)
        if size == SIZES[-1]:
            cdfs[name] = rel
        out.append({
            "runner": name, "size": size, "granularity": granularity(size), "reps": reps,
            "time_to_all_started_s": statistics.median(
                s.time_to_all_started_s for s in summaries),
            "start_spread_s": statistics.median(s.start_spread_s for s in summaries),
            "start_iqr_s": statistics.median(s.start_iqr_s for s in summaries),
            "start_p90_p10_s": statistics.median(s.start_p90_p10_s for s in summaries),
        })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 10")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout only")
    args = parser.parse_args()
    reps = 3 if args.quick else 10
    rows: list[dict[str, Any]] = []
    cdfs: dict[str, list[float]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as run_dir:
        dfk = parsl.load(htex_config(run_dir))
        try:
            app = python_app(stamp, executors=["compute"])
            measure("flare", run_flare, reps, lambda n: max(1, n // WIDTH), rows, cdfs)
            measure("parsl-tasks", lambda n: run_tasks(app, n), reps, lambda n: 1, rows, cdfs)
        finally:
            dfk.cleanup()
            parsl.clear()
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WIDTH, mp_context=ctx) as pool:
        measure("process-pool", lambda n: run_tasks(lambda: pool.submit(stamp), n), reps,
                lambda n: 1, rows, cdfs)
    try:
        import lithops  # type: ignore[import-not-found]  # noqa: F401
        notes.append("lithops is installed but its runner is not implemented yet")
    except ImportError:
        notes.append("lithops: skipped (package not installed; no offline install attempted)")
    report(rows, cdfs, notes, reps, args.json)


def report(rows: list[dict[str, Any]], cdfs: dict[str, list[float]], notes: list[str],
           reps: int, as_json: bool) -> None:
    flare_at = {r["size"]: r for r in rows if r["runner"] == "flare"}
    for row in rows:
        base = flare_at[row["size"]]
        row["ratio_to_flare_time_to_all_started"] = (
            row["time_to_all_started_s"] / base["time_to_all_started_s"])
    RESULTS.mkdir(exist_ok=True)
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (RESULTS / "burst.jsonl").write_text(lines)
    plot = plot_cdf({f"{k} (N={SIZES[-1]})": v for k, v in cdfs.items()},
                    RESULTS / "burst_cdf.png", title=f"Start times, N={SIZES[-1]}, warm pools")
    if as_json:
        sys.stdout.write(lines)
        return
    console = Console()
    table = Table(title=f"Start of N no-op workers, median of {reps} (width {WIDTH} processes)")
    for col in ("runner", "N", "g", "all started s", "spread s", "IQR s", "p90-p10 s",
                "x flare"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["runner"], str(r["size"]), str(r["granularity"]),
                      f"{r['time_to_all_started_s']:.4f}", f"{r['start_spread_s']:.4f}",
                      f"{r['start_iqr_s']:.4f}", f"{r['start_p90_p10_s']:.4f}",
                      f"{r['ratio_to_flare_time_to_all_started']:.2f}")
    console.print(table)
    big = flare_at[SIZES[-1]]
    goal = big["time_to_all_started_s"] <= 1.0 and big["start_spread_s"] <= 0.1
    console.print(f"goal (N={SIZES[-1]} flare all started ≤ 1 s, spread ≤ 0.1 s): "
                  f"{'met' if goal else 'NOT met'}")
    for note in notes:
        console.print(f"note: {note}")
    console.print(f"results: {RESULTS / 'burst.jsonl'}, plot: {plot}")


if __name__ == "__main__":
    main()
