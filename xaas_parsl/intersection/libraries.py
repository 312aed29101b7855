"""Matching an app's library entries (MPI, OpenMP, FFT, BLAS, compilers) with a node.

Names are matched case-insensitively on a canonical key, which fixes upstream's bug of never
keeping MPI (it looked for ``mpich`` while discovery wrote ``MPICH``). GPU FFT libraries are
kept only when a GPU backend they depend on is usable (so GROMACS's SYCL-only ``MKL`` GPU FFT is
not offered on NVIDIA nodes).
"""

from __future__ import annotations

import re

from xaas_parsl.discovery.model import Library, SystemInfo
from xaas_parsl.intersection.result import Status
from xaas_parsl.intersection.versions import VersionCheck, check_minimum, parse_version


def key(name: str) -> str:
    """Canonical matching key: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def is_thread_mpi(name: str) -> bool:
    """GROMACS's built-in thread-MPI (and similar in-process MPI emulations)."""
    k = key(name)
    return k in {"threadmpi", "tmpi"} or ("thread" in k and "mpi" in k)


def is_mpi(name: str) -> bool:
    """A real MPI library entry (not thread-MPI)."""
    return "mpi" in key(name) and not is_thread_mpi(name) and "openmp" not in key(name)


def is_openmp(name: str) -> bool:
    """An OpenMP entry (``OpenMP``, ``OpenMP offload`` is a GPU thing and not matched)."""
    return key(name) == "openmp"


# MPI library release -> the MPI standard it implements (what find_package(MPI <ver>) checks).
_MPI_STANDARD: dict[str, tuple[tuple[str, str], ...]] = {
    "mpich": (("4.0", "4.0"), ("3.0", "3.0")),
    "craympich": (("8.0", "3.1"), ("7.0", "3.0")),
    "openmpi": (("5.0", "3.1"), ("2.0", "3.1"), ("1.8", "3.0")),
    "intelmpi": (("2021.1", "3.1"), ("2019.0", "3.1"), ("5.0", "3.0")),
    "mvapich": (("2.0", "3.1"),),
}


def mpi_standard(lib: Library) -> str | None:
    """The MPI standard version a discovered MPI library implements, when we know it."""
    have = parse_version(lib.version)
    if have is None:
        return None
    for release, standard in _MPI_STANDARD.get(key(lib.name), ()):
        if have >= parse_version(release):  # type: ignore[operator]
            return standard
    return None


def mpi_status(system: SystemInfo, name: str, minimum: str | None) -> Status:
    """An MPI entry: usable when the node has an MPI library implementing the minimum."""
    libs = system.libraries_of("mpi")
    if not libs:
        return Status(False, None, "no MPI library found on the node")
    lib = libs[0]
    standard = mpi_standard(lib)
    label = f"{lib.name} {lib.version or '(version unknown)'}"
    check = check_minimum(standard, minimum)
    if check is VersionCheck.TOO_OLD:
        return Status(False, standard, f"{label} implements MPI {standard} < {minimum}")
    if check is VersionCheck.UNKNOWN:
        return Status(
            True, lib.version, f"{label}: MPI standard unknown, required {minimum}", True
        )
    return Status(True, lib.version, f"node has {label}")


def parallel_status(system: SystemInfo, name: str, minimum: str | None) -> Status:
    """Any parallel programming library entry."""
    if is_thread_mpi(name):
        return Status(True, None, "thread-MPI is built into the application")
    if is_mpi(name):
        return mpi_status(system, name, minimum)
    if is_openmp(name):
        families = {c.family for c in system.compilers if c.language in ("c", "cxx")}
        if system.compilers and not families & {"GCC", "Clang", "IntelLLVM", "Intel", "Cray",
                                                 "NVHPC", "AOCC", "AppleClang", None}:
            return Status(False, None, "no OpenMP-capable C/C++ compiler found")
        return Status(True, None, "OpenMP comes with the node's C/C++ compiler")
    k = key(name)
    if k in {"threads", "pthreads", "pthread", "stdthread"}:
        return Status(True, None, "POSIX threads are always available")
    if any(k in key(m) for m in system.modules) or any(
        k == key(lib.name) for lib in system.libraries
    ):
        return Status(True, None, f"{name} found among the node's modules/libraries")
    return Status(False, None, f"{name} not found on the node")


