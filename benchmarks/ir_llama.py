"""llama.cpp (ggml CPU backend) from one IR bundle vs building every configuration from source.

Four x86 configurations of the llama-cpp-python 0.3.36 sdist's vendored llama.cpp
(``xaas_parsl/bundled_apps/llama.cpp/ir-cpu.yaml``, GGML_NATIVE=OFF): ``SSE42``, ``AVX2``
(+FMA, F16C, BMI2), ``AVX512`` and ``AVX512_VNNI_BF16``; each builds ggml and llama.cpp's
``test-quantize-fns`` and ``test-backend-ops`` with clang-19. The script measures, in one run
on one machine, CPU seconds (user + system of all child processes) of every phase:

1. the IR path in ``--mode`` (default ``split``): ``build_bundle`` (configure ×4, preprocess,
   emit deduplicated IR, and in split mode the simplification half of the optimisation
   pipeline once per IR file) plus ``deploy`` of each configuration (re-target, optimisation
   half, code generation, link, install; objects whose IR and target are identical to an
   earlier deployment's are reused) — each with its per-phase breakdown;
2. the source path: ``cmake_build`` of each configuration (same compiler, same arguments),
   each right after the same configuration's deployment;
3. parity per configuration: objects of the deployed tree vs the native build (disassembly;
   differing functions listed; ``xaas_parsl.ir.parity``), installed executables byte for
   byte when both trees were built from the same llama.cpp path (``__FILE__`` strings);
4. in split mode, a ``full``-mode deployment of the timed configuration from the same bundle
   (what the split saves);
5. ``test-quantize-fns`` of every deployed configuration this CPU can run;
6. ``test-backend-ops perf -o MUL_MAT -b CPU`` of the IR-deployed and the native build of the
   widest configuration this CPU runs, interleaved rounds (order alternating), per case the
   median us/run and GFLOPS; the figure is the median over cases of IR/native time (goal:
   within 2 %).

Goals (issue 24): one deployment ≤ 0.4× the CPU time of building that configuration from
source (``deploy_over_source_cpu``, median over configurations) and IR build + 4 deployments
≤ 0.7× the four source builds (``ir_over_native_build_cpu``).

Phases already done are kept in ``<workdir>/state.json`` and skipped on a rerun (``--fresh``
redoes them); the timings in the JSON are those of the run that did each phase. Results:
``benchmarks/results/ir_llama.{json,png}``. Never part of CI (an hour or more on 2 cores).

Run: ``nice -n 19 .venv/bin/python benchmarks/ir_llama.py [--rounds 5] [--mode split|full]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xaas_parsl.build.cmake import cmake_build
from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir import build_bundle, deploy
from xaas_parsl.ir.bundle import literal_irs, read_units
from xaas_parsl.ir.parity import differing_objects, identical_files
from xaas_parsl.resumable import State, interleaved, pinned

RESULTS = Path(__file__).parent / "results"
APP = BUNDLED_APPS / "llama.cpp" / "ir-cpu.yaml"
# Which CPU flags (/proc/cpuinfo) each configuration's code needs to run.
NEEDS = {"SSE42": {"sse4_2"}, "AVX2": {"avx2", "fma", "f16c", "bmi2"},
         "AVX512": {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"},
         "AVX512_VNNI_BF16": {"avx512f", "avx512_vnni", "avx512_bf16"}}
PERF_RE = re.compile(r"^\s*(MUL_MAT\(.*\)):\s+(\d+) runs -\s+([0-9.]+) us/run - .*?"
                     r"([0-9.]+) ([kMGT])FLOPS", re.MULTILINE)
# A 4096x14336 weight (llama-3-8B FFN) in four storage types, one and eight tokens.
PERF_FILTER = r"type_a=(f16|q4_0|q8_0|q4_K),type_b=f32,m=4096,n=(1|8),k=14336,bs=\[1,1\]"
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
SCALE = {"k": 1e-6, "M": 1e-3, "G": 1.0, "T": 1e3}
console = Console(stderr=True)


def cpu_flags() -> set[str]:
    """This machine's CPU flags."""
    for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def parse_perf(text: str) -> dict[str, tuple[float, float]]:
    """``test-backend-ops perf`` console output → case → (us/run, GFLOPS)."""
    return {m.group(1): (float(m.group(3)), float(m.group(4)) * SCALE[m.group(5)])
            for m in PERF_RE.finditer(ANSI_RE.sub("", text))}


