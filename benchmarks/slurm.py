"""Parsl and flares on the local Slurm cluster (emulated Alps, ``scripts/start-slurm.sh``).

Measured in one run, each against its baseline in the same run:

1. **load → first result**: ``parsl.load(config("alps", nodes=2))`` to the first no-op
   result (the block's ``sbatch``, its ``srun`` of the worker pools, one task).
2. **throughput**: no-op tasks/s over the two nodes (one block of two nodes, 2 workers each)
   against the same HTEX with a ``LocalProvider`` and the same number of workers.
   ``throughput_ratio`` = Slurm ÷ local (goal ≥ 0.8).
3. **flare of 64 workers over 2 nodes**: ``xaas burst step alps --run --nodes 2`` inside a
   batch job (2 packs of 32 forked workers, one per node; the same with threads): time to all
   started from the ``srun`` step's start, and spread = last worker start − first worker
   start (``flare_spread_s``, process packs; goal ≤ 0.1 s).
4. **CPU-bound flare, one pack of g = N = 2 × cores workers** (``probe.spin``), as an
   ``srun`` step on one node, processes against threads, alternating: wall = last worker end −
   first worker start. ``cpu_flare_ratio`` = processes ÷ threads (goal ≤ 0.6, ideal 1/cores).

The emulated nodes share this machine's cores: both nodes' workers, the interchange and the
driver compete for the same 2 CPUs, as the local baseline's do. Results: JSON and a plot in
``benchmarks/results/slurm{,_quick}.{json,png}``; the last stdout line is the summary as JSON.

Run (as root, cluster up): ``.venv/bin/python benchmarks/slurm.py [--quick] [--json]``
(about 3 min with ``--quick``, 8 without).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import parsl
from parsl.app.app import python_app

from xaas_parsl.sites import config

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
XAAS = str(Path(sys.executable).with_name("xaas"))
ACCOUNT = os.environ.get("XAAS_ACCOUNT", "xaas-test")


def log(message: str) -> None:
    print(f"[slurm-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def apps() -> tuple[Any, Any]:
    """Defined here so they travel by value (workers need not import this script)."""
    @python_app(executors=["compute"])
    def noop() -> None:
        return None

    @python_app(executors=["compute"])
    def where(seconds: float) -> str:
        import socket
        import time
        time.sleep(seconds)
        return socket.gethostname()

    return noop, where


def tasks_per_second(noop: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    futures = [noop() for _ in range(n)]
    for future in futures:
        future.result(timeout=600)
    return n / (time.perf_counter() - start)


def parsl_part(site: str, tasks: int, workers: int, run_dir: Path, hosts: int) -> dict[str, Any]:
    """Load the site's config, time the first result, wait until every node's pool is there,
    then time ``tasks`` no-op tasks."""
    if site == "local":
        cfg = config("local", workers_per_node=workers, run_dir=run_dir)
    else:
        cfg = config(site, account=ACCOUNT, nodes=hosts, max_blocks=1, run_dir=run_dir)
    noop, where = apps()
    start = time.perf_counter()
    with parsl.load(cfg):
        noop().result(timeout=300)
        first = time.perf_counter() - start
        seen: set[str] = set()
        deadline = time.monotonic() + 120
        while len(seen) < hosts and time.monotonic() < deadline:
            seen |= {f.result(timeout=120) for f in [where(0.3) for _ in range(2 * workers)]}
        tasks_per_second(noop, min(100, tasks))   # warm
        rate = tasks_per_second(noop, tasks)
    parsl.clear()
    return {"load_to_first_result_s": first, "tasks_per_s": rate, "hosts": sorted(seen)}


def step(args: list[str], nodes: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``xaas burst step alps --run ARGS`` as a batch job's script; its summary line."""
    with tempfile.TemporaryDirectory(dir=REPO, prefix=".slurm-bench-") as tmp:
        out = Path(tmp) / "job.out"
        driver = [XAAS, "burst", "step", "alps", "--run", "--nodes", str(nodes), "--python",
                  sys.executable, "--out-dir", tmp, "--timeout", "300", *args]
        proc = subprocess.run(["sbatch", "--wait", "--parsable", "-A", ACCOUNT, "-N", str(nodes),
                               "--exclusive", "-t", "10", "-D", str(REPO), "-o", str(out),
                               "--wrap", shlex.join(driver)],
                              capture_output=True, text=True, timeout=900, check=False,
                              env={**os.environ, **(env or {})})
        text = out.read_text() if out.exists() else ""
        if proc.returncode != 0:
            raise SystemExit(f"slurm-bench: step {args} failed: {proc.stderr.strip()} {text}")
        summary: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
        return summary


def flare_part(reps: int) -> dict[str, Any]:
    rows = []
    for rep in range(reps):
        for kind in ("process", "thread"):
            s = step(["--size", "64", "--granularity", "32", "--workers", kind,
                      "--function", "xaas_parsl.burst.apps.probe:rank"], nodes=2)
            rows.append({"rep": rep, "workers": kind, "hosts": s["hosts"],
                         "time_to_all_started_s": s["time_to_all_started_s"],
                         "start_spread_s": s["start_spread_s"]})
            log(f"flare 64 over {s['hosts']} ({kind}): all started after "
                f"{s['time_to_all_started_s']:.3f} s, spread {s['start_spread_s']:.4f} s")
    proc = [r for r in rows if r["workers"] == "process"]
    return {"rows": rows,
            "flare_spread_s": statistics.median(r["start_spread_s"] for r in proc),
            "flare_time_to_all_started_s": statistics.median(
                r["time_to_all_started_s"] for r in proc)}


