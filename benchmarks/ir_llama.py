"""llama.cpp (ggml CPU backend) from one IR bundle vs building every configuration from source.

Four x86 configurations of the llama-cpp-python 0.3.36 sdist's vendored llama.cpp
(``xaas_parsl/bundled_apps/llama.cpp/ir-cpu.yaml``, GGML_NATIVE=OFF): ``SSE42``, ``AVX2``
(+FMA, F16C, BMI2), ``AVX512`` and ``AVX512_VNNI_BF16``; each builds ggml and llama.cpp's
``test-quantize-fns`` and ``test-backend-ops`` with clang-19. The script measures, in one run
on one machine:

1. the IR path: ``build_bundle`` (configure ×4, preprocess, emit deduplicated IR) plus
   ``deploy`` of all four configurations (re-target, lower, link, install);
2. the source path: ``cmake_build`` of each configuration (same compiler, same arguments);
3. ``test-quantize-fns`` of every deployed configuration this CPU can run;
4. ``test-backend-ops perf -o MUL_MAT -b CPU`` of the IR-deployed and the native ``AVX512``
   builds in interleaved rounds (order alternating), per case the median us/run and GFLOPS;
   the figure is the median over cases of IR/native time (goal: within 3 %).

Phases already done are kept in ``<workdir>/state.json`` and skipped on a rerun (``--fresh``
redoes them); the timings in the JSON are those of the run that did each phase. Results:
``benchmarks/results/ir_llama.{json,png}``. Never part of CI (it takes an hour on 2 cores).

Run: ``nice -n 19 .venv/bin/python benchmarks/ir_llama.py [--rounds 5] [--filter REGEX]``.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import re
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from xaas_parsl.build.cmake import cmake_build
from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir import build_bundle, deploy
from xaas_parsl.ir.bundle import literal_irs, read_units

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


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children: unlike wall time,
    it does not grow when other users load the shared machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class State:
    """Finished phases with their results, saved after each one (reruns skip them)."""

    def __init__(self, path: Path, fresh: bool, cached_only: bool = False) -> None:
        self.path = path
        self.cached_only = cached_only
        self.data: dict[str, Any] = {} if fresh or not path.is_file() else load_json(path)

    def phase(self, name: str, func: Any, check: Path | None = None) -> Any:
        if name in self.data and (check is None or check.exists()):
            console.print(f"[dim]{name}: done before ({self.data[name]['seconds']:.0f} s)[/]")
            return self.data[name]
        if self.cached_only:
            console.print(f"[yellow]{name}: not done, skipped (--cached-only)[/]")
            return None
        console.print(f"[bold]{name}[/] ...")
        start, cpu = time.perf_counter(), cpu_seconds()
        result = func()
        self.data[name] = {"seconds": round(time.perf_counter() - start, 1),
                           "cpu_seconds": round(cpu_seconds() - cpu, 1), "result": result}
        write_json(self.path, self.data)
        console.print(f"{name}: {self.data[name]['seconds']:.0f} s")
        return self.data[name]


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


def disassembly(obj: Path) -> str:
    """An object's code without raw bytes or its file name (comparable text); local label
    names (``.Lstr.14``) are dropped, they are numbered per compilation, not code."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(obj)],
                         capture_output=True, text=True, check=True).stdout
    return re.sub(r"<\.L[^>]*>", "<.L>", "\n".join(out.splitlines()[3:]))


def identical_objects(ir_tree: Path, native_tree: Path) -> tuple[int, int]:
    """How many objects of the IR-deployed tree disassemble exactly as the native ones."""
    objs = [o.relative_to(ir_tree) for o in sorted(ir_tree.rglob("*.o"))]
    same = sum(disassembly(ir_tree / o) == disassembly(native_tree / o) for o in objs)
    return same, len(objs)


def identical_executables(ir: Path, native: Path) -> dict[str, bool]:
    """Installed test programs of both paths compared byte for byte."""
    return {exe: filecmp.cmp(ir / "bin" / exe, native / "bin" / exe, shallow=False)
            for exe in ("test-quantize-fns", "test-backend-ops")}


