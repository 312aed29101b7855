"""Intersection on the six real upstream system files × GROMACS and the bundled example.

Each case pins what docs/architecture.md ("Versions", "SIMD choice") and docs/intersection.md
require, and the ``upstream_*`` tests show where upstream's own checker
(``reference/xaas/upstream-intersection``) is wrong and we are not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, SPECS, SYSTEM_NAMES, SYSTEMS, UPSTREAM_INTERSECTION
from xaas_parsl.discovery.load import load_system
from xaas_parsl.errors import PolicyError
from xaas_parsl.intersection import Policy, intersect
from xaas_parsl.spec import load_spec, spec_from_dict


def run(spec_file: Path, system: str, policy: Policy | None = None) -> dict[str, Any]:
    spec = load_spec(spec_file)
    return intersect(spec, load_system(SYSTEMS / f"{system}.json"), policy).to_dict()


GROMACS = SPECS / "gromacs-2025.0.json"
HEAT = HEAT2D / "specialization-points.json"

# system -> (simd, gpu backend, cuda architectures, MPI on?)
GROMACS_EXPECTED = {
    "clariden-alps": ("ARM_NEON_ASIMD", "CUDA", ["90"], True),
    "aurora": ("AVX_512", "SYCL", None, True),
    "ault25": ("AVX2_256", "CUDA", ["80"], True),
    "ault23": ("AVX_512", "CUDA", ["70"], True),
    "lumi": ("AVX2_256", "HIP", None, False),
    "mn5": ("AVX_512", "CUDA", ["90"], True),
}

HEAT_EXPECTED = {
    "clariden-alps": ("ARM_NEON_ASIMD", "CUDA", ["90"], True),
    "aurora": ("AVX_512", None, None, True),
    "ault25": ("AVX2_256", "CUDA", ["80"], True),
    "ault23": ("AVX_512", "CUDA", ["70"], True),
    "lumi": ("AVX2_256", "HIP", None, False),
    "mn5": ("AVX_512", "CUDA", ["90"], True),
}


def test_expectations_cover_all_six_systems() -> None:
    assert set(GROMACS_EXPECTED) == set(HEAT_EXPECTED) == set(SYSTEM_NAMES)


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(
    ("spec_file", "expected"),
    [(GROMACS, GROMACS_EXPECTED), (HEAT, HEAT_EXPECTED)],
    ids=["gromacs", "heat2d"],
)
@pytest.mark.parametrize("system", SYSTEM_NAMES)
def test_choice(spec_file: Path, expected: dict[str, Any], system: str) -> None:
    simd, backend, archs, mpi = expected[system]
    out = run(spec_file, system)
    choice = out["choice"]
    assert choice["simd"] == simd
    assert choice["gpu_backend"] == backend
    assert choice["cuda_architectures"] == archs
    mpi_name = "MPI"
    assert (mpi_name in choice["parallel"]) is mpi
    args = choice["cmake_args"]
    if archs:
        assert f"-DCMAKE_CUDA_ARCHITECTURES={';'.join(archs)}" in args
    else:
        assert not any(a.startswith("-DCMAKE_CUDA_ARCHITECTURES") for a in args)
    assert all(a.startswith("-D") and "=" in a for a in args), args
    assert choice["reasons"], "every choice comes with reasons"
    # Versions are null or real versions, never sentences.
    for section in ("gpu_backends", "parallel_libraries", "fft_libraries",
                    "linear_algebra_libraries", "compiler"):
        for entry in out[section].values():
            version = entry["version"]
            assert version is None or version[0].isdigit(), (section, version)
            if "used_as_default" in entry:
                assert isinstance(entry["used_as_default"], bool)
    json.dumps(out)  # plain JSON


@pytest.mark.usefixtures("reference")
def test_gromacs_cmake_args_on_alps() -> None:
    args = run(GROMACS, "clariden-alps")["choice"]["cmake_args"]
    assert "-DGMX_SIMD=ARM_NEON_ASIMD" in args
    assert "-DGMX_GPU=CUDA" in args
    assert "-DGMX_MPI=ON" in args and "-DGMX_THREAD_MPI=OFF" in args
    assert "-DGMX_GPU_FFT_LIBRARY=cuFFT" in args
    assert "-DGMX_OPENMP=ON" in args


@pytest.mark.usefixtures("reference")
def test_gromacs_on_aurora_uses_the_sycl_gpu_fft_and_mkl() -> None:
    choice = run(GROMACS, "aurora")["choice"]
    assert choice["gpu_fft"] == "MKL"
    assert "-DGMX_GPU=SYCL" in choice["cmake_args"]


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("system", ["ault23", "ault25", "aurora", "clariden-alps"])
def test_upstream_never_keeps_mpi_we_do(system: str) -> None:
    upstream = json.loads((UPSTREAM_INTERSECTION / f"gromacs__{system}.json").read_text())
    assert "MPI" not in upstream["parallel_libraries"]
    ours = run(GROMACS, system)
    assert "MPI" in ours["parallel_libraries"]


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("system", ["ault23", "aurora", "mn5"])
def test_avx_128_fma_is_not_offered_on_intel(system: str) -> None:
    out = run(GROMACS, system)
    assert "avx_128_fma" not in out["vectorization_flags"]
    excluded = {e["name"]: e["reason"] for e in out["excluded"]}
    assert "fma4" in excluded["AVX_128_FMA"]
    if system in ("ault23", "aurora"):
        upstream = json.loads((UPSTREAM_INTERSECTION / f"gromacs__{system}.json").read_text())
        assert "avx_128_fma" in upstream["vectorization_flags"]


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("system", ["ault23", "ault25"])
def test_sycl_is_not_available_on_nvidia_nodes(system: str) -> None:
    upstream = json.loads((UPSTREAM_INTERSECTION / f"gromacs__{system}.json").read_text())
    assert "SYCL" in upstream["gpu_backends"]  # upstream's bug: a library path as version
    out = run(GROMACS, system)
    assert "SYCL" not in out["gpu_backends"]
    # ...and so the SYCL-only GPU FFT of oneMKL is not offered either.
    assert "MKL" not in out["fft_libraries"]
    assert "MKL" in upstream["fft_libraries"]


@pytest.mark.usefixtures("reference")
def test_compilers_not_found_are_dropped_and_defaults_are_booleans() -> None:
    upstream = json.loads((UPSTREAM_INTERSECTION / "gromacs__clariden-alps.json").read_text())
    assert "clang++" in upstream["compiler"]  # reported "Not found" on clariden
    out = run(GROMACS, "clariden-alps")
    assert "clang++" not in out["compiler"]
    assert out["compiler"]["g++"]["version"] == "13.3.0"
    assert out["compiler"]["g++"]["used_as_default"] is True


@pytest.mark.usefixtures("reference")
def test_known_version_below_minimum_excludes() -> None:
    data = json.loads(GROMACS.read_text())
    data["gpu_backends"]["CUDA"]["minimum_version"] = "12.4"
    spec = spec_from_dict(data, "gromacs-min-12.4")
    out = intersect(spec, load_system(SYSTEMS / "ault25.json")).to_dict()
    assert "CUDA" not in out["gpu_backends"]
    reason = next(e["reason"] for e in out["excluded"] if e["name"] == "CUDA")
    assert "12.1" in reason and "12.4" in reason
    # CUDA is out; the node's OpenCL 3.0 on the same GPUs is the fallback.
    assert out["choice"]["gpu_backend"] == "OpenCL"
    assert not any(a.startswith("-DCMAKE_CUDA_ARCHITECTURES") for a in out["choice"]["cmake_args"])


@pytest.mark.usefixtures("reference")
def test_unknown_version_is_usable_with_a_warning() -> None:
    out = run(GROMACS, "mn5")  # CUDA libraries found, version not found
    assert out["gpu_backends"]["CUDA"]["version"] is None
    assert any("CUDA version unknown" in w for w in out["warnings"])


@pytest.mark.usefixtures("reference")
def test_pins_and_preferences() -> None:
    pinned = run(GROMACS, "ault23", Policy(pin={"simd": "AVX2_256"}))
    assert pinned["choice"]["simd"] == "AVX2_256"
    cpu_only = run(GROMACS, "ault23", Policy(use_gpu=False))
    assert cpu_only["choice"]["gpu_backend"] is None
    assert not any("GMX_GPU=" in a for a in cpu_only["choice"]["cmake_args"])
    no_mpi = run(GROMACS, "ault23", Policy(use_mpi=False))
    assert "-DGMX_THREAD_MPI=ON" in no_mpi["choice"]["cmake_args"]
    assert "-DGMX_MPI=OFF" in no_mpi["choice"]["cmake_args"]
    with pytest.raises(PolicyError, match="AVX_512"):
        run(GROMACS, "ault25", Policy(pin={"simd": "AVX_512"}))
    with pytest.raises(PolicyError, match="SYCL"):
        run(GROMACS, "ault25", Policy(pin={"gpu_backend": "SYCL"}))


@pytest.mark.usefixtures("reference")
def test_heat2d_uses_fftw_where_the_node_has_it() -> None:
    out = run(HEAT, "mn5")  # mn5 has FFTW in /lib64
    assert out["choice"]["fft"] == "fftw3"
    assert "-DHEAT2D_FFT=fftw3" in out["choice"]["cmake_args"]
    lumi = run(HEAT, "lumi")  # no FFT libraries at all
    assert lumi["choice"]["fft"] == "builtin"
