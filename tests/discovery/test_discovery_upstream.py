"""Upstream XaaS files: every one loads, each known defect is repaired, round trips hold."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.discovery.load import UPSTREAM_SCHEMA, load_system, native_schema
from xaas_parsl.discovery.model import CpuInfo, SystemInfo
from xaas_parsl.discovery.upstream import UPSTREAM_KEYS, from_upstream, to_upstream
from xaas_parsl.discovery.upstream_write import vectorizations
from xaas_parsl.fileio import validate

from ._support import UPSTREAM, UPSTREAM_FILES, assert_no_sentence_versions

REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "xaas" / "system-discovery"
)


def _load(name: str) -> SystemInfo:
    return load_system(UPSTREAM / f"{name}.json")


def _comparable(info: SystemInfo) -> SystemInfo:
    """Drop what a round trip legitimately changes: notes, source, per-GPU source."""
    return replace(info, notes=(), source="", gpus=tuple(replace(g, source="") for g in info.gpus))


def test_six_files_present() -> None:
    names = ["ault23", "ault25", "aurora", "clariden-alps", "lumi", "mn5"]
    assert [p.stem for p in UPSTREAM_FILES] == names


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference pack not present")
@pytest.mark.parametrize("path", UPSTREAM_FILES, ids=lambda p: p.stem)
def test_copies_match_reference_pack(path: Path) -> None:
    original = REFERENCE / path.name
    assert (
        hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()
    )


@pytest.mark.parametrize("path", UPSTREAM_FILES, ids=lambda p: p.stem)
def test_loads_with_no_sentence_versions(path: Path) -> None:
    info = load_system(path)
    assert info.cpu.architecture in {"x86_64", "aarch64"}
    assert not info.cpu.flags_complete
    assert info.source == f"xaas:{path}"
    assert info.notes  # every file needs at least the flag-subset note
    validate(info.to_dict(), native_schema(), path, "native system")
    assert_no_sentence_versions(info.to_dict())
    assert_no_sentence_versions(to_upstream(info))
    for compiler in info.compilers:
        assert compiler.version is None or compiler.version[0].isdigit()


@pytest.mark.parametrize("path", UPSTREAM_FILES, ids=lambda p: p.stem)
def test_upstream_round_trip(path: Path) -> None:
    first = load_system(path)
    written = to_upstream(first)
    assert tuple(written) == UPSTREAM_KEYS
    validate(written, UPSTREAM_SCHEMA, path, "upstream system")
    second = from_upstream(json.loads(json.dumps(written)), "round-trip")
    assert _comparable(second) == _comparable(first)


def test_aurora_sycl_swap_fixed() -> None:
    info = _load("aurora")
    sycl = info.backend("SYCL")
    assert sycl is not None
    assert sycl.libraries == ("/opt/aurora/24.180.3/oneapi/compiler/latest/lib/libsycl.so.7",)
    assert sycl.version is None
    assert info.backend("CUDA") is None  # "Version not found" with no libraries: absent
    written = to_upstream(info)["GPU Backends"]["SYCL"]
    assert written == {"libraries": list(sycl.libraries), "version": None}
    assert any("swapped" in note for note in info.notes)


def test_aurora_misfiled_mpicxx_and_mpi() -> None:
    info = _load("aurora")
    mpicxx = [c for c in info.compilers if c.executable == "mpicxx"]
    assert [(c.language, c.family) for c in mpicxx] == [("cxx", "IntelLLVM")]
    (mpi,) = info.libraries_of("mpi")
    assert (mpi.name, mpi.version) == ("MPICH", "4.2.3")
    assert len(info.gpus_of("intel")) == 6
    assert all(g.driver_version is None for g in info.gpus)  # "Unknown" -> null


def test_lumi_has_no_mpi_and_keeps_rocm() -> None:
    info = _load("lumi")
    assert info.libraries_of("mpi") == ()
    assert "No MPI Found" not in to_upstream(info)["Parallel Libraries"]
    (gpu,) = info.gpus
    assert (gpu.vendor, gpu.compute_capability) == ("amd", "gfx90a")
    assert gpu.marketing_name == gpu.name == "AMD Instinct MI250X"
    rocm = info.backend("ROCm")
    assert rocm is not None and rocm.version == "6.0.3"
    assert info.cpu.microarchitecture == "zen3"
    assert info.compilers == ()


def test_clariden_compilers_not_found_dropped() -> None:
    info = _load("clariden-alps")
    executables = {c.executable for c in info.compilers}
    assert executables == {"gcc", "g++", "gfortran", "mpicc", "mpicxx", "mpifort"}
    assert all(c.version == "13.3.0" and c.family == "GCC" for c in info.compilers)
    assert any("'Not found' entries dropped" in note for note in info.notes)


def test_clariden_libraries_and_cpu() -> None:
    info = _load("clariden-alps")
    mpi = {lib.name: lib.version for lib in info.libraries_of("mpi")}
    assert mpi == {"CrayMPICH": "8.1.30", "UnknownMPI": None}
    versions = {(lib.kind, lib.name): lib.version for lib in info.libraries}
    assert versions["blas", "OpenBLAS"] == "0.3.28"  # recovered, not GCC's 13.3.0
    assert versions["blas", "BLAS"] == "0.3.28"  # its directory is OpenBLAS's
    assert versions["lapack", "LAPACK"] is None  # its directory is ScaLAPACK's
    assert versions["scalapack", "ScaLAPACK"] == "2.2.0"
    assert "13.3.0" not in versions.values()
    assert info.cpu.microarchitecture == "neoverse-v2"
    assert info.cpu.flags == ("asimd", "sve")
    assert info.cpu.sve_vector_bits is None
    assert {g.runtime_version for g in info.gpus} == {"12.6"}
    assert info.tools == {"cmake": "3.30.5"}


def test_mn5_gpus_from_lspci() -> None:
    info = _load("mn5")
    assert len(info.gpus) == 4
    assert all(g.vendor == "nvidia" and g.source == "lspci" for g in info.gpus)
    assert all(g.compute_capability is None for g in info.gpus)
    assert info.gpus[0].name == "Device 2337"
    cuda = info.backend("CUDA")
    assert cuda is not None and cuda.version is None and len(cuda.libraries) == 7
    (mpi,) = info.libraries_of("mpi")
    assert (mpi.name, mpi.version) == ("IntelMPI", "2021.10.0")
    mkl = [lib for lib in info.libraries_of("blas") if lib.name == "MKL"]
    assert [lib.version for lib in mkl] == ["2023.2.0"]  # plausible: kept


def test_ault25_lspci_host_bridges_are_not_gpus() -> None:
    info = _load("ault25")
    assert len(info.gpus) == 4
    assert {g.vendor for g in info.gpus} == {"nvidia"}
    assert {g.source for g in info.gpus} == {"xaas"}  # the nvidia list, not lspci
    assert info.cpu.microarchitecture == "zen2"
    assert [(r.name, r.version) for r in info.container_runtimes] == [("sarus", "1.6.0")]


def test_ault23_repairs() -> None:
    info = _load("ault23")
    mkl = [lib for lib in info.libraries if lib.name == "MKL"]
    assert [lib.version for lib in mkl] == [None, None]  # FFT "Unknown Version", BLAS "8.4.1"
    (mpi,) = info.libraries_of("mpi")
    assert (mpi.name, mpi.version) == ("OpenMPI", "4.1.1")
    clang = {c.executable: c.family for c in info.compilers if c.executable.startswith("clang")}
    assert clang == {"clang": "IntelLLVM", "clang++": "IntelLLVM"}
    rocm = info.backend("ROCm")
    assert rocm is not None and rocm.version == "4.3.0"
    assert any("ROCm 4.3.0" in note and "no AMD GPU" in note for note in info.notes)
    sycl = info.backend("SYCL")
    assert sycl is not None and sycl.version is None and sycl.libraries[0].endswith("libsycl.so.5")
    assert {g.runtime_version for g in info.gpus} == {"12.1"}


def _cpu(arch: str, *flags: str) -> CpuInfo:
    return CpuInfo(architecture=arch, flags=flags)


def test_vectorizations_whitelist() -> None:
    x86 = _cpu("x86_64", "fma", "avx2", "avx512f", "sse", "avx512_vnni")
    assert vectorizations(x86) == ["avx512f", "avx2", "sse"]
    assert vectorizations(_cpu("aarch64", "fp", "asimd", "sve")) == ["asimd", "sve"]
    assert vectorizations(_cpu("aarch64", "asimd", "sve", "sve2")) == ["asimd", "sve", "sve2"]


def test_bad_sections_raise_input_error() -> None:
    from xaas_parsl.errors import InputError

    data: dict[str, Any] = {"CPU Info": {"Architecture": "x86_64"}, "GPU Backends": []}
    with pytest.raises(InputError, match="GPU Backends"):
        from_upstream(data, "bad.json")
    with pytest.raises(InputError, match="Architecture"):
        from_upstream({"CPU Info": {}}, "bad.json")
