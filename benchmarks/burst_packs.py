"""Do a pack's workers run in parallel? Process packs against thread packs, same run.

One flare of ONE pack with g = N = 2 × cores workers, each running the same CPU-bound pure
Python loop (``xaas_parsl.burst.apps.probe.spin``), once with ``worker_kind="process"`` and
once with ``"thread"``, alternating, on a warm one-process pool (the pack task). Wall time =
flare launch to result.
Threads of one pack share one GIL, so their wall time is about N × one worker's work; processes
spread over the cores, so the ideal ratio processes ÷ threads is 1 / cores (0.5 on 2 cores);
the goal is ≤ 0.6. Reported: the median ratio over repetitions and its spread (min, max),
the wall times per repetition and kind, and beside each repetition ``machine_ratio``: the same
work on N plain forked processes ÷ serially, the best the machine allowed at that moment. JSON
in ``benchmarks/results/burst_packs.json``, a plot in ``burst_packs.png``. On a machine shared
with other work both ratios move toward 1 as the other load takes the cores.

Run: ``.venv/bin/python benchmarks/burst_packs.py [--reps R] [--loops L] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from xaas_parsl.burst import flare
from xaas_parsl.burst.apps.probe import spin

RESULTS = Path(__file__).resolve().parent / "results"


def _plain_spin(loops: int) -> None:
    total = 0
    for i in range(loops):
        total += i * i % 7


def machine(n: int, loops: int) -> float:
    """The same work on ``n`` plain forked processes ÷ run serially here: the parallelism the
    machine offers right now (the floor the flare's ratio can reach), measured beside it."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_plain_spin, args=(loops,)) for _ in range(n)]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    parallel = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        _plain_spin(loops)
    return parallel / (time.perf_counter() - start)


def one(pool: ProcessPoolExecutor, kind: str, n: int, loops: int) -> float:
    start = time.perf_counter()
    results = flare(spin, n, n, args=(loops,), executor=pool, timeout=600,
                    worker_kind=kind).result()
    wall = time.perf_counter() - start
    assert len(set(results)) == 1 and len(results) == n
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--loops", type=int, default=2_000_000, help="loop steps per worker")
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout only")
    ns = parser.parse_args()
    cores = os.cpu_count() or 1
    n = 2 * cores
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        one(pool, "thread", n, 1000)  # warm the pool
        for rep in range(ns.reps):
            walls = {kind: one(pool, kind, n, ns.loops) for kind in
                     (("process", "thread") if rep % 2 == 0 else ("thread", "process"))}
            rows.append({"rep": rep, **{f"{k}_s": v for k, v in walls.items()},
                         "ratio": walls["process"] / walls["thread"],
                         "machine_ratio": machine(n, ns.loops)})
            if not ns.json:
                print(f"rep {rep}: process {walls['process']:.2f} s, thread "
                      f"{walls['thread']:.2f} s, ratio {rows[-1]['ratio']:.3f} (plain "
                      f"processes ÷ serial: {rows[-1]['machine_ratio']:.3f})", file=sys.stderr)
    ratios = [r["ratio"] for r in rows]
    summary = {"cores": cores, "n": n, "g": n, "loops": ns.loops, "reps": ns.reps,
               "cpu_flare_ratio": statistics.median(ratios), "ratio_min": min(ratios),
               "ratio_max": max(ratios),
               "machine_ratio": statistics.median(r["machine_ratio"] for r in rows),
               "goal": 0.6, "ideal": 1 / cores,
               "load_avg_1m": os.getloadavg()[0], "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "burst_packs.json").write_text(json.dumps(summary, indent=2) + "\n")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    xs = [r["rep"] for r in rows]
    ax.plot(xs, [r["thread_s"] for r in rows], "o-", label="threads (one GIL)")
    ax.plot(xs, [r["process_s"] for r in rows], "s-", label="processes")
    ax.set_xlabel("repetition")
    ax.set_ylabel("wall time [s]")
    ax.set_title(f"one pack, g = N = {n} CPU-bound workers, {cores} cores: "
                 f"ratio {summary['cpu_flare_ratio']:.2f}", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "burst_packs.png", dpi=120)
    line = {k: v for k, v in summary.items() if k != "rows"}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
