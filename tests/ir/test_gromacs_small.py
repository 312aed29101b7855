"""A small GROMACS target through the IR bundle (slow: fetches the Debian GROMACS source once).

GROMACS' fftpack FFT module (``src/external/fftpack/fftpack.cpp``, unchanged, what
``GMX_FFT_LIBRARY=fftpack`` compiles into libgromacs) and a round-trip check, built by
``xaas_parsl/bundled_apps/gromacs/ir-fftpack/`` with the CPU flags GROMACS' CMake uses for
``SSE4.1``, ``AVX2_256`` and ``AVX_512``: the bundle must share each unit across the three
levels as one retargetable IR (fftpack does not test ``__AVX__``), the deployed objects must
carry each level's target features, and the deployments this CPU can run must pass the check.
The whole of GROMACS is ``benchmarks/ir_gromacs.py`` (hours on 2 cores).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import host_cpu_flags
from tests.ir.conftest import need_tools
from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app

pytestmark = pytest.mark.slow
APP = BUNDLED_APPS / "gromacs" / "ir-fftpack.yaml"
CONFIGS = ["SSE4.1", "AVX2_256", "AVX_512"]
NEEDS = {"SSE4.1": {"sse4_1"}, "AVX2_256": {"avx2", "fma"}, "AVX_512": {"avx512f"}}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """(bundle, summary) of the three levels."""
    need_tools()
    from xaas_parsl.ir.build import build_bundle
    from xaas_parsl.sources import FetchError, fetch

    try:
        fetch("gromacs-2022.5")
    except FetchError as exc:
        pytest.skip(f"cannot fetch gromacs-2022.5: {exc}")
    out = tmp_path_factory.mktemp("gmx") / "bundle"
    return out, build_bundle(load_app(APP), out, CONFIGS, jobs=2, quiet=True)


def test_one_retargetable_ir_per_unit(built: tuple[Path, dict[str, Any]]) -> None:
    from xaas_parsl.ir.build import explain

    bundle, summary = built
    assert summary["compile_jobs"] == 6  # fftpack.cpp + roundtrip.cpp, three levels
    assert (summary["unique_irs"], summary["emitted"], summary["native_jobs"]) == (2, 2, 0)
    assert summary["reduction"] == pytest.approx(1 - 2 / 6, abs=1e-4)
    rows = explain(bundle, "fftpack.cpp")
    assert {r["config"] for r in rows} == set(CONFIGS)
    assert all(r["retargetable"] and sorted(r["shared_with"]) == sorted(CONFIGS) for r in rows)
    assert len({r["ir"] for r in rows}) == 1


@pytest.mark.parametrize("config", CONFIGS)
def test_deploy_and_run(built: tuple[Path, dict[str, Any]], config: str) -> None:
    from xaas_parsl.ir.deploy import deploy

    bundle, _ = built
    result = deploy(bundle, config, jobs=2, quiet=True)
    assert result["compiled_natively"] == []  # both units placed from the bundle
    assert result["placed"] == 2
    feature = {"SSE4.1": "+sse4.1", "AVX2_256": "+avx2", "AVX_512": "+avx512f"}[config]
    # the re-targeted IR is kept next to the object, for inspection
    ll = next((bundle / "deploy" / config / "objects").rglob(".fftpack.cpp.o.retargeted.bc"))
    text = subprocess.run(["llvm-dis-19", str(ll), "-o", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert feature in text
    exe = Path(result["install_dir"]) / "bin" / "fftpack-roundtrip"
    assert exe.is_file()
    if not NEEDS[config] <= host_cpu_flags():
        pytest.skip(f"{config} deployed; this CPU cannot run it")
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fftpack round trip ok" in proc.stdout
