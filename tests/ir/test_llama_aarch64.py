"""llama.cpp's ggml with two aarch64 CPU variants as one IR bundle (slow: tens of CPU minutes).

``ir-cpu.yaml``'s ``ARMV8_2_DOTPROD`` (``GGML_CPU_ARM_ARCH=armv8.2-a+dotprod``) and
``ARMV9_SVE2`` (``armv9-a+sve2``) are cross-built into one aarch64 bundle on this x86-64 host,
each is deployed from it (cross-lowered, linked against the arm64 sysroot), and llama.cpp's own
``test-quantize-fns`` passes under qemu-aarch64 (its default CPU ``max`` has dot product and
SVE2). ``benchmarks/ir_aarch64.py --only llama`` measures the same path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ir.conftest import need_tools
from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app

pytestmark = pytest.mark.slow
APP = BUNDLED_APPS / "llama.cpp" / "ir-cpu.yaml"
VARIANTS = {"ARMV8_2_DOTPROD": "armv8.2-a+dotprod", "ARMV9_SVE2": "armv9-a+sve2"}


def test_ggml_aarch64_variants_one_bundle_tests_pass_under_qemu(tmp_path: Path) -> None:
    need_tools()
    from xaas_parsl.build.cmake import run_app_tests
    from xaas_parsl.ir import build_bundle, deploy
    from xaas_parsl.ir.cross import elf_arch, family, require_sysroot
    from xaas_parsl.sources import FetchError, fetch

    require_sysroot(family("aarch64"))
    try:
        fetch("llama.cpp")
    except FetchError as exc:
        pytest.skip(f"cannot fetch llama.cpp: {exc}")
    app = load_app(APP)
    configs = app.configurations("aarch64")
    assert {c.name: dict(c.options)["GGML_CPU_ARM_ARCH"] for c in configs} == VARIANTS
    summary = build_bundle(app, tmp_path / "bundle", None, quiet=True, arch="aarch64")
    assert summary["arch"] == "aarch64" and summary["configs"] == list(VARIANTS)
    # ggml's core is compiled without the -march of the CPU backend: shared by both variants
    assert summary["unique_irs"] < summary["compile_jobs"]
    for name in VARIANTS:
        done = deploy(Path(summary["bundle"]), name, quiet=True)
        exe = Path(done["install_dir"]) / "bin" / "test-quantize-fns"
        assert elf_arch(exe) == "aarch64"
        results = run_app_tests(app, Path(done["install_dir"]), timeout=3600)  # qemu: slow
        assert results and results[0].command[0].endswith("qemu-aarch64-static")
        assert all(r.passed for r in results), (name, results[0].output[-800:])
