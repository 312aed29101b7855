"""heat2d's aarch64 family on this x86-64 host: the IR bundle vs native cross builds.

Builds (or reuses) the aarch64 IR bundle of heat2d's four aarch64 configurations with clang-19
``--target=aarch64-linux-gnu`` and Debian's arm64 sysroot, deploys every configuration from it
(cross-lowered, no node), and cross-builds each configuration natively from source with the same
toolchain file. Reported per configuration: CPU seconds of the IR deployment and of the native
cross build (children's user+sys time, so the load of a shared machine does not count), bytes of
``heat2d-test`` both ways, whether the executables are byte-identical, and whether the IR
deployment's ``heat2d-test`` passes under qemu-aarch64. Plus the bundle's compile jobs -> IR
files and its one-off CPU seconds. Timing is only CPU accounting: run time on Grace needs real
hardware (see docs/alps-aarch64.md).
Run: ``.venv/bin/python benchmarks/ir_aarch64.py [--workdir /tmp/xaas-ir-aarch64]``.

``--only llama`` (or ``all``) measures llama.cpp's ggml with its two aarch64 CPU variants
(``GGML_CPU_ARM_ARCH`` ``armv8.2-a+dotprod`` and ``armv9-a+sve2``, ``ir-cpu.yaml``) as one IR
bundle: compile jobs -> IR files, each variant deployed (and, with ``--llama-native``, cross
built from source), ``test-quantize-fns`` run under qemu-aarch64 (its default CPU ``max`` has
SVE2 and dot product). Results go under ``llama`` in the same JSON. CPU-heavy (tens of CPU
minutes): run it under ``nice -n 19`` on a shared machine.
"""

from __future__ import annotations

import argparse
import filecmp
import platform
import resource
import shutil
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from xaas_parsl.build.cmake import cmake_build, run_app_tests
from xaas_parsl.descriptor import bundled_app
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir import build_bundle, deploy
from xaas_parsl.ir.cross import family, write_toolchain
from xaas_parsl.ir.tools import CLANG, CLANGXX

RESULTS = Path(__file__).parent / "results"
T = TypeVar("T")