def cpu_part(reps: int, loops: int) -> dict[str, Any]:
    n = 2 * (os.cpu_count() or 1)
    rows = []
    for rep in range(reps):
        walls = {}
        for kind in (("process", "thread") if rep % 2 == 0 else ("thread", "process")):
            s = step(["--size", str(n), "--granularity", str(n), "--workers", kind,
                      "--function", "xaas_parsl.burst.apps.probe:spin"], nodes=1,
                     env={"XAAS_BURST_SPIN_LOOPS": str(loops)})
            walls[kind] = s["run_time_s"] - s["first_start_s"]
        rows.append({"rep": rep, **{f"{k}_s": v for k, v in walls.items()},
                     "ratio": walls["process"] / walls["thread"]})
        log(f"cpu flare g=N={n}: process {walls['process']:.2f} s, thread "
            f"{walls['thread']:.2f} s, ratio {rows[-1]['ratio']:.3f}")
    return {"n": n, "g": n, "loops": loops, "rows": rows,
            "cpu_flare_ratio": statistics.median(r["ratio"] for r in rows)}


def plot(result: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    tp = result["throughput"]
    axes[0].bar(["Slurm, 2 nodes", "local"], [tp["slurm"]["tasks_per_s"],
                                             tp["local"]["tasks_per_s"]], color=["C0", "C7"])
    axes[0].set_ylabel("no-op tasks/s")
    axes[0].set_title(f"HTEX throughput: ratio {result['throughput_ratio']:.2f}", fontsize=9)
    for kind, marker in (("process", "o"), ("thread", "s")):
        rows = [r for r in result["flare"]["rows"] if r["workers"] == kind]
        axes[1].plot([r["rep"] for r in rows], [r["start_spread_s"] for r in rows],
                     marker=marker, label=f"{kind} packs")
    axes[1].axhline(0.1, color="grey", ls=":", label="goal")
    axes[1].set_xlabel("repetition")
    axes[1].set_ylabel("start spread [s]")
    axes[1].set_title("flare of 64 over 2 nodes (one srun step)", fontsize=9)
    axes[1].legend(fontsize=8)
    rows = result["cpu"]["rows"]
    axes[2].plot([r["rep"] for r in rows], [r["thread_s"] for r in rows], "s-", label="threads")
    axes[2].plot([r["rep"] for r in rows], [r["process_s"] for r in rows], "o-",
                 label="processes")
    axes[2].set_xlabel("repetition")
    axes[2].set_ylabel("wall [s]")
    axes[2].set_title(f"CPU flare, one pack g=N={result['cpu']['n']}: ratio "
                      f"{result['cpu_flare_ratio']:.2f}", fontsize=9)
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer tasks and repetitions")
    parser.add_argument("--json", action="store_true", help="only the summary line on stdout")
    ns = parser.parse_args()
    tasks, reps = (300, 1) if ns.quick else (2000, 3)
    workers = 2 * 2   # 2 nodes x min(GPUs, cores) = 2 HTEX workers each on this machine
    with tempfile.TemporaryDirectory(prefix="xaas-slurm-bench-") as tmp:
        log(f"Parsl on Alps (2 nodes), {tasks} no-op tasks")
        slurm = parsl_part("alps", tasks, workers, Path(tmp) / "alps", hosts=2)
        log(f"  first result after {slurm['load_to_first_result_s']:.2f} s, "
            f"{slurm['tasks_per_s']:.0f} tasks/s on {slurm['hosts']}")
        log(f"Parsl local, {workers} workers")
        local = parsl_part("local", tasks, workers, Path(tmp) / "local", hosts=1)
        log(f"  {local['tasks_per_s']:.0f} tasks/s")
    result: dict[str, Any] = {
        "benchmark": "slurm", "quick": ns.quick, "cores": os.cpu_count(), "tasks": tasks,
        "workers": workers, "load_to_first_result_s": slurm["load_to_first_result_s"],
        "throughput": {"slurm": slurm, "local": local},
        "throughput_ratio": slurm["tasks_per_s"] / local["tasks_per_s"],
        "goals": {"throughput_ratio": 0.8, "flare_spread_s": 0.1, "cpu_flare_ratio": 0.6}}
    result["flare"] = flare_part(reps)
    result["flare_spread_s"] = result["flare"]["flare_spread_s"]
    result["cpu"] = cpu_part(max(reps, 2) if not ns.quick else 2,
                             loops=4_000_000 if ns.quick else 10_000_000)
    result["cpu_flare_ratio"] = result["cpu"]["cpu_flare_ratio"]
    result["load_avg_1m"] = os.getloadavg()[0]
    name = "slurm_quick" if ns.quick else "slurm"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, RESULTS / f"{name}.png")
    line = {k: result[k] for k in ("throughput_ratio", "flare_spread_s", "cpu_flare_ratio",
                                   "load_to_first_result_s", "load_avg_1m")}
    if not ns.json:
        log(f"results in {RESULTS / name}.json and .png")
    print(json.dumps(line))


if __name__ == "__main__":
    main()
