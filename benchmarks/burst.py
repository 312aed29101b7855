"""How together do N workers start? Flares against one-task-per-worker baselines.

Runners, all on warm local pools of the same width W (processes), doing the same no-op work:

* ``flare``: ``xaas_parsl.burst.flare`` on Parsl's HighThroughputExecutor, workers packed
  ``granularity`` per pack (one HTEX task per pack);
* ``parsl-tasks``: one plain Parsl ``python_app`` per worker on the same executor;
* ``lithops-localhost``: Lithops ``FunctionExecutor.map`` on its localhost backend, version 1,
  ``worker_processes = W``, runtime = this interpreter;
* ``process-pool``: one ``concurrent.futures.ProcessPoolExecutor`` task per worker.

t0 is the launch call in the driver, a worker's start is the timestamp of its first line
(in-function). Reported per runner/size/granularity: the median over repetitions of
time-to-all-started (max start − t0), start spread (last − first), IQR and p90 − p10; ratios of
every runner to the flare and of the flare to Lithops at N = 64; start-time CDFs (PNG).

Full run: flare N = 8, 64, 512 with g = 1 (up to N = 64), 8, 64 and N; the baselines at
N = 8, 64, 512; W = 64 (the widest flare, N = 64 g = 1, needs 64 packs placed at once).
``--quick``: the flare at N = 512 (g = 64) and every runner at N = 64 (flare g = 8), W = 8.
``--json``: JSON Lines on stdout (one object per configuration), progress on stderr.
Run: ``.venv/bin/python benchmarks/burst.py [--quick] [--json] [--reps R]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from xaas_parsl.burst import StartSummary, WorkerContext, flare, plot_cdf, summarize
from xaas_parsl.sites.parsl_config import INTERCHANGE_CMD, LOCAL_WORKER_CMD

RESULTS = Path(__file__).parent / "results"
Run = Callable[[int, int], tuple[StartSummary, list[float]]]


def noop(ctx: WorkerContext) -> None:
    """Flare worker doing nothing (its start is stamped by its pack on the thread's first
    line)."""


def stamp(_: object = None) -> float:
    """Baseline task: its first line is its start (imports inside: Parsl ships ``__main__``
    functions by value, without module globals)."""
    import time as clock

    return clock.time()


def hold(seconds: float) -> int:
    """Warm-up task: keeps its worker busy so that ``width`` of them run at once, and imports
    the pack code there (else the first pack on each worker pays the import in its start)."""
    import os
    import time as clock

    import xaas_parsl.burst.pack  # noqa: F401

    clock.sleep(seconds)
    return os.getpid()


def wait_for_workers(app: Callable[..., Any], width: int, err: Console) -> None:
    """Block until ``width`` distinct HTEX workers ran a task at the same time (all started,
    imports done): with many workers on few cores that takes a while, and a flare whose packs
    cannot all be placed would time out its gang start."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        pids = {f.result(timeout=600) for f in [app(1.0) for _ in range(width)]}
        if len(pids) == width:
            return
        err.print(f"waiting for HTEX workers: {len(pids)} of {width} ran at once")
    raise SystemExit(f"HTEX did not bring up {width} workers within 600 s")


def plan(quick: bool) -> tuple[int, list[tuple[str, int, int]]]:
    """(pool width, [(runner, size, granularity)]) of a run."""
    if quick:
        configs = [("flare", 512, 64)] + [(r, 64, 8 if r == "flare" else 1) for r in
                                          ("flare", "parsl-tasks", "lithops-localhost",
                                           "process-pool")]
        return 8, configs
    flares = [(8, 1), (8, 8), (64, 1), (64, 8), (64, 64), (512, 8), (512, 64), (512, 512)]
    configs = [("flare", n, g) for n, g in flares]
    configs += [(r, n, 1) for r in ("parsl-tasks", "lithops-localhost", "process-pool")
                for n in (8, 64, 512)]
    return 64, configs


def htex_config(run_dir: str, width: int) -> Config:
    """``width`` HTEX workers on this machine regardless of its core count (no-op work)."""
    htex = HighThroughputExecutor(
        label="compute", max_workers_per_node=width, cores_per_worker=0.01, cpu_affinity="none",
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
        launch_cmd=LOCAL_WORKER_CMD, interchange_launch_cmd=INTERCHANGE_CMD)
    return Config(executors=[htex], run_dir=run_dir, strategy_period=0.5)