def run_perf(exe: Path, filt: str | None) -> dict[str, tuple[float, float]]:
    """One ``test-backend-ops perf -o MUL_MAT -b CPU`` run (one thread on 2 cores)."""
    argv = [str(exe), "perf", "-o", "MUL_MAT", "-b", "CPU", *(["-p", filt] if filt else [])]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    cases = parse_perf(out)
    if not cases:
        raise RuntimeError(f"{exe}: no MUL_MAT perf lines in its output")
    return cases


def run_tests(prefix: Path) -> dict[str, Any]:
    """``test-quantize-fns -v`` from an install prefix: exit status, checks that said ``ok``
    and its ``N tests failed`` summary line."""
    proc = subprocess.run([str(prefix / "bin" / "test-quantize-fns"), "-v"],
                          capture_output=True, text=True, check=False, timeout=600)
    out = proc.stdout + proc.stderr
    failed = re.search(r"^(\d+) tests failed", out, re.MULTILINE)
    return {"returncode": proc.returncode, "checks_ok": len(re.findall(r": +ok \(", out)),
            "failed": int(failed.group(1)) if failed else None,
            "passed": proc.returncode == 0 and failed is not None and failed.group(1) == "0"}


Runs = dict[str, list[dict[str, tuple[float, float]]]]


def identical_executables(ir: Path, native: Path) -> dict[str, bool]:
    """Installed test programs of both paths compared byte for byte."""
    return identical_files(ir / "bin", native / "bin", ["test-quantize-fns", "test-backend-ops"])


def source_dir(tree: Path) -> str | None:
    """The llama.cpp tree a configured build used (its path ends up in the executables through
    ``__FILE__``: builds from two paths differ in those strings, not in code)."""
    cache = tree / "CMakeCache.txt"
    for line in cache.read_text("utf-8").splitlines() if cache.is_file() else []:
        if line.startswith("LLAMA_CPP_DIR:"):
            return os.path.realpath(line.split("=", 1)[1])
    return None


def compare_executables(bundle: Path, work: Path, name: str, installs: dict[str, Path]
                        ) -> dict[str, Any]:
    """Byte comparison of both paths' programs, when both were built from the same tree."""
    ir_src = source_dir(bundle / "builds" / name)
    native_src = source_dir(work / "native" / name / "build")
    if ir_src != native_src:
        return {"not_compared": f"native build from {native_src}, bundle from {ir_src}"}
    return dict(identical_executables(installs[f"ir-{name}"], installs[f"native-{name}"]))


def measure_perf(cache: Path, installs: dict[str, Path], labels: list[str], rounds: int,
                 filt: str | None, pin: int | None = None) -> Runs:
    """Interleaved perf rounds (the order alternates), cached in ``cache`` per filter, round
    count and pinned CPU: its own file, so it can run while another process is still building.
    The perf runs are single-threaded; ``pin`` keeps them (and only them) on one CPU."""
    key = f"{filt}|{rounds}" + (f"|cpu{pin}" if pin is not None else "")
    if cache.is_file() and (cached := load_json(cache)).get("key") == key:
        console.print("[dim]perf: measured before[/]")
        return {k: [{c: (v[0], v[1]) for c, v in run.items()} for run in runs]
                for k, runs in cached["runs"].items()}
    runs: Runs = {k: [] for k in labels}
    with pinned(pin):
        for r, label in interleaved(labels, rounds):
            console.print(f"perf round {r + 1}/{rounds}: {label}")
            runs[label].append(run_perf(installs[label] / "bin" / "test-backend-ops", filt))
    write_json(cache, {"key": key, "runs": runs})
    return runs


