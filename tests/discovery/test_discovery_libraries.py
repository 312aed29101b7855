"""Library index and classification: ldconfig output, paths, MPI flavours, modules, backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.discovery.backends import BackendEvidence, gpu_backends, parse_cuda_version_json
from xaas_parsl.discovery.libindex import (
    LibFile,
    build_index,
    parse_ldconfig,
    parse_loaded_modules,
)
from xaas_parsl.discovery.libraries import (
    apply_mpi_tool_versions,
    classify_libraries,
    classify_mpi,
    library_version,
    mpi_flavour,
    parse_mpi_tool_output,
)
from xaas_parsl.discovery.versions import (
    clean_version,
    oneapi_version_from_path,
    version_from_path,
)


def _files(*paths: str) -> list[LibFile]:
    return [LibFile(Path(p).name, p, "test") for p in paths]


def test_ldconfig_sample_drops_other_abis(data_dir: Path) -> None:
    libs = parse_ldconfig((data_dir / "ldconfig_sample.txt").read_text(), "x86_64")
    paths = [lib.path for lib in libs]
    assert "/lib/i386-linux-gnu/libz.so.1" not in paths
    assert "/lib/x86_64-linux-gnu/libz.so.1" in paths
    assert "/lib/x86_64-linux-gnu/libc.so.6" in paths  # "OS ABI" suffix still parsed
    assert len(libs) == 16


def test_ldconfig_sample_classified(data_dir: Path) -> None:
    libs = parse_ldconfig((data_dir / "ldconfig_sample.txt").read_text(), "x86_64")
    found = {(lib.kind, lib.name): lib for lib in classify_libraries(libs, lambda p: p)}
    assert set(found) == {("blas", "OpenBLAS"), ("fft", "FFTW"), ("fft", "cuFFT")}
    assert found["fft", "cuFFT"].version == "11.2.1.3"  # NVIDIA sonames carry the release
    assert found["fft", "FFTW"].version is None  # libtool numbers are not releases
    (mpi,) = classify_mpi(libs, lambda p: p)
    assert (mpi.name, len(mpi.paths)) == ("OpenMPI", 2)  # libmpfr/libmpdec are not MPI
    backends = {b.name: b for b in gpu_backends(libs, BackendEvidence())}
    assert set(backends) == {"CUDA", "SYCL", "OpenCL", "LevelZero", "Vulkan"}
    assert backends["SYCL"].version == "2024.2"  # from compiler/2024.2, not the soname "7"
    assert backends["CUDA"].version is None  # libraries only: no nvcc, no driver answer


def test_debian_blas_alternative_names_the_provider() -> None:
    real = {
        "/usr/lib/x86_64-linux-gnu/libblas.so.3": (
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"
        ),
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0": (
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"
        ),
    }
    libs = classify_libraries(_files(*real), lambda p: real.get(p, p))
    assert {(lib.name, lib.version) for lib in libs} == {("OpenBLAS", "0.3.21")}


@pytest.mark.parametrize(
    ("name", "path", "version"),
    [
        ("MKL", "/opt/intel/oneapi/mkl/2023.2.0/lib/intel64/libmkl_core.so.2", "2023.2.0"),
        (
            "MKL",
            "/apps/spack/gcc-8.4.1/intel-oneapi-mkl-2021.3.0-7vtz/lib/libmkl_core.so",
            "2021.3.0",
        ),
        ("MKL", "/opt/aurora/24.180.3/oneapi/mkl/latest/lib/libmkl_core.so", None),
        ("OpenBLAS", "/x/gcc-13.3.0/openblas-0.3.28-fzip767/lib/libopenblas.so", "0.3.28"),
        ("FFTW", "/x/gcc-13.3.0/fftw-3.3.10-abcdefg/lib/libfftw3.so.3.6.10", "3.3.10"),
        ("FFTW", "/lib64/libfftw3_threads.so.3", None),
        ("ScaLAPACK", "/x/gcc-13.3.0/netlib-scalapack-2.2.0-pwuh/lib/libscalapack.so", "2.2.0"),
    ],
)
def test_library_versions_only_from_own_directory(
    name: str, path: str, version: str | None
) -> None:
    assert library_version(name, [path]) == version


def test_gcc_prefix_is_never_a_version() -> None:
    assert version_from_path("/x/linux-sles15/gcc-13.3.0/cuda-12.6.2-abc/lib64", ["mkl"]) is None


@pytest.mark.parametrize(
    ("paths", "flavour"),
    [
        (["/usr/lib/x86_64-linux-gnu/libmpich.so.12"], "MPICH"),
        (["/usr/lib/x86_64-linux-gnu/libmpi.so.40"], "OpenMPI"),
        (["/u/gcc-13.3.0/cray-mpich-8.1.30-wb5p/lib/libmpi.so"], "CrayMPICH"),
        (["/opt/cray/pe/mpich/8.1.29/ofi/gnu/12.3/lib/libmpi_gnu_123.so"], "CrayMPICH"),
        (["/gpfs/apps/MN5/GPP/ONEAPI/2023.2.0/mpi/2021.10.0/lib/release/libmpi.so.12"], "IntelMPI"),
        (["/opt/intel/oneapi/mpi/latest/lib/libmpi.so.12"], "IntelMPI"),
        (["/opt/aurora/oneapi-2024.2.1/mpich-4.2.3-hvht4kj/lib/libmpi.so.12"], "MPICH"),
        (["/opt/mvapich2/2.3.7/lib/libmpi.so.12"], "MVAPICH"),
        (["/user-environment/env/default/lib/libmpi.so"], "UnknownMPI"),
    ],
)
def test_mpi_flavours(paths: list[str], flavour: str) -> None:
    assert mpi_flavour(paths) == flavour


def test_intel_mpi_directories_merge_with_version() -> None:
    files = _files(
        "/gpfs/ONEAPI/2023.2.0/mpi/2021.10.0/lib/libmpifort.so.12.0.0",
        "/gpfs/ONEAPI/2023.2.0/mpi/2021.10.0/lib/release/libmpi.so.12.0.0",
    )
    (mpi,) = classify_mpi(files, lambda p: p)
    assert (mpi.name, mpi.version, len(mpi.paths)) == ("IntelMPI", "2021.10.0", 2)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("MPICH Version:    \t4.0.2\nMPICH Release date:\tThu Apr  7", ("MPICH", "4.0.2")),
        ("HYDRA build details:\n    Version:              4.0.2\n", ("MPICH", "4.0.2")),
        ("mpirun (Open MPI) 4.1.4\n\nReport bugs to", ("OpenMPI", "4.1.4")),
        (
            "Intel(R) MPI Library for Linux* OS, Version 2021.10 Build 20230619",
            ("IntelMPI", "2021.10"),
        ),
        ("something else", None),
    ],
)
def test_mpi_tool_output(output: str, expected: tuple[str, str] | None) -> None:
    assert parse_mpi_tool_output(output) == expected


def test_mpi_tool_version_fills_single_unknown() -> None:
    (mpi,) = classify_mpi(_files("/usr/lib/x86_64-linux-gnu/libmpich.so.12"), lambda p: p)
    (filled,) = apply_mpi_tool_versions([mpi], [("MPICH", "4.0.2"), ("OpenMPI", "4.1.4")])
    assert filled.version == "4.0.2"


def test_loaded_modules() -> None:
    loaded = "cray-mpich/8.1.30:gcc/13.3.0:PrgEnv-cray/8.5.0:craype-x86-trento"
    assert parse_loaded_modules(loaded, None) == {
        "cray-mpich": "8.1.30",
        "gcc": "13.3.0",
        "PrgEnv-cray": "8.5.0",
        "craype-x86-trento": None,
    }
    lmfiles = "/apps/modulefiles/cuda/12.6.2.lua:/apps/modulefiles/nccl/2.22.3-1.lua"
    assert parse_loaded_modules(None, lmfiles) == {"cuda": "12.6.2", "nccl": "2.22.3-1"}
    assert parse_loaded_modules(None, None) == {}


def test_index_from_ld_library_path(tmp_path: Path) -> None:
    lib = tmp_path / "openblas-0.3.28-abc" / "lib"
    lib.mkdir(parents=True)
    (lib / "libopenblas.so.0").write_text("")
    (lib / "README").write_text("")
    env = {"LD_LIBRARY_PATH": f"{lib}::{lib}", "MKLROOT": str(tmp_path / "missing")}
    index = build_index(env, "riscv64", None)
    assert [(f.name, f.source) for f in index] == [("libopenblas.so.0", "LD_LIBRARY_PATH")]
    (blas,) = classify_libraries(index, lambda p: p)
    assert (blas.name, blas.version) == ("OpenBLAS", "0.3.28")


def test_backend_versions() -> None:
    evidence = BackendEvidence(
        nvcc_output="Cuda compilation tools, release 12.4, V12.4.131",
        hipcc_output="HIP version: 6.0.32831-204d35d16",
        rocm_version="6.0.3",
    )
    found = {b.name: b.version for b in gpu_backends([], evidence)}
    assert found == {"CUDA": "12.4", "HIP": "6.0.32831", "ROCm": "6.0.3"}
    driver_only = gpu_backends([], BackendEvidence(cuda_driver_version="12.6"))
    assert [(b.name, b.version) for b in driver_only] == [("CUDA", "12.6")]
    assert (
        parse_cuda_version_json('{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}') == "12.4.1"
    )
    assert gpu_backends([], BackendEvidence()) == []


@pytest.mark.parametrize(
    ("path", "version"),
    [
        (
            "/x/intel-oneapi-compilers-2021.3.0-zdnq/compiler/2021.3.0/linux/lib/libsycl.so.5",
            "2021.3.0",
        ),
        ("/opt/aurora/24.180.3/oneapi/compiler/latest/lib/libsycl.so.7", None),
    ],
)
def test_oneapi_version(path: str, version: str | None) -> None:
    assert oneapi_version_from_path(path) == version


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Version not found", None),
        ("Unknown Version", None),
        ("Unknown", None),
        ("Not found", None),
        ("None", None),
        ("", None),
        (None, None),
        ("12.1", "12.1"),
        (" 4.3.0 ", "4.3.0"),
        ("label", None),
    ],
)
def test_clean_version(raw: object, clean: str | None) -> None:
    assert clean_version(raw) == clean


def test_pkgconfig_fills_only_unknown_versions_with_clean_versions() -> None:
    from concurrent.futures import Future

    from xaas_parsl.discovery.model import Library
    from xaas_parsl.discovery.probe import _with_pkgconfig_versions

    def done(value: str | None) -> Future[str | None]:
        future: Future[str | None] = Future()
        future.set_result(value)
        return future

    libs = [Library("fft", "FFTW"), Library("blas", "OpenBLAS", "0.3.21"),
            Library("lapack", "LAPACK")]
    out = _with_pkgconfig_versions(
        libs, {"FFTW": done("3.3.10\n"), "OpenBLAS": done("9.9"), "LAPACK": done("garbage")}
    )
    assert [lib.version for lib in out] == ["3.3.10", "0.3.21", None]
