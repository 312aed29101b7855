"""GROMACS 2022.5 from one IR bundle: emitted, deployed, checked by its regression tests, timed.

Steps, each recorded in ``<workdir>/state.json`` as soon as it finishes (default workdir
``$XDG_CACHE_HOME/xaas-parsl/ir-gromacs``, i.e. ``~/.cache/xaas-parsl/ir-gromacs``, so a
later session on the same machine continues where this one stopped):

1. ``source``: the Debian source package ``gromacs=2022.5-2`` and its
   ``orig-regressiontests`` tarball (``xaas_parsl.sources``);
2. ``ir_build:<mode>:<configs>``: ``xaas_parsl.ir.build_bundle`` of the ``--configs`` (default
   ``SSE4.1,AVX_512``; GMX_SIMD values, offline: fftpack, no GPU/MPI/hwloc, no tests):
   configure, preprocess (cached in ``preprocess.json``), emit the deduplicated IR and, in
   ``split`` mode, its simplification half — the long steps save their progress in batches
   (the store's indexes), so an interrupted bundle build resumes;
3. ``ir_deploy:<mode>:<C>`` and ``native:<C>`` for each configuration (same clang-19, same
   CMake arguments; ninja resumes an interrupted native build from its log);
4. ``regressiontests:<label>``: ``perl gmxtest.pl complex -nt 1 -noverbose`` of each deployed
   and native build this CPU can run (an AVX_512 build cannot run without AVX-512: recorded
   as such, not run);
5. ``ns_per_day``: one regression-test system (``complex/nbnxn_pme``) run with ``mdrun -nt 1
   -nsteps N`` alternately from the IR deployment and the native build of each runnable
   level, medians of ``Performance:`` ns/day.

Steps 3–5 take the levels this CPU runs first (both builds, their regression tests, then
ns/day), the others after: an interrupted run already holds the comparison this host can make.

Results: ``benchmarks/results/ir_gromacs.{json,png}``, written after every run from whatever
steps are done. SIGTERM stops the run cleanly (the current step is not recorded; start it
with ``setsid`` so the signal also reaches ninja and the compilers). Hours on 2 cores: never
in ``.ci/run``. Run:
``setsid nohup nice -n 19 .venv/bin/python benchmarks/ir_gromacs.py -j 1 > log 2>&1 &``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

from xaas_parsl.build.cmake import cmake_build
from xaas_parsl.descriptor.app import BUNDLED_APPS, AppDescriptor, MatrixOption, load_app
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir import build_bundle, deploy
from xaas_parsl.ir.build import plan_only
from xaas_parsl.ir.bundle import literal_irs
from xaas_parsl.ir.tools import CLANG, CLANGXX
from xaas_parsl.resumable import (
    State,
    Stopped,
    console,
    interleaved,
    pinned,
    stop_on_sigterm,
    work_dir,
)
from xaas_parsl.sources import component_archive, fetch

RESULTS = Path(__file__).parent / "results"
SIMD = ("None", "SSE4.1", "AVX2_128", "AVX2_256", "AVX_512")
OFFLINE = ["-DGMX_GPU=OFF", "-DGMX_MPI=OFF", "-DGMX_FFT_LIBRARY=fftpack",
           "-DREGRESSIONTEST_DOWNLOAD=OFF", "-DGMX_BUILD_OWN_FFTW=OFF", "-DBUILD_TESTING=OFF",
           "-DGMX_HWLOC=OFF"]
UPSTREAM = {"compile_jobs": 8710, "ir_files": 2695, "reduction": 0.69}
# CPU flags (/proc/cpuinfo) each GMX_SIMD level's code needs.
NEEDS = {"None": set(), "SSE4.1": {"sse4_1"}, "AVX2_128": {"avx2", "fma"},
         "AVX2_256": {"avx2", "fma"}, "AVX_512": {"avx512f", "avx512bw", "avx512vl"}}
GMXTEST = ["perl", "gmxtest.pl", "complex", "-nt", "1", "-noverbose"]
PERF_SYSTEM = "complex/nbnxn_pme"
SUMMARY_RE = re.compile(r"^(?:All (\d+) complex tests PASSED|(\d+) out of (\d+) complex tests "
                        r"FAILED)$", re.MULTILINE)
FAILED_RE = re.compile(r"FAILED\. Check .* for (\S+)$", re.MULTILINE)
PERF_RE = re.compile(r"^Performance:\s+([0-9.]+)\s+([0-9.]+)", re.MULTILINE)


def cpu_flags() -> set[str]:
    """This machine's CPU flags."""
    for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def gromacs_app(simd: tuple[str, ...]) -> AppDescriptor:
    """The bundled GROMACS descriptor with only the SIMD axis, built offline."""
    base = load_app(BUNDLED_APPS / "gromacs" / "app.yaml")
    return dataclasses.replace(base, matrix=(MatrixOption("SIMD", "select", "GMX_SIMD", simd),),
                               cmake_args=(*base.cmake_args, *OFFLINE))