def _median_ratio(runs: Runs, ir: str, native: str, cases: list[str], rounds: Any) -> float:
    """Median over ``cases`` of (median IR time / median native time) over ``rounds``."""
    return float(statistics.median(statistics.median(runs[ir][r][c][0] for r in rounds)
                                   / statistics.median(runs[native][r][c][0] for r in rounds)
                                   for c in cases))


def perf_summary(runs: Runs, ir: str, native: str) -> dict[str, Any]:
    """Per-case medians, their IR/native ratio, the median over cases and its 95 % interval.

    The interval resamples whole rounds (an interleaved IR+native pair shares the machine's
    state of that moment; ``scipy.stats.bootstrap``, percentile). The verdict on ±2 % is made
    on the interval, not on the point: on a shared VM single runs vary by 10–30 %, and a point
    estimate inside ±2 % with an interval of ±6 % shows nothing."""
    from scipy.stats import bootstrap

    cases = sorted(set.intersection(*(set(x) for v in runs.values() for x in v)))
    per_case: dict[str, dict[str, float]] = {}
    for case in cases:
        med = {k: (statistics.median(x[case][0] for x in runs[k]),
                   statistics.median(x[case][1] for x in runs[k])) for k in (ir, native)}
        per_case[case] = {"ir_us": med[ir][0], "native_us": med[native][0],
                          "ir_gflops": med[ir][1], "native_gflops": med[native][1],
                          "ir_over_native_time": round(med[ir][0] / med[native][0], 4)}
    ratio = statistics.median(c["ir_over_native_time"] for c in per_case.values())
    rounds = min(len(runs[ir]), len(runs[native]))
    low, high = (bootstrap((list(range(rounds)),),
                           lambda idx: _median_ratio(runs, ir, native, cases, idx.astype(int)),
                           vectorized=False, n_resamples=2000, method="percentile",
                           random_state=0).confidence_interval
                 if rounds > 2 else (float("nan"), float("nan")))
    verdict = ("within ±2 %" if low >= 0.98 and high <= 1.02 else
               "outside ±2 %" if high < 0.98 or low > 1.02 else
               "not resolved: the 95 % interval reaches outside the ±2 % band")
    return {"cases": len(cases), "per_case": per_case,
            "median_ir_over_native_time": round(ratio, 4),
            "within_2pct": abs(ratio - 1) <= 0.02,
            "ci95_median_ir_over_native_time": [round(float(low), 4), round(float(high), 4)],
            "verdict_2pct": verdict}