def measure_perf(cache: Path, installs: dict[str, Path], labels: list[str], rounds: int,
                 filt: str | None) -> Runs:
    """Interleaved perf rounds (the order alternates), cached in ``cache`` per filter and
    round count: its own file, so it can run while another process is still building."""
    key = f"{filt}|{rounds}"
    if cache.is_file() and (cached := load_json(cache)).get("key") == key:
        console.print("[dim]perf: measured before[/]")
        return {k: [{c: (v[0], v[1]) for c, v in run.items()} for run in runs]
                for k, runs in cached["runs"].items()}
    runs: Runs = {k: [] for k in labels}
    for r in range(rounds):
        for label in (labels if r % 2 == 0 else labels[::-1]):
            console.print(f"perf round {r + 1}/{rounds}: {label}")
            runs[label].append(run_perf(installs[label] / "bin" / "test-backend-ops", filt))
    write_json(cache, {"key": key, "runs": runs})
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xaas-ir-llama"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filter", default=PERF_FILTER,
                        help="test-backend-ops -p regex on the MUL_MAT cases ('' = all ~400, "
                             "hours on 2 cores; default: 8 llama-8B-sized cases)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="Redo every phase.")
    parser.add_argument("--cached-only", action="store_true",
                        help="Run no build phase that is not done yet; report what exists.")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    app = load_app(APP)
    configs = app.configurations("x86_64")
    names = [c.name for c in configs]
    work = args.workdir.resolve()
    state = State(work / "state.json", args.fresh, args.cached_only)
    bundle = work / "bundle"
    summary = state.phase("ir_build", lambda: build_bundle(app, bundle, names, args.jobs),
                          bundle / "bundle.json")["result"]
    installs: dict[str, Path] = {}
    # AVX512 first (the perf pair), and each configuration's deploy next to its source build,
    # so a change of the shared machine's load hits both paths alike.
    for config in sorted(configs, key=lambda c: c.name != "AVX512"):
        name = config.name
        installs[f"ir-{name}"] = bundle / "deploy" / name / "install"
        state.phase(f"ir_deploy:{name}", lambda n=name: deploy(bundle, n, jobs=args.jobs),
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
    flags = cpu_flags()
    runnable = {n: NEEDS[n] <= flags for n in names}
    tests: dict[str, Any] = {}
    for label in [f"ir-{n}" for n in names] + ["native-AVX512"]:
        name = label.split("-", 1)[1]
        if not runnable[name]:
            tests[label] = {"passed": None,
                            "skipped": "CPU lacks " + ", ".join(sorted(NEEDS[name] - flags))}
        elif not installs[label].exists():
            tests[label] = {"passed": None, "skipped": "not built (--cached-only)"}
        else:
            tests[label] = run_tests(installs[label])
        console.print(f"test-quantize-fns {label}: {tests[label]}")
    perf_labels = ["ir-AVX512", "native-AVX512"]
    runs = measure_perf(work / "perf.json", installs, perf_labels, args.rounds, args.filter)
    cases = sorted(set.intersection(*(set(x) for v in runs.values() for x in v)))
    per_case: dict[str, dict[str, float]] = {}
    for case in cases:
        med = {k: (statistics.median(x[case][0] for x in runs[k]),
                   statistics.median(x[case][1] for x in runs[k])) for k in perf_labels}
        per_case[case] = {"ir_us": med["ir-AVX512"][0], "native_us": med["native-AVX512"][0],
                          "ir_gflops": med["ir-AVX512"][1],
                          "native_gflops": med["native-AVX512"][1],
                          "ir_over_native_time": round(med["ir-AVX512"][0]
                                                       / med["native-AVX512"][0], 4)}
    ratio = statistics.median(c["ir_over_native_time"] for c in per_case.values())
    same, total = identical_objects(bundle / "builds" / "AVX512", work / "native" / "AVX512"
                                    / "build")
    phases = state.data
    # the build comparison covers the configurations whose both paths are done
    both = [n for n in names if f"ir_deploy:{n}" in phases and f"native:{n}" in phases]
    share = len(both) / len(names)  # IR build counted pro rata when configurations are missing
    ir_seconds = share * phases["ir_build"]["seconds"] + sum(
        phases[f"ir_deploy:{n}"]["seconds"] for n in both)
    native_seconds = sum(phases[f"native:{n}"]["seconds"] for n in both) or float("nan")
    ir_cpu = share * phases["ir_build"]["cpu_seconds"] + sum(
        phases[f"ir_deploy:{n}"]["cpu_seconds"] for n in both)
    native_cpu = sum(phases[f"native:{n}"]["cpu_seconds"] for n in both) or float("nan")
    exes = {n: identical_executables(installs[f"ir-{n}"], installs[f"native-{n}"])
            for n in both}
    result: dict[str, Any] = {
        "benchmark": "ir_llama", "host": platform.node(), "cores": os.cpu_count(),
        "app": "llama.cpp (llama-cpp-python 0.3.36 vendor/llama.cpp), ggml + 2 tests",
        "configs": {c.name: c.cmake_args() for c in configs},
        "bundle": {k: summary[k] for k in ("compile_jobs", "unique_irs", "native_jobs",
                                           "reduction")},
        "literal_rule_irs": literal_irs([u for n in names for u in read_units(
            n, bundle / "builds" / n)]),
        "build_comparison_configs": both,
        "seconds": {k: v["seconds"] for k, v in phases.items()},
        "ir_total_seconds": round(ir_seconds, 1),
        "native_total_seconds": round(native_seconds, 1),
        "ir_over_native_build_time": round(ir_seconds / native_seconds, 3),
        "cpu_seconds": {k: v["cpu_seconds"] for k, v in phases.items()},
        "ir_total_cpu_seconds": round(ir_cpu, 1),
        "native_total_cpu_seconds": round(native_cpu, 1),
        "ir_over_native_build_cpu": round(ir_cpu / native_cpu, 3),
        "deploy": {n: {k: phases[f"ir_deploy:{n}"]["result"][k]
                       for k in ("lowered", "placed", "compiled_natively")}
                   for n in names if f"ir_deploy:{n}" in phases},
        "runnable_here": runnable, "test_quantize_fns": tests,
        "perf": {"command": "test-backend-ops perf -o MUL_MAT -b CPU"
                 + (f" -p {args.filter}" if args.filter else ""),
                 "rounds": args.rounds, "cases": len(cases), "per_case": per_case,
                 "median_ir_over_native_time": round(ratio, 4),
                 "within_3pct": abs(ratio - 1) <= 0.03},
        "identical_objects_avx512": f"{same}/{total}",
        "identical_executables": exes,
        # byte-identical programs perform identically: a timing gap is then machine noise
        "parity_goal_met": all(exes.get("AVX512", {"": False}).values())
        or abs(ratio - 1) <= 0.03,
    }
    write_json(RESULTS / "ir_llama.json", result)
    table = Table(title="llama.cpp IR bundle")
    for col in ("figure", "value"):
        table.add_column(col)
    b = result["bundle"]
    table.add_row("compile jobs -> IR files (+native)",
                  f"{b['compile_jobs']} -> {b['unique_irs']} (+{b['native_jobs']}), "
                  f"{b['reduction']:.1%} fewer")
    table.add_row(f"IR build + deploys / source builds ({len(both)} configs)",
                  f"{ir_seconds:.0f} s / {native_seconds:.0f} s = "
                  f"{result['ir_over_native_build_time']:.2f}")
    table.add_row("same, CPU time (user+sys)",
                  f"{ir_cpu:.0f} s / {native_cpu:.0f} s = "
                  f"{result['ir_over_native_build_cpu']:.2f}")
    table.add_row("test-quantize-fns ir-AVX512", str(tests["ir-AVX512"].get("passed")))
    table.add_row("MUL_MAT IR/native time (median of cases)",
                  f"{ratio:.4f} over {len(cases)} cases, {args.rounds} rounds")
    table.add_row("AVX512 objects identical (disassembly) / executables",
                  f"{same}/{total}, {exes.get('AVX512')}")
    Console().print(table)
    if not args.no_plot:
        plot(result, both)


def plot(result: dict[str, Any], names: list[str]) -> None:
    """Build wall time (stacked phases) and the per-case IR/native MUL_MAT time ratio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sec = result["cpu_seconds"]  # wall time on a shared machine measures the other users
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    bottom = 0.0
    for key, label in [("ir_build", "IR build"), *[(f"ir_deploy:{n}", f"deploy {n}")
                                                   for n in names]]:
        ax1.bar("IR bundle", sec[key], bottom=bottom, label=label)
        bottom += sec[key]
    bottom = 0.0
    for n in names:
        ax1.bar("from source", sec[f"native:{n}"], bottom=bottom, label=f"build {n}",
                hatch="//", alpha=0.6)
        bottom += sec[f"native:{n}"]
    ax1.set_ylabel("CPU time (s, user+sys), whole IR build")
    ax1.set_title(f"{len(names)} configurations: IR path "
                  f"{result['ir_over_native_build_cpu']:.2f}x the CPU time")
    ax1.legend(fontsize=6)
    ratios = [c["ir_over_native_time"] for c in result["perf"]["per_case"].values()]
    ax2.hist(ratios, bins=20)
    ax2.axvline(1.0, color="k", lw=0.8)
    ax2.set_xlabel("IR-deployed / native AVX512 time per MUL_MAT case")
    ax2.set_title(f"median {result['perf']['median_ir_over_native_time']:.3f} "
                  f"({result['perf']['cases']} cases)")
    fig.tight_layout()
    fig.savefig(RESULTS / "ir_llama.png", dpi=120)


if __name__ == "__main__":
    main()