def run_flare(size: int, granularity: int) -> tuple[StartSummary, list[float]]:
    # Thread packs: this measures how together no-op workers start (g up to 512 per pack on 2
    # cores, where forking g processes would measure fork); burst_packs.py measures processes.
    future = flare(noop, size, granularity, executor="compute", timeout=60, start_timeout=60,
                   worker_kind="thread")
    future.result(timeout=120)
    timing = future.timing
    return timing.summary(), [s - timing.t0 for s in timing.starts]


def run_tasks(submit: Callable[[int], list[Any]], size: int) -> tuple[StartSummary, list[float]]:
    """``submit(size)`` launches ``size`` tasks and returns their futures (or results)."""
    t0 = time.time()
    handles = submit(size)
    starts = [h.result(timeout=300) if hasattr(h, "result") else h for h in handles]
    return summarize(t0, starts, [time.time()]), [s - t0 for s in starts]


@contextmanager
def runners(width: int, names: set[str], err: Console) -> Iterator[dict[str, Run]]:
    """The warm pools of the requested runners, started once and shut down at the end."""
    out: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as run_dir:
        dfk = parsl.load(htex_config(run_dir, width)) if names & {"flare", "parsl-tasks"} else None
        pool = ProcessPoolExecutor(width, mp_context=multiprocessing.get_context("fork"))
        fexec = None
        try:
            if dfk is not None:
                app = python_app(stamp, executors=["compute"])
                wait_for_workers(python_app(hold, executors=["compute"]), width, err)
                out["flare"] = run_flare
                out["parsl-tasks"] = lambda n, g: run_tasks(lambda k: [app() for _ in range(k)],
                                                            n)
            out["process-pool"] = lambda n, g: run_tasks(
                lambda k: [pool.submit(stamp) for _ in range(k)], n)
            if "lithops-localhost" in names:
                import lithops  # type: ignore[import-untyped]

                fexec = lithops.FunctionExecutor(config={
                    "lithops": {"backend": "localhost", "storage": "localhost"},
                    "localhost": {"version": 1, "runtime": sys.executable,
                                  "worker_processes": width}}, log_level=None)

                def lithops_map(k: int) -> list[Any]:
                    futures = fexec.map(stamp, range(k))
                    result: list[Any] = fexec.get_result(fs=futures, show_progressbar=False)
                    return result

                out["lithops-localhost"] = lambda n, g: run_tasks(lithops_map, n)
            yield out
        finally:
            if fexec is not None:
                fexec.clean()
            pool.shutdown()
            if dfk is not None:
                dfk.cleanup()
                parsl.clear()