def parse_gmxtest(text: str) -> dict[str, Any]:
    """``gmxtest.pl`` output → passed/failed counts (its summary line) and failed names."""
    m = SUMMARY_RE.search(text)
    if m is None:
        return {"passed": 0, "failed": None, "error": "no summary line in gmxtest.pl output"}
    total = int(m.group(1) or m.group(3))
    failed = 0 if m.group(1) else int(m.group(2))
    return {"passed": total - failed, "failed": failed, "total": total,
            "failed_tests": FAILED_RE.findall(text)}


def run_regressiontests(archive: Path, install: Path, dest: Path, only: str = ""
                        ) -> dict[str, Any]:
    """The ``complex`` set (``only``: the tests matching this regex, gmxtest.pl's ``-only``)
    against one install, in a fresh copy of the tests (gmxtest.pl writes into its tree)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    tests = next(dest.iterdir())
    env = {**os.environ, "PATH": f"{install / 'bin'}:{os.environ['PATH']}",
           "GMX_MAXBACKUP": "-1", "OMP_NUM_THREADS": "1"}
    argv = [*GMXTEST, *(["-only", only] if only else [])]
    proc = subprocess.run(argv, cwd=tests, env=env, capture_output=True, text=True,
                          check=False, timeout=4 * 3600)
    (dest / "gmxtest.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return {**parse_gmxtest(proc.stdout + proc.stderr), "returncode": proc.returncode,
            "command": shlex.join(argv), "log": str(dest / "gmxtest.log")}


def gmx(install: Path, *args: str, cwd: Path) -> str:
    """Run ``gmx`` of one install; its output (GROMACS writes to stderr)."""
    proc = subprocess.run([str(install / "bin" / "gmx"), *args], cwd=cwd, capture_output=True,
                          text=True, check=True, env={**os.environ, "GMX_MAXBACKUP": "-1"})
    return proc.stdout + proc.stderr


def perf_key(args: argparse.Namespace) -> str:
    """The state key of one ns/day measurement: rounds, steps and the pinned CPU."""
    return f"ns_per_day:{args.rounds}x{args.nsteps}" + (
        f":cpu{args.pin}" if args.pin is not None else "")


def ns_per_day(archive: Path, installs: dict[str, Path], work: Path, rounds: int,
               nsteps: int, pin: int | None = None) -> dict[str, Any]:
    """Interleaved ``mdrun`` runs of ``PERF_SYSTEM`` (one tpr from the first install's
    ``grompp``), per label the ns/day of each round; with ``pin``, every ``mdrun`` runs on
    that CPU only (``sched_setaffinity``, inherited)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if f"/{PERF_SYSTEM}/" in m.name]
        tar.extractall(work, members=members, filter="data")
    system = next(work.iterdir()) / PERF_SYSTEM
    first = next(iter(installs.values()))
    gmx(first, "grompp", "-f", "grompp.mdp", "-c", "conf", "-p", "topol", "-o", "bench.tpr",
        "-maxwarn", "10", cwd=system)
    runs: dict[str, list[float]] = {k: [] for k in installs}
    labels = list(installs)
    with pinned(pin):
        for r, label in interleaved(labels, rounds):
            console.print(f"mdrun round {r + 1}/{rounds}: {label}")
            gmx(installs[label], "mdrun", "-s", "bench.tpr", "-nt", "1", "-ntomp", "1",
                "-nsteps", str(nsteps), "-resethway", "-noconfout", "-g", f"{label}.log",
                "-e", f"{label}.edr", "-o", f"{label}.trr", cwd=system)
            m = PERF_RE.search((system / f"{label}.log").read_text("utf-8"))
            if m is None:
                raise RuntimeError(f"{label}: no Performance line in md.log")
            runs[label].append(float(m.group(1)))
    levels = [n.removeprefix("ir-") for n in labels if n.startswith("ir-")]
    ratio = {lv: round(statistics.median(runs[f"ir-{lv}"])
                       / statistics.median(runs[f"native-{lv}"]), 4)
             for lv in levels if f"native-{lv}" in runs}
    return {"runs": runs, "median": {k: statistics.median(v) for k, v in runs.items()},
            "ir_over_native_ns_per_day": ratio, "pinned_cpu": pin}


