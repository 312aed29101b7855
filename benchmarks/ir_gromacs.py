"""GROMACS 2022.5 with five GMX_SIMD values: how many compile jobs become how many IR files.

Upstream (XaaS) reports 69 % fewer compilations for GROMACS with 5 SIMD configurations
(8710 → 2695). This configures the Debian source of GROMACS 2022.5 five times with clang-19
(GMX_SIMD = None, SSE4.1, AVX2_128, AVX2_256, AVX_512; offline: fftpack, no GPU, no MPI, no
downloads), preprocesses every unit whose commands differ between configurations and applies
the library's sharing rules (``xaas_parsl.ir.build.plan_only``: the same planning as
``xaas ir build``, without emitting IR). It also counts the *literal* rule (units shared only
when their commands are identical apart from the build-tree path, no preprocessing), the rule a
plain command comparison would give. Results: ``benchmarks/results/ir_gromacs.{json,png}``.

Run (long on 2 cores; configure trees are reused on a rerun):
``nice -n 19 .venv/bin/python benchmarks/ir_gromacs.py [--workdir /tmp/xaas-ir-gromacs]``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import platform
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from xaas_parsl.descriptor.app import BUNDLED_APPS, MatrixOption, load_app
from xaas_parsl.fileio import write_json
from xaas_parsl.ir.build import plan_only
from xaas_parsl.ir.bundle import Unit, literal_irs

RESULTS = Path(__file__).parent / "results"
SIMD = ("None", "SSE4.1", "AVX2_128", "AVX2_256", "AVX_512")
OFFLINE = ["-DGMX_GPU=OFF", "-DGMX_MPI=OFF", "-DGMX_FFT_LIBRARY=fftpack",
           "-DREGRESSIONTEST_DOWNLOAD=OFF", "-DGMX_BUILD_OWN_FFTW=OFF", "-DBUILD_TESTING=OFF",
           "-DGMX_HWLOC=OFF"]
UPSTREAM = {"compile_jobs": 8710, "ir_files": 2695, "reduction": 0.69}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xaas-ir-gromacs"))
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    base = load_app(BUNDLED_APPS / "gromacs" / "app.yaml")
    simd = MatrixOption("SIMD", "select", "GMX_SIMD", SIMD)
    app = dataclasses.replace(base, matrix=(simd,),
                              cmake_args=(*base.cmake_args, *OFFLINE))
    console.print(f"[bold]GROMACS {app.version}[/]: configure + preprocess {', '.join(SIMD)}")
    start = time.perf_counter()
    summary = plan_only(app, args.workdir, list(SIMD), args.jobs, quiet=False)
    seconds = time.perf_counter() - start
    units: list[Unit] = summary.pop("units")
    groups = summary.pop("groups")
    native = summary.pop("native")
    per_config = collections.Counter(len(g.configs) for g in groups)
    literal = literal_irs(units) + len(native)
    result: dict[str, Any] = {
        "benchmark": "ir_gromacs", "host": platform.node(), "app": f"gromacs {app.version}",
        "cmake_args": list(app.cmake_args), "simd": list(SIMD), **summary,
        "per_config_jobs": summary["compile_jobs"] // len(SIMD),
        "irs_by_sharing_width": {str(k): v for k, v in sorted(per_config.items())},
        "literal_rule": {"ir_files": literal,
                         "reduction": round(1 - literal / summary["compile_jobs"], 4)},
        "native_reasons": dict(collections.Counter(native.values())),
        "upstream": UPSTREAM, "seconds": round(seconds, 1),
    }
    write_json(RESULTS / "ir_gromacs.json", result)
    console.print(f"{result['compile_jobs']} compile jobs -> {result['unique_irs']} IR files "
                  f"+ {result['native_jobs']} native = {result['reduction']:.1%} fewer "
                  f"(literal rule {result['literal_rule']['reduction']:.1%}, upstream 69 %); "
                  f"{seconds / 60:.1f} min")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 3.5))
        labels = ["compile jobs", "literal rule", "xaas-parsl rules", "upstream jobs",
                  "upstream IR"]
        values = [result["compile_jobs"], literal,
                  result["unique_irs"] + result["native_jobs"], UPSTREAM["compile_jobs"],
                  UPSTREAM["ir_files"]]
        bars = ax.bar(labels, values, color=["grey", "tab:orange", "tab:blue", "silver",
                                             "tab:green"])
        ax.bar_label(bars)
        ax.set_ylabel("compilations")
        ax.set_title(f"GROMACS 2022.5, 5 GMX_SIMD values: {result['reduction']:.0%} fewer "
                     "(upstream 69 %)")
        ax.tick_params(axis="x", labelsize=8)
        fig.tight_layout()
        fig.savefig(RESULTS / "ir_gromacs.png", dpi=120)


if __name__ == "__main__":
    main()
