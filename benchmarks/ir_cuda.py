"""heat2d's CUDA configuration for the three site architectures: IR bundle vs per-arch builds.

The sites need SASS for sm_70 (Ault V100), sm_80 (Ault A100) and sm_90 (Alps GH200), plus PTX
for compute_90. Two ways to get there, both with clang-19 and the CUDA 12.4 wheels, measured in
the same run on the same machine:

* **IR bundle**: ``xaas ir build --configs OPENMP+CUDA`` (one configure; every C++ unit and the
  CUDA unit's host side emitted once as IR; the device code compiled once per architecture and
  packed into one fat binary) and one ``xaas ir deploy`` (lowering + link), which serves all
  three architectures.
* **Per-architecture builds**: three native CMake builds with ``CMAKE_CUDA_ARCHITECTURES`` =
  ``70-real``, ``80-real``, ``90`` (each compiles every unit again).

Figures: compile jobs (compile_commands entries, plus one device job per architecture/PTX of
each CUDA unit) and CPU seconds of all child processes (``getrusage(RUSAGE_CHILDREN)``,
configure and link included), and wall seconds. Results: ``benchmarks/results/ir_cuda.json``
and ``ir_cuda.png``. Run: ``.venv/bin/python benchmarks/ir_cuda.py [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xaas_parsl.build.cmake import cmake_build
from xaas_parsl.cuda.toolchain import cmake_args, locate_toolchain
from xaas_parsl.descriptor import bundled_app
from xaas_parsl.fileio import write_json
from xaas_parsl.ir import build_bundle, deploy
from xaas_parsl.ir.fatbin import gpu_targets
from xaas_parsl.ir.tools import CLANGXX

RESULTS = Path(__file__).parent / "results"
CONFIG = "OPENMP+CUDA"
PER_ARCH = {"sm_70": "70-real", "sm_80": "80-real", "sm_90": "90"}


def measured(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """``func()``, the CPU seconds its child processes used, and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    value = func()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return value, round(cpu, 2), round(wall, 2)


def compile_jobs(build_dir: Path, device_jobs_per_cuda_unit: int) -> int:
    """compile_commands entries, counting a CUDA unit's device compiles separately."""
    entries = json.loads((build_dir / "compile_commands.json").read_text("utf-8"))
    cuda = sum(1 for e in entries if str(e["file"]).endswith(".cu"))
    return len(entries) + cuda * device_jobs_per_cuda_unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xaas-ir-cuda-bench"))
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    locate_toolchain()  # fail early, with the install hint
    shutil.rmtree(args.workdir, ignore_errors=True)
    app = bundled_app("heat2d")
    bundle = args.workdir / "bundle"
    summary, ir_cpu, ir_wall = measured(
        lambda: build_bundle(app, bundle, [CONFIG], args.jobs, quiet=True))
    deployed, dep_cpu, dep_wall = measured(lambda: deploy(bundle, CONFIG, jobs=args.jobs,
                                                          quiet=True))
    ir_targets = gpu_targets(Path(deployed["install_dir"]))
    config = next(c for c in app.opt_in_configurations("x86_64") if c.name == CONFIG)
    native: dict[str, dict[str, Any]] = {}
    for sm, archs in PER_ARCH.items():
        base = args.workdir / f"native-{sm}"
        cmake = [*app.cmake_args, *config.cmake_args(), "-DCMAKE_C_COMPILER=clang-19",
                 f"-DCMAKE_CXX_COMPILER={CLANGXX}",
                 *[a for a in cmake_args(CLANGXX, "") if "LAUNCHER" not in a
                   and "ARCHITECTURES" not in a],
                 f"-DCMAKE_CUDA_ARCHITECTURES={archs}", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
        result, cpu, wall = measured(lambda b=base, c=cmake: cmake_build(  # type: ignore[misc]
            app.source, b / "build", b / "install", c, jobs=args.jobs))
        device = 2 if archs == "90" else 1  # SASS, plus PTX for 90
        native[sm] = {"cpu_seconds": cpu, "wall_seconds": wall,
                      "compile_jobs": compile_jobs(result.build_dir, device),
                      "gpu_targets": gpu_targets(result.prefix)}
    ir_jobs = summary["compile_jobs"] + summary.get("cuda_device_jobs", 0)
    per_arch_cpu = round(sum(n["cpu_seconds"] for n in native.values()), 2)
    per_arch_jobs = sum(n["compile_jobs"] for n in native.values())
    result_doc: dict[str, Any] = {
        "benchmark": "ir_cuda", "host": platform.node(), "machine": platform.machine(),
        "cuda_runtime": locate_toolchain().version, "config": CONFIG, "jobs": args.jobs,
        "ir": {"compile_jobs": ir_jobs, "ir_units": summary["compile_jobs"],
               "device_jobs": summary.get("cuda_device_jobs", 0),
               "lowering_jobs": deployed["lowered"],
               "build_cpu_seconds": ir_cpu, "build_wall_seconds": ir_wall,
               "deploy_cpu_seconds": dep_cpu, "deploy_wall_seconds": dep_wall,
               "cpu_seconds": round(ir_cpu + dep_cpu, 2), "gpu_targets": ir_targets},
        "per_arch": native,
        "per_arch_total": {"compile_jobs": per_arch_jobs, "cpu_seconds": per_arch_cpu},
    }
    result_doc["ratio_cpu_ir_over_per_arch"] = round(
        result_doc["ir"]["cpu_seconds"] / per_arch_cpu, 3)
    result_doc["ratio_jobs_ir_over_per_arch"] = round(ir_jobs / per_arch_jobs, 3)
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "ir_cuda.json", result_doc)
    print(f"IR bundle: {ir_jobs} compile jobs + {deployed['lowered']} lowerings, "
          f"{result_doc['ir']['cpu_seconds']} CPU s, targets {' '.join(ir_targets)}; "
          f"per-arch builds: {per_arch_jobs} compile jobs, {per_arch_cpu} CPU s; "
          f"CPU ratio {result_doc['ratio_cpu_ir_over_per_arch']}")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
        labels = ["IR bundle\n(3 archs)", *[f"native\n{sm}" for sm in native]]
        ax1.bar(labels[:1], [result_doc["ir"]["build_cpu_seconds"]], label="IR build")
        ax1.bar(labels[:1], [dep_cpu], bottom=[result_doc["ir"]["build_cpu_seconds"]],
                label="deploy")
        bottom = 0.0
        for sm, n in native.items():
            ax1.bar(["per-arch\n(3 builds)"], [n["cpu_seconds"]], bottom=[bottom], label=sm)
            bottom += n["cpu_seconds"]
        ax1.set_ylabel("CPU seconds (children)")
        ax1.legend(fontsize=7)
        ax2.bar(["IR bundle", "per-arch"], [ir_jobs, per_arch_jobs])
        ax2.set_ylabel("compile jobs")
        fig.suptitle(f"heat2d {CONFIG}: sm_70/80/90 + compute_90, CPU ratio "
                     f"{result_doc['ratio_cpu_ir_over_per_arch']}")
        fig.tight_layout()
        fig.savefig(RESULTS / "ir_cuda.png", dpi=120)


if __name__ == "__main__":
    main()