def tool_versions() -> dict[str, str]:
    """First line of each tool's version banner."""
    out = {}
    for tool in (CLANG, "opt-19", "cmake", "ninja", "perl"):
        argv = [tool, "-v" if tool == "perl" else "--version"]
        text = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        out[tool] = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return out


def progress_counts(work: Path) -> dict[str, int]:
    """Unit-level progress of the long steps, from what they saved: preprocessed units, IR
    files in the store, lowered objects, native objects."""
    pp = work / "preprocess.json"
    counts = {"preprocessed": len(load_json(pp)) if pp.is_file() else 0}
    for b in sorted(work.glob("bundle-*")):
        counts[f"{b.name} IR files"] = sum(1 for _ in (b / "store").glob("*.bc"))
        counts[f"{b.name} objects"] = sum(1 for _ in (b / "store" / "objects").glob("*.o"))
    for t in sorted((work / "native").glob("*/build")):
        counts[f"native {t.parent.name} objects"] = sum(1 for _ in t.rglob("*.o"))
    return counts


def watch(work: Path, every: float) -> None:
    """Print ``progress_counts`` every ``every`` seconds (the tools' progress bars are off
    in a log file)."""
    def loop() -> None:
        while True:
            time.sleep(every)
            console.print(f"{time.strftime('%H:%M:%S')} progress: {progress_counts(work)}")

    threading.Thread(target=loop, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=work_dir("ir-gromacs"))
    parser.add_argument("--configs", default="SSE4.1,AVX_512",
                        help=f"GMX_SIMD levels to emit, deploy and build (of {', '.join(SIMD)})")
    parser.add_argument("--mode", choices=["split", "full"], default="split")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--nsteps", type=int, default=2000)
    parser.add_argument("--only", default="", help="regex: a documented subset of the complex "
                        "set (gmxtest.pl -only); default: all of it")
    parser.add_argument("--cached-only", action="store_true",
                        help="Run no step that is not done yet; report what exists.")
    parser.add_argument("--plan-five", action="store_true",
                        help="Finally plan all five levels again (configure + preprocess, no "
                        "IR): the figures of the five-level bundle")
    parser.add_argument("--pin", type=int, default=None, metavar="CPU",
                        help="Run the timed mdrun rounds on this CPU only")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    stop_on_sigterm()
    watch(args.workdir.resolve(), 300)
    names = [n for n in SIMD if n in args.configs.split(",")]
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    state = State(work / "state.json", cached_only=args.cached_only)
    try:
        pipeline(args, names, work, state)
    except (Stopped, KeyboardInterrupt) as exc:
        console.print(f"[yellow]stopped ({exc}); state kept in {state.path}[/]")
    report(args, names, work, state.data)