def perf_config(names: list[str], flags: set[str]) -> str:
    """The configuration timed against its native build: the widest one this CPU runs."""
    runnable = [n for n in names if NEEDS[n] <= flags]
    return "AVX512" if "AVX512" in runnable else (runnable[-1] if runnable else names[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xaas-ir-llama"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filter", default=PERF_FILTER,
                        help="test-backend-ops -p regex on the MUL_MAT cases ('' = all ~400, "
                             "hours on 2 cores; default: 8 llama-8B-sized cases)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--mode", choices=["split", "full"], default="split",
                        help="IR optimisation mode of the bundle and its deployments")
    parser.add_argument("--fresh", action="store_true", help="Redo every phase.")
    parser.add_argument("--pin", type=int, default=None, metavar="CPU",
                        help="Run the perf rounds on this CPU only (sched_setaffinity): "
                             "no migration between cores in the middle of a case.")
    parser.add_argument("--cached-only", action="store_true",
                        help="Run no build phase that is not done yet; report what exists.")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    app = load_app(APP)
    configs = app.configurations("x86_64")
    names = [c.name for c in configs]
    flags = cpu_flags()
    timed = perf_config(names, flags)
    work = args.workdir.resolve()
    state = State(work / "state.json", args.fresh, args.cached_only)
    bundle = work / f"bundle-{args.mode}"
    m = args.mode
    state.phase(f"ir_build:{m}", lambda: build_bundle(app, bundle, names, args.jobs, mode=m),
                bundle / "bundle.json")
    installs: dict[str, Path] = {}
    # The timed configuration first, and each configuration's deploy next to its source
    # build, so a change of the shared machine's load hits both paths alike.
    for config in sorted(configs, key=lambda c: c.name != timed):
        name = config.name
        installs[f"ir-{name}"] = bundle / "deploy" / name / "install"
        state.phase(f"ir_deploy:{m}:{name}", lambda n=name: deploy(bundle, n, jobs=args.jobs),
                    installs[f"ir-{name}"])
        tree = work / "native" / name
        cmake_args = [*app.cmake_args, *config.cmake_args(), "-DCMAKE_C_COMPILER=clang-19",
                      "-DCMAKE_CXX_COMPILER=clang++-19"]
        installs[f"native-{name}"] = tree / "install"
        state.phase(f"native:{name}",
                    lambda t=tree, a=cmake_args: str(cmake_build(app.source, t / "build",
                                                                 t / "install", a,
                                                                 jobs=args.jobs).prefix),
                    installs[f"native-{name}"])
        # compared now: a later full-mode deployment of the timed configuration relinks
        # the same tree
        state.phase(f"parity:{m}:{name}",
                    lambda n=name: differing_objects(bundle / "builds" / n,
                                                     work / "native" / n / "build"))
    if m == "split":  # the old mode on the same bundle, one configuration: what split saves
        full_install = work / "full-mode" / timed / "install"
        installs[f"ir-full-{timed}"] = full_install
        state.phase(f"ir_deploy:full:{timed}",
                    lambda: deploy(bundle, timed, install_dir=full_install, jobs=args.jobs,
                                   mode="full"), full_install)
    report(args, work, bundle, names, timed, state.data, installs,
           {c.name: c.cmake_args() for c in configs})


def cpu(phases: dict[str, Any], key: str) -> float:
    """CPU seconds of a finished phase, plus ``cpu_seconds_added`` where part of the phase
    ran in an earlier, interrupted process and was measured separately (``note`` says how;
    both end up in the JSON)."""
    return float(phases[key]["cpu_seconds"]) + float(phases[key].get("cpu_seconds_added", 0))


def report(args: argparse.Namespace, work: Path, bundle: Path, names: list[str], timed: str,
           phases: dict[str, Any], installs: dict[str, Path],
           configs: dict[str, list[str]]) -> None:
    """Tests, perf rounds, parity checks; the JSON, the table and the plot."""
    m = args.mode
    flags = cpu_flags()
    runnable = {n: NEEDS[n] <= flags for n in names}
    tests: dict[str, Any] = {}
    for label in [f"ir-{n}" for n in names] + [f"native-{timed}", f"ir-full-{timed}"]:
        name = label.rsplit("-", 1)[1] if label.startswith("ir-full") else label.split("-", 1)[1]
        if label not in installs:
            continue
        if not runnable[name]:
            tests[label] = {"passed": None,
                            "skipped": "CPU lacks " + ", ".join(sorted(NEEDS[name] - flags))}
        elif not installs[label].exists():
            tests[label] = {"passed": None, "skipped": "not built yet"}
        else:
            tests[label] = run_tests(installs[label])
        console.print(f"test-quantize-fns {label}: {tests[label]}")
    ir_label, native_label = f"ir-{timed}", f"native-{timed}"
    perf: dict[str, Any] = {"command": "test-backend-ops perf -o MUL_MAT -b CPU"
                            + (f" -p {args.filter}" if args.filter else ""),
                            "config": timed, "rounds": args.rounds, "pinned_cpu": args.pin}
    if installs[ir_label].exists() and installs[native_label].exists() and runnable[timed]:
        runs = measure_perf(work / f"perf-{m}-{timed}.json", installs,
                            [ir_label, native_label], args.rounds, args.filter, args.pin)
        perf.update(perf_summary(runs, ir_label, native_label))
    parity = {k.rsplit(":", 1)[1]: v["result"] for k, v in phases.items()
              if k.startswith(f"parity:{m}:")}
    same = (parity[timed]["identical"], parity[timed]["objects"]) if timed in parity else (0, 0)
    # the build comparison covers the configurations whose both paths are done
    both = [n for n in names if f"ir_deploy:{m}:{n}" in phases and f"native:{n}" in phases]
    share = len(both) / len(names)  # IR build counted pro rata when configurations are missing
    build = f"ir_build:{m}"
    ir_cpu = share * cpu(phases, build) + sum(cpu(phases, f"ir_deploy:{m}:{n}") for n in both)
    native_cpu = sum(cpu(phases, f"native:{n}") for n in both) or float("nan")
    ir_wall = share * phases[build]["seconds"] + sum(
        phases[f"ir_deploy:{m}:{n}"]["seconds"] for n in both)
    native_wall = sum(phases[f"native:{n}"]["seconds"] for n in both) or float("nan")
    deploy_ratio = {n: round(cpu(phases, f"ir_deploy:{m}:{n}") / cpu(phases, f"native:{n}"), 3)
                    for n in both}
    exes = {n: compare_executables(bundle, work, n, installs) for n in both}
    summary = phases[build]["result"]
    deploys = {k.rsplit(":", 2)[1] + ":" + k.rsplit(":", 1)[1]: v["result"]
               for k, v in phases.items() if k.startswith("ir_deploy:")}
    full_key = f"ir_deploy:full:{timed}"
    result: dict[str, Any] = {
        "benchmark": "ir_llama", "host": platform.node(), "cores": os.cpu_count(),
        "app": "llama.cpp (llama-cpp-python 0.3.36 vendor/llama.cpp), ggml + 2 tests",
        "mode": m, "configs": configs,
        "bundle": {k: summary[k] for k in ("compile_jobs", "unique_irs", "native_jobs",
                                           "reduction")},
        "literal_rule_irs": literal_irs([u for n in names for u in read_units(
            n, bundle / "builds" / n)]),
        "build_comparison_configs": both,
        "seconds": {k: v["seconds"] for k, v in phases.items()},
        "cpu_seconds": {k: round(cpu(phases, k), 1) for k in phases},
        "notes": {k: v["note"] for k, v in phases.items() if "note" in v},
        "ir_total_seconds": round(ir_wall, 1),
        "native_total_seconds": round(native_wall, 1) if both else None,
        "ir_over_native_build_time": round(ir_wall / native_wall, 3) if both else None,
        "ir_total_cpu_seconds": round(ir_cpu, 1),
        "native_total_cpu_seconds": round(native_cpu, 1) if both else None,
        "ir_over_native_build_cpu": round(ir_cpu / native_cpu, 3) if both else None,
        "deploy_over_source_cpu": round(statistics.median(deploy_ratio.values()), 3)
        if deploy_ratio else None,
        "deploy_over_source_cpu_per_config": deploy_ratio,
        "goals": {"deploy_over_source_cpu_le_0.4": bool(deploy_ratio) and statistics.median(
            deploy_ratio.values()) <= 0.4,
                  "ir_over_native_build_cpu_le_0.7": bool(both) and ir_cpu / native_cpu <= 0.7,
                  "perf_within_2pct": perf.get("within_2pct")},
        # CPU seconds of every step of the bundle build and of each deployment
        "phase_breakdown": {"ir_build": summary.get("phases"),
                            **{f"deploy:{k}": v.get("phases") for k, v in deploys.items()}},
        "deploy": {k: {f: v.get(f) for f in ("mode", "lowered", "reused", "placed",
                                             "compiled_natively", "cpu_s")}
                   for k, v in deploys.items()},
        "split_over_full_deploy_cpu": round(cpu(phases, f"ir_deploy:split:{timed}")
                                            / cpu(phases, full_key), 3)
        if full_key in phases and f"ir_deploy:split:{timed}" in phases else None,
        "runnable_here": runnable, "test_quantize_fns": tests, "perf": perf,
        "identical_objects": {n: f"{p['identical']}/{p['objects']}" for n, p in parity.items()},
        "differing_functions": {n: p["differing"] for n, p in parity.items() if p["differing"]},
        "identical_executables": exes,
    }
    write_json(RESULTS / "ir_llama.json", result)
    table = Table(title=f"llama.cpp IR bundle ({m} mode)")
    for col in ("figure", "value"):
        table.add_column(col)
    b = result["bundle"]
    table.add_row("compile jobs -> IR files (+native)",
                  f"{b['compile_jobs']} -> {b['unique_irs']} (+{b['native_jobs']}), "
                  f"{b['reduction']:.1%} fewer")
    table.add_row(f"CPU: IR build + deploys / source builds ({len(both)} configs)",
                  f"{ir_cpu:.0f} s / {native_cpu:.0f} s = {result['ir_over_native_build_cpu']}")
    table.add_row("CPU: one deploy / its source build (median)",
                  f"{result['deploy_over_source_cpu']} {deploy_ratio}")
    table.add_row(f"CPU: split / full deploy of {timed}", str(result["split_over_full_deploy_cpu"]))
    table.add_row("test-quantize-fns", ", ".join(f"{k}: {v.get('passed')}"
                                                 for k, v in tests.items()))
    table.add_row(f"MUL_MAT IR/native time, {timed} (median of cases)",
                  escape(f"{perf.get('median_ir_over_native_time')} (95 %: "
                         f"{perf.get('ci95_median_ir_over_native_time')}; "
                         f"{perf.get('verdict_2pct')})"))
    table.add_row(f"{timed} objects identical (disassembly) / executables",
                  f"{same[0]}/{same[1]}, {exes.get(timed)}")
    Console().print(table)
    if not args.no_plot:
        plot(result, both, timed)


def plot(result: dict[str, Any], names: list[str], timed: str) -> None:
    """CPU time of both paths (stacked phases), one deployment's phases in both modes, and
    the per-case IR/native MUL_MAT time ratio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sec = result["cpu_seconds"]  # wall time on a shared machine measures the other users
    m = result["mode"]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4))
    bottom = 0.0
    for key, label in [(f"ir_build:{m}", "IR build"),
                       *[(f"ir_deploy:{m}:{n}", f"deploy {n}") for n in names]]:
        ax1.bar("IR bundle", sec[key], bottom=bottom, label=label)
        bottom += sec[key]
    bottom = 0.0
    for n in names:
        ax1.bar("from source", sec[f"native:{n}"], bottom=bottom, label=f"build {n}",
                hatch="//", alpha=0.6)
        bottom += sec[f"native:{n}"]
    ax1.set_ylabel("CPU time (s, user+sys)")
    ax1.set_title(f"{len(names)} configurations: IR path "
                  f"{result['ir_over_native_build_cpu']}x the CPU time")
    ax1.legend(fontsize=6)
    breakdown = result["phase_breakdown"]
    for label in (f"{mode}:{timed}" for mode in ("full", "split")):
        rows = breakdown.get(f"deploy:{label}") or {}
        bottom = 0.0
        for phase, row in rows.items():
            ax2.bar(label, row["cpu_s"], bottom=bottom, label=f"{label} {phase}")
            bottom += row["cpu_s"]
    if f"native:{timed}" in sec:
        ax2.bar(f"source:{timed}", sec[f"native:{timed}"], hatch="//", alpha=0.6,
                label="source build")
    ax2.set_title(f"one deployment of {timed}, CPU s by phase")
    ax2.legend(fontsize=6)
    per_case = result["perf"].get("per_case", {})
    ax3.hist([c["ir_over_native_time"] for c in per_case.values()], bins=20)
    ax3.axvline(1.0, color="k", lw=0.8)
    ax3.set_xlabel(f"IR-deployed / native {timed} time per MUL_MAT case")
    ax3.set_title(f"median {result['perf'].get('median_ir_over_native_time')} "
                  f"({result['perf'].get('cases', 0)} cases)")
    fig.tight_layout()
    fig.savefig(RESULTS / "ir_llama.png", dpi=120)


if __name__ == "__main__":
    main()