_FFT_LIB: dict[str, str] = {
    "fftw": "fftw", "fftw3": "fftw", "fftw3f": "fftw", "mkl": "mkl", "onemkl": "mkl",
    "armpl": "armpl", "essl": "essl", "cufft": "cufft", "rocfft": "rocfft", "hipfft": "hipfft",
}
# GPU FFT entries whose upstream ``dependencies`` are null but which need a backend anyway.
GPU_FFT_DEFAULT_DEPS: dict[str, str] = {
    "onemath": "SYCL", "bbfft": "SYCL", "cufft": "CUDA", "rocfft": "HIP", "hipfft": "HIP",
    "clfft": "OpenCL", "vkfft": "OpenCL, HIP, SYCL, CUDA", "cufftmp": "CUDA",
}


def fft_is_builtin(name: str, built_in: bool) -> bool:
    """Built-in FFTs (GROMACS's ``fftpack[built-in]``, ``builtin``) need nothing from the node."""
    k = key(name)
    return built_in or "builtin" in k or k.startswith("fftpack")


def fft_library(system: SystemInfo, name: str) -> Library | None:
    """The node's library for a CPU FFT entry (MKL may be listed as FFT or as BLAS)."""
    want = _FFT_LIB.get(key(name), key(name))
    for lib in system.libraries:
        if lib.kind in ("fft", "blas") and key(lib.name).startswith(want):
            return lib
    return None


def parse_dependencies(text: str | None) -> list[tuple[str, str | None]]:
    """``"OpenCL, HIP, SYCL(ACPP)"`` → ``[("OpenCL", None), ("HIP", None), ("SYCL", "ACPP")]``."""
    out: list[tuple[str, str | None]] = []
    for part in (text or "").split(","):
        match = re.match(r"\s*([A-Za-z0-9+]+)\s*(?:\(([^)]*)\))?", part)
        if match and match.group(1):
            out.append((match.group(1), match.group(2)))
    return out


_BLAS_NEEDS: tuple[tuple[str, str], ...] = (
    ("cublas", "backend:CUDA"), ("hipblas", "backend:HIP"), ("rocblas", "backend:HIP"),
    ("clblast", "backend:OpenCL"), ("accelerate", "os:darwin"), ("mkl", "lib:mkl"),
    ("openblas", "lib:openblas"), ("blis", "lib:blis"), ("flame", "lib:blis"),
    ("nvpl", "lib:nvpl"), ("armpl", "lib:armpl"), ("libsci", "lib:libsci"),
    ("essl", "lib:essl"), ("blas", "lib:*"), ("lapack", "lib:*"),
)


def blas_requirement(name: str, flag: str | None) -> str:
    """What a BLAS entry needs: ``backend:X``, ``os:X`` or ``lib:<vendor key>``."""
    vendor = re.search(r"BLAS_VENDOR=([A-Za-z0-9_]+)", flag or "")
    text = key(vendor.group(1) if vendor else name)
    for needle, need in _BLAS_NEEDS:
        if needle in text:
            return need
    return "lib:*"


def blas_library(system: SystemInfo, vendor_key: str) -> Library | None:
    """The node's BLAS/LAPACK library for a vendor key (``*``: any)."""
    for lib in system.libraries:
        if lib.kind not in ("blas", "lapack", "scalapack"):
            continue
        if vendor_key == "*" or key(lib.name).startswith(vendor_key):
            return lib
    return None


def compiler_family_key(name: str) -> str:
    """Spec compiler names (``GCC``, ``Clang``, ``CUDA``, ``Intel``) → discovery families."""
    k = key(name)
    return {"gnu": "gcc", "g": "gcc", "llvm": "clang", "nvcc": "cuda", "nvidia": "cuda",
            "icx": "intelllvm", "oneapi": "intelllvm", "icc": "intel"}.get(k, k)