def pipeline(args: argparse.Namespace, names: list[str], work: Path, state: State) -> None:
    """Every step not done yet, in order."""
    src = state.phase("source", lambda: {
        "root": str(fetch("gromacs-2022.5")),
        "regressiontests": str(component_archive("gromacs-2022.5", "regressiontests"))})
    if src is None:
        return
    archive = Path(src["result"]["regressiontests"])
    app = gromacs_app(tuple(names))
    m, bundle = args.mode, work / f"bundle-{args.mode}"
    # keyed by the levels: adding one later (AVX2_256) builds the bundle again, which redoes
    # only the new level's work (configured trees, preprocessing and IR are cached)
    built = state.phase(f"ir_build:{m}:{','.join(names)}", lambda: build_bundle(
        app, bundle, names, args.jobs, quiet=True, mode=m, pp_cache=work / "preprocess.json"),
        bundle / "bundle.json")
    if built is None:
        return
    flags = cpu_flags()
    installs: dict[str, Path] = {}
    runnable = [n for n in names if NEEDS[n] <= flags]
    # the levels this CPU runs first, each checked by the regression tests as soon as both of
    # its builds exist: an interrupted run has the comparison that can be made here
    for name in runnable + [n for n in names if n not in runnable]:
        installs[f"ir-{name}"] = bundle / "deploy" / name / "install"
        state.phase(f"ir_deploy:{m}:{name}",
                    lambda n=name: deploy(bundle, n, jobs=args.jobs, quiet=True),
                    installs[f"ir-{name}"])
        tree = work / "native" / name
        config = next(c for c in app.configurations("x86_64") if c.name == name)
        cmake_args = [*app.cmake_args, *config.cmake_args(), f"-DCMAKE_C_COMPILER={CLANG}",
                      f"-DCMAKE_CXX_COMPILER={CLANGXX}"]
        installs[f"native-{name}"] = tree / "install"
        state.phase(f"native:{name}", lambda t=tree, a=cmake_args: str(cmake_build(
            app.source, t / "build", t / "install", a, jobs=args.jobs).prefix),
            installs[f"native-{name}"])
        for label in (f"ir-{name}", f"native-{name}") if name in runnable else ():
            state.phase(f"regressiontests:{label}{':' + args.only if args.only else ''}",
                        lambda i=installs[label], lb=label: run_regressiontests(
                            archive, i, work / "regressiontests" / lb, args.only))
        if runnable and name == runnable[-1]:
            pairs = {f"{k}-{n}": installs[f"{k}-{n}"] for n in runnable for k in ("ir", "native")}
            state.phase(perf_key(args), lambda p=pairs: ns_per_day(
                archive, p, work / "perf", args.rounds, args.nsteps, args.pin))
    if args.plan_five:  # the five levels planned in the bundle's trees (two are configured)
        state.phase("plan:five", lambda: plan_five(bundle, work, args.jobs))


def plan_five(bundle: Path, work: Path, jobs: int) -> dict[str, Any]:
    """All five levels configured and preprocessed, the sharing decided, nothing emitted
    (``plan_only``); also the *literal* rule (units shared only when their commands are
    identical apart from the build tree), what comparing command lines alone gives."""
    summary = plan_only(gromacs_app(SIMD), bundle, list(SIMD), jobs, quiet=True,
                        pp_cache=work / "preprocess.json")
    units, groups = summary.pop("units"), summary.pop("groups")
    native = summary.pop("native")
    literal = literal_irs(units) + len(native)
    width = collections.Counter(len(g.configs) for g in groups)
    return {**summary, "irs_by_sharing_width": {str(k): v for k, v in sorted(width.items())},
            "literal_rule": {"ir_files": literal,
                             "reduction": round(1 - literal / summary["compile_jobs"], 4)},
            "native_reasons": dict(collections.Counter(native.values()))}