def cpu_seconds(func: Callable[[], T]) -> tuple[T, float, float]:
    """(result, CPU seconds of the child processes it ran, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = func()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, round(cpu, 2), round(wall, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xaas-ir-aarch64"))
    parser.add_argument("--fresh", action="store_true", help="Delete the workdir first.")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--only", choices=["all", "heat2d", "llama"], default="heat2d")
    parser.add_argument("--llama-native", action="store_true",
                        help="Also cross-build each llama.cpp variant from source.")
    args = parser.parse_args()
    if args.fresh and args.workdir.exists():
        shutil.rmtree(args.workdir)
    if args.only in ("all", "heat2d"):
        heat2d(args)
    if args.only in ("all", "llama"):
        path = RESULTS / "ir_aarch64.json"
        result = load_json(path) if path.is_file() else {"benchmark": "ir_aarch64"}
        result["llama"] = llama(args.workdir, args.llama_native)
        write_json(path, result)


def heat2d(args: argparse.Namespace) -> None:
    """heat2d's four aarch64 configurations: bundle, deployments, native cross builds."""
    app = bundled_app("heat2d")
    fam = family("aarch64")
    configs = app.configurations(fam.arch)
    summary, bundle_cpu, bundle_wall = cpu_seconds(
        lambda: build_bundle(app, args.workdir / "bundle", None, quiet=True, arch=fam.arch))
    bundle = Path(summary["bundle"])
    toolchain = write_toolchain(fam, args.workdir, CLANG, CLANGXX)
    rows: list[dict[str, Any]] = []
    for config in configs:
        dep, ir_cpu, ir_wall = cpu_seconds(partial(deploy, bundle, config.name, quiet=True))
        ir_prefix = Path(dep["install_dir"])
        tree = args.workdir / "native" / config.name
        shutil.rmtree(tree, ignore_errors=True)
        native, nat_cpu, nat_wall = cpu_seconds(partial(
            cmake_build, app.source, tree / "build", tree / "install",
            [*app.cmake_args, *config.cmake_args(), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"],
            jobs=2))
        tests = run_app_tests(app, ir_prefix)
        ir_exe, nat_exe = ir_prefix / "bin" / "heat2d-test", native.prefix / "bin" / "heat2d-test"
        rows.append({
            "config": config.name, "ir_deploy_cpu_s": ir_cpu, "ir_deploy_wall_s": ir_wall,
            "native_cross_cpu_s": nat_cpu, "native_cross_wall_s": nat_wall,
            "ir_exe_bytes": ir_exe.stat().st_size, "native_exe_bytes": nat_exe.stat().st_size,
            "identical_executables": filecmp.cmp(ir_exe, nat_exe, shallow=False)
            and filecmp.cmp(ir_prefix / "bin" / "heat2d", native.prefix / "bin" / "heat2d",
                            shallow=False),
            "heat2d_test_under_qemu": all(t.passed for t in tests) and bool(tests),
            "emulator": tests[0].command[0] if tests else None,
        })
        print(rows[-1])
    result: dict[str, Any] = {
        "benchmark": "ir_aarch64", "host": platform.node(), "host_arch": platform.machine(),
        "target": summary["triple"],
        "bundle": {k: summary[k] for k in ("compile_jobs", "unique_irs", "reduction")}
        | {"cpu_s": bundle_cpu, "wall_s": bundle_wall, "configs": summary["configs"]},
        "configs": rows,
        "totals": {"ir_cpu_s": round(bundle_cpu + sum(r["ir_deploy_cpu_s"] for r in rows), 2),
                   "native_cpu_s": round(sum(r["native_cross_cpu_s"] for r in rows), 2)},
    }
    RESULTS.mkdir(exist_ok=True)
    previous = RESULTS / "ir_aarch64.json"
    if previous.is_file() and "llama" in load_json(previous):  # measured separately: kept
        result["llama"] = load_json(previous)["llama"]
    write_json(RESULTS / "ir_aarch64.json", result)
    print(f"{summary['compile_jobs']} compile jobs -> {summary['unique_irs']} IR files; CPU s: "
          f"IR bundle+deploys {result['totals']['ir_cpu_s']} vs native cross builds "
          f"{result['totals']['native_cpu_s']}; identical "
          f"{sum(r['identical_executables'] for r in rows)}/{len(rows)}; qemu tests pass "
          f"{sum(r['heat2d_test_under_qemu'] for r in rows)}/{len(rows)}")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = [r["config"] for r in rows]
        xs = range(len(rows))
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar([x - 0.2 for x in xs], [r["ir_deploy_cpu_s"] for r in rows], 0.4,
               label="IR deployment (lower + link)")
        ax.bar([x + 0.2 for x in xs], [r["native_cross_cpu_s"] for r in rows], 0.4,
               label="native cross build")
        ax.set_xticks(list(xs), names, fontsize=8)
        ax.set_ylabel("CPU seconds")
        ax.set_title(f"heat2d aarch64 on {platform.machine()}: bundle {bundle_cpu} CPU s once, "
                     f"{summary['compile_jobs']} jobs -> {summary['unique_irs']} IR")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(RESULTS / "ir_aarch64.png", dpi=120)


def llama(workdir: Path, native: bool) -> dict[str, Any]:
    """llama.cpp's ggml, its aarch64 variants as one IR bundle; each deployed, its
    ``test-quantize-fns`` run under qemu-aarch64 (and cross-built from source with ``native``).
    """
    from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app
    from xaas_parsl.sources import fetch

    fetch("llama.cpp")  # the sdist, from the sources cache when there
    app = load_app(BUNDLED_APPS / "llama.cpp" / "ir-cpu.yaml")
    fam = family("aarch64")
    configs = app.configurations(fam.arch)
    summary, bundle_cpu, bundle_wall = cpu_seconds(
        lambda: build_bundle(app, workdir / "llama-bundle", None, jobs=2, quiet=True,
                             arch=fam.arch))
    bundle = Path(summary["bundle"])
    toolchain = write_toolchain(fam, workdir, CLANG, CLANGXX)
    rows: list[dict[str, Any]] = []
    for config in configs:
        dep, ir_cpu, ir_wall = cpu_seconds(partial(deploy, bundle, config.name, quiet=True))
        prefix = Path(dep["install_dir"])
        tests, test_cpu, test_wall = cpu_seconds(partial(run_app_tests, app, prefix, 3600))
        exe = prefix / "bin" / "test-quantize-fns"
        row: dict[str, Any] = {
            "config": config.name, "options": dict(config.options),
            "ir_deploy_cpu_s": ir_cpu, "ir_deploy_wall_s": ir_wall,
            "lowered": dep["lowered"], "reused": dep["reused"],
            "ir_exe_bytes": exe.stat().st_size,
            "test_quantize_fns_under_qemu": bool(tests) and all(t.passed for t in tests),
            "test_cpu_s": test_cpu, "test_wall_s": test_wall,
            "emulator": tests[0].command[0] if tests else None,
            "test_output_tail": tests[0].output[-300:] if tests else ""}
        if native:
            tree = workdir / "llama-native" / config.name
            shutil.rmtree(tree, ignore_errors=True)
            built, nat_cpu, nat_wall = cpu_seconds(partial(
                cmake_build, app.source, tree / "build", tree / "install",
                [*app.cmake_args, *config.cmake_args(), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"],
                jobs=2))
            nat_exe = built.prefix / "bin" / "test-quantize-fns"
            row.update(native_cross_cpu_s=nat_cpu, native_cross_wall_s=nat_wall,
                       native_exe_bytes=nat_exe.stat().st_size,
                       identical_executables=filecmp.cmp(exe, nat_exe, shallow=False))
        rows.append(row)
        print({k: v for k, v in row.items() if k != "test_output_tail"})
    return {"app": "llama.cpp ggml + test-quantize-fns/test-backend-ops (ir-cpu.yaml)",
            "target": summary["triple"], "mode": summary.get("mode"),
            "bundle": {k: summary[k] for k in ("compile_jobs", "unique_irs", "reduction")}
            | {"cpu_s": bundle_cpu, "wall_s": bundle_wall, "configs": summary["configs"]},
            "configs": rows}


if __name__ == "__main__":
    main()