def measure(quick: bool, reps: int, err: Console) -> tuple[int, list[dict[str, Any]],
                                                           dict[tuple[str, int, int], list[float]]]:
    width, configs = plan(quick)
    rows: list[dict[str, Any]] = []
    cdfs: dict[tuple[str, int, int], list[float]] = {}
    with runners(width, {c[0] for c in configs}, err) as run, Progress(console=err) as progress:
        task = progress.add_task("burst benchmark", total=len(configs) * (reps + 1))
        for name, size, granularity in configs:
            progress.update(task, description=f"{name} N={size} g={granularity}")
            run[name](min(size, 8), min(granularity, 8))  # warm-up: imports in the workers
            progress.advance(task)
            summaries = []
            for _ in range(reps):
                summary, rel = run[name](size, granularity)
                summaries.append(summary)
                progress.advance(task)
            cdfs[(name, size, granularity)] = rel
            rows.append({
                "runner": name, "size": size, "granularity": granularity, "reps": reps,
                "width": width,
                **{key: statistics.median(getattr(s, key) for s in summaries)
                   for key in ("time_to_all_started_s", "start_spread_s", "start_iqr_s",
                               "start_p90_p10_s", "first_start_s")},
            })
    return width, rows, cdfs


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Each row's ratio to the best flare of its size, and the flares' advantage over Lithops
    at the same size (baseline / flare: > 1 means the flare is better)."""
    best = {}
    for row in rows:
        if row["runner"] == "flare":
            size = row["size"]
            if size not in best or row["time_to_all_started_s"] < best[size][
                    "time_to_all_started_s"]:
                best[size] = row
    lithops_at = {r["size"]: r for r in rows if r["runner"] == "lithops-localhost"}
    for row in rows:
        base = best.get(row["size"])
        if base is not None:
            row["x_best_flare_time_to_all_started"] = (
                row["time_to_all_started_s"] / base["time_to_all_started_s"])
        lith = lithops_at.get(row["size"])
        if row["runner"] == "flare" and lith is not None:
            for key in ("time_to_all_started_s", "start_spread_s"):
                row[f"lithops_over_flare_{key[:-2]}"] = lith[key] / max(row[key], 1e-9)


def draw(cdfs: dict[tuple[str, int, int], list[float]], stem: str, width: int) -> list[Path]:
    """One start-time CDF per size (log time axis: runners differ by orders of magnitude)."""
    plots = []
    for size in sorted({k[1] for k in cdfs}):
        series = {f"{n} g={g}" if n == "flare" else n: v for (n, s, g), v in cdfs.items()
                  if s == size}
        plots.append(plot_cdf(series, RESULTS / f"{stem}_cdf_{size}.png", log_x=True,
                              title=f"Starts of N={size} no-op workers, pools of {width}"))
    return plots


def report(rows: list[dict[str, Any]], cdfs: dict[tuple[str, int, int], list[float]],
           quick: bool, reps: int, width: int, as_json: bool) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = "burst_quick" if quick else "burst"
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (RESULTS / f"{stem}.jsonl").write_text(lines)
    (RESULTS / f"{stem}_starts.json").write_text(json.dumps({"width": width, "series": [
        {"runner": n, "size": size, "granularity": g, "starts_s": v}
        for (n, size, g), v in cdfs.items()]}))
    plots = draw(cdfs, stem, width)
    if as_json:
        sys.stdout.write(lines)
        return
    console = Console(record=True, width=120)
    table = Table(title=f"Start of N no-op workers, median of {reps} (pools {width} wide)")
    for col in ("runner", "N", "g", "all started s", "spread s", "IQR s", "p90-p10 s",
                "x best flare", "lithops/flare (start, spread)"):
        table.add_column(col)
    for r in rows:
        lith = (f"{r['lithops_over_flare_time_to_all_started']:.1f}x, "
                f"{r['lithops_over_flare_start_spread']:.1f}x"
                if "lithops_over_flare_start_spread" in r else "")
        table.add_row(r["runner"], str(r["size"]), str(r["granularity"]),
                      f"{r['time_to_all_started_s']:.4f}", f"{r['start_spread_s']:.4f}",
                      f"{r['start_iqr_s']:.4f}", f"{r['start_p90_p10_s']:.4f}",
                      f"{r.get('x_best_flare_time_to_all_started', float('nan')):.2f}", lith)
    console.print(table)
    big = [r for r in rows if r["runner"] == "flare" and r["size"] == 512 and r["granularity"] > 1]
    if big:
        b = min(big, key=lambda r: r["time_to_all_started_s"])
        goal = b["time_to_all_started_s"] <= 1.0 and b["start_spread_s"] <= 0.1
        console.print(f"goal 1 (N=512 g={b['granularity']} flare all started <= 1 s, spread "
                      f"<= 0.1 s): {'met' if goal else 'NOT met'}")
    at64 = [r for r in rows if r["runner"] == "flare" and r["size"] == 64
            and "lithops_over_flare_start_spread" in r]
    for r in at64:
        met = min(r["lithops_over_flare_time_to_all_started"],
                  r["lithops_over_flare_start_spread"]) >= 10
        console.print(f"goal 2 (N=64 g={r['granularity']} flare >= 10x better than Lithops "
                      f"localhost on both): {'met' if met else 'NOT met'}")
    console.print(f"results: {RESULTS / (stem + '.jsonl')}, plots: "
                  f"{', '.join(str(p) for p in plots)}")
    (RESULTS / f"{stem}.txt").write_text(console.export_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="flare at N=512 and every runner at N=64, 3 repetitions")
    parser.add_argument("--json", action="store_true", help="JSON Lines on stdout only")
    parser.add_argument("--reps", type=int, default=None,
                        help="repetitions per configuration (default 3 quick, 5 full)")
    parser.add_argument("--plot-only", action="store_true",
                        help="redraw the CDFs from the saved start times, measure nothing")
    args = parser.parse_args()
    stem = "burst_quick" if args.quick else "burst"
    if args.plot_only:
        saved = json.loads((RESULTS / f"{stem}_starts.json").read_text())
        draw({(r["runner"], r["size"], r["granularity"]): r["starts_s"]
              for r in saved["series"]}, stem, saved["width"])
        return
    reps = args.reps or (3 if args.quick else 5)
    err = Console(stderr=True)
    start = time.monotonic()
    width, rows, cdfs = measure(args.quick, reps, err)
    add_ratios(rows)
    report(rows, cdfs, args.quick, reps, width, args.json)
    err.print(f"benchmark took {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