def report(args: argparse.Namespace, names: list[str], work: Path,
           steps: dict[str, Any]) -> None:
    """The JSON (what is done so far) and the plot."""
    m = args.mode
    flags = cpu_flags()
    built = steps.get(f"ir_build:{m}:{','.join(names)}", {}).get("result")
    previous = load_json(RESULTS / "ir_gromacs.json") if (RESULTS / "ir_gromacs.json").is_file() \
        else {}
    planned = steps.get("plan:five", {}).get("result")
    plan5 = planned or previous.get("plan_five_levels") or {
        k: previous[k] for k in ("compile_jobs", "unique_irs", "native_jobs", "retargetable_irs",
                                 "reduction", "irs_by_sharing_width", "literal_rule", "seconds")
        if k in previous}
    tests: dict[str, Any] = {}
    for kind in ("ir", "native"):
        for n in names:
            label = f"{kind}-{n}"
            if not NEEDS[n] <= flags:
                tests[label] = {"passed": None, "failed": None, "not_run": "this CPU lacks "
                                + ", ".join(sorted(NEEDS[n] - flags))}
            elif (key := f"regressiontests:{label}" + (f":{args.only}" if args.only else "")
                  ) in steps:
                tests[label] = steps[key]["result"]
            else:
                tests[label] = {"passed": None, "failed": None, "not_run": "not reached yet"}
    # the measurement asked for (rounds x steps, pinned CPU), else the latest one recorded
    measured: dict[str, Any] = steps.get(perf_key(args)) or next(
        (v for k, v in reversed(steps.items()) if k.startswith("ns_per_day:")), {})
    perf = measured.get("result")
    ns: dict[str, dict[str, float | None]] = {}
    for n in names:
        med = perf["median"] if perf else {}
        ns[n] = {"ir": med.get(f"ir-{n}"), "native": med.get(f"native-{n}")}
    result: dict[str, Any] = {
        "benchmark": "ir_gromacs", "host": platform.node(), "cores": os.cpu_count(),
        "app": "gromacs 2022.5 (Debian gromacs=2022.5-2)", "mode": m, "configs": names,
        "cmake_args": list(gromacs_app(tuple(names)).cmake_args),
        "emitted": bool(built and built.get("unique_irs")),
        "steps_done": sorted(steps), "state": str(work / "state.json"),
        "progress": progress_counts(work),
        "bundle": {k: built.get(k) for k in ("compile_jobs", "unique_irs", "native_jobs",
                                             "reduction", "emitted", "simplified", "phases")}
        if built else None,
        "reduction": built.get("reduction") if built else None,
        "plan_five_levels": {**plan5, "simd": list(SIMD), "upstream": UPSTREAM,
                             "measured_by": "plan:five step of this state" if planned else
                             "an earlier run (plan_only, 66 min), carried over"},
        "deploy": {k.split(":", 2)[2]: {f: v["result"].get(f) for f in (
            "lowered", "reused", "placed", "compiled_natively", "cpu_s", "phases")}
                   for k, v in steps.items() if k.startswith(f"ir_deploy:{m}:")},
        "cpu_seconds": {k: v["cpu_seconds"] for k, v in steps.items()},
        "seconds": {k: v["seconds"] for k, v in steps.items()},
        "regressiontests": tests, "ns_per_day": ns, "ns_per_day_runs": perf,
        "cpu_flags_relevant": sorted(flags & set().union(*NEEDS.values())),
        "commands": {
            "benchmark": f"setsid nohup nice -n 19 .venv/bin/python benchmarks/ir_gromacs.py "
                         f"-j {args.jobs} --configs {','.join(names)} --mode {m}",
            "regressiontests": " ".join(GMXTEST) + "  (PATH=<install>/bin, in a fresh copy)",
            "mdrun": f"gmx mdrun -s bench.tpr -nt 1 -ntomp 1 -nsteps {args.nsteps} "
                     f"-resethway -noconfout  ({PERF_SYSTEM}, {args.rounds} rounds)"},
        "tool_versions": tool_versions(),
    }
    write_json(RESULTS / "ir_gromacs.json", result)
    console.print(f"done: {', '.join(sorted(steps)) or 'nothing'}; "
                  f"results in {RESULTS / 'ir_gromacs.json'}")
    if not args.no_plot:
        plot(result)


def plot(result: dict[str, Any]) -> None:
    """Compilations (emitted bundle, five-level plan, upstream) and ns/day per level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    bars: dict[str, float] = {}
    b, p = result["bundle"], result["plan_five_levels"]
    if b:
        bars[f"jobs ({len(result['configs'])} levels)"] = b["compile_jobs"]
        bars["IR emitted"] = b["unique_irs"] + b["native_jobs"]
    if p.get("compile_jobs"):
        bars["jobs (5, plan)"] = p["compile_jobs"]
        bars["IR (5, plan)"] = p["unique_irs"] + p.get("native_jobs", 0)
    bars["upstream jobs"], bars["upstream IR"] = UPSTREAM["compile_jobs"], UPSTREAM["ir_files"]
    drawn = ax1.bar(list(bars), list(bars.values()))
    ax1.bar_label(drawn)
    ax1.tick_params(axis="x", labelsize=7)
    ax1.set_ylabel("compilations")
    ax1.set_title("GROMACS 2022.5: compile jobs vs IR files")
    levels = [n for n, v in result["ns_per_day"].items() if v["ir"] or v["native"]]
    for i, kind in enumerate(("ir", "native")):
        ax2.bar([x + 0.4 * i for x in range(len(levels))],
                [result["ns_per_day"][n][kind] or 0 for n in levels], width=0.4, label=kind)
    ax2.set_xticks([x + 0.2 for x in range(len(levels))], levels)
    ax2.set_ylabel("ns/day (1 thread)")
    ax2.set_title("mdrun " + (PERF_SYSTEM if levels else "(not measured yet)"))
    ax2.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "ir_gromacs.png", dpi=120)


if __name__ == "__main__":
    main()
