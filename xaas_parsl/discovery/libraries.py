"""Classify shared libraries into MPI flavours, BLAS/LAPACK/ScaLAPACK vendors and FFT libraries.

Everything here is pure: it takes the library index (file names and paths) and returns
``Library`` records. Versions are only taken from places that really name *that* library's
release (see ``versions.version_from_path``); upstream's habit of taking the first
version-looking path component produced GCC versions for MKL, which we must not repeat.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath

from xaas_parsl.discovery.libindex import LibFile
from xaas_parsl.discovery.model import Library, LibraryKind
from xaas_parsl.discovery.versions import (
    plausible_version,
    soname_version,
    version_from_path,
)

#: (kind, canonical name, file-name pattern). Order matters only for reporting.
_RULES: tuple[tuple[LibraryKind, str, str], ...] = (
    ("blas", "OpenBLAS", r"^libopenblas"),
    ("blas", "MKL", r"^libmkl_(core|rt)\.so"),
    ("blas", "BLIS", r"^lib(amd)?blis"),
    ("blas", "BLAS", r"^libblas\.so"),
    ("blas", "cuBLAS", r"^libcublas\.so"),
    ("blas", "rocBLAS", r"^librocblas\.so"),
    ("blas", "hipBLAS", r"^libhipblas\.so"),
    ("blas", "LibSci", r"^libsci_(cray|gnu|nvidia|amd|intel|aocc)"),
    ("blas", "ArmPL", r"^libarmpl(_lp64|_ilp64)?(_mp)?\.so"),
    ("blas", "NVPL", r"^libnvpl_blas"),
    ("lapack", "LAPACK", r"^liblapack\.so"),
    ("scalapack", "ScaLAPACK", r"^libscalapack"),
    ("scalapack", "MKL", r"^libmkl_scalapack_(lp64|ilp64)\.so"),
    ("fft", "FFTW", r"^libfftw3[flq]?(_threads|_omp|_mpi)?\.so"),
    ("fft", "MKL", r"^libmkl_(core|rt)\.so"),
    ("fft", "oneMKL", r"^libmkl_sycl(_dft)?\.so"),
    ("fft", "cuFFT", r"^libcufft\.so"),
    ("fft", "cuFFTW", r"^libcufftw\.so"),
    ("fft", "rocFFT", r"^librocfft\.so"),
    ("fft", "hipFFT", r"^libhipfft\.so"),
)
LIBRARY_RULES: tuple[tuple[LibraryKind, str, re.Pattern[str]], ...] = tuple(
    (kind, name, re.compile(pattern)) for kind, name, pattern in _RULES
)

#: The package names under which a library's own directory appears (Spack, modules, oneAPI).
VERSION_TOKENS: dict[str, tuple[str, ...]] = {
    "OpenBLAS": ("openblas",),
    "MKL": ("intel-oneapi-mkl", "intel-mkl", "mkl"),
    "oneMKL": ("intel-oneapi-mkl", "mkl"),
    "BLIS": ("blis", "amdblis"),
    "BLAS": ("netlib-lapack", "netlib-blas", "blas"),
    "LAPACK": ("netlib-lapack", "lapack"),
    "ScaLAPACK": ("netlib-scalapack", "scalapack"),
    "FFTW": ("fftw",),
    "LibSci": ("cray-libsci", "libsci"),
    "ArmPL": ("armpl", "arm-performance-libraries"),
    "OpenMPI": ("openmpi",),
    "MPICH": ("mpich",),
    "CrayMPICH": ("cray-mpich", "mpich"),
    "MVAPICH": ("mvapich2", "mvapich", "mvapich-plus"),
    "IntelMPI": ("intel-oneapi-mpi", "impi", "mpi"),
}

#: NVIDIA's math libraries carry their release in the soname (libcufft.so.11.0.2.54).
_SONAME_VERSIONED = frozenset({"cuBLAS", "cuFFT", "cuFFTW"})
_OPENBLAS_FILE = re.compile(r"^libopenblas\w*-r(\d+\.\d+\.\d+)")
_MPI_FILE = re.compile(r"^libmpi(ch)?(cxx|fort|_[a-z0-9_]+)?\.so(\.|$)")
_CRAY_MPI_FILE = re.compile(r"^libmpi(ch)?_(cray|gnu|intel|nvidia|amd|aocc)")


#: Directory markers of the real provider behind a generic ``libblas``/``liblapack``.
_PROVIDERS = (("openblas", "OpenBLAS"), ("blis", "BLIS"), ("atlas", "ATLAS"), ("mkl", "MKL"))


def _vendor_from_realpath(name: str, real: str) -> str:
    """Debian's ``libblas.so.3``/``liblapack.so.3`` are alternatives; name the real provider."""
    if name not in {"BLAS", "LAPACK"}:
        return name
    lower = real.casefold()
    for marker, vendor in _PROVIDERS:
        if marker in lower:
            return vendor
    return name


def library_version(name: str, paths: Sequence[str]) -> str | None:
    """The release of library ``name`` from its file names and directories, when trustworthy."""
    for path in paths:
        file_name = PurePosixPath(path).name
        found: str | None = None
        if name == "OpenBLAS" and (match := _OPENBLAS_FILE.match(file_name)):
            found = match.group(1)
        elif name in _SONAME_VERSIONED:
            found = soname_version(file_name)
        if found is None:
            found = version_from_path(path, VERSION_TOKENS.get(name, ()))
        if found and plausible_version(name, found):
            return found
    return None


def classify_libraries(files: Iterable[LibFile], realpath: Callable[[str], str]) -> list[Library]:
    """BLAS/LAPACK/ScaLAPACK/FFT libraries in ``files``.

    Files of one library in one real directory form one installation, whose version is the
    first any of its files reveals (Debian's ``libblas.so.3`` tells none, its sibling
    ``libopenblasp-r0.3.21.so`` does). Installations with equal kind, name and version merge.
    """
    installs: dict[tuple[LibraryKind, str, str], tuple[list[str], list[str | None], str]] = {}
    for lib in files:
        for kind, name, pattern in LIBRARY_RULES:
            if not pattern.match(lib.name):
                continue
            real = realpath(lib.path)
            vendor = _vendor_from_realpath(name, real)
            key = (kind, vendor, str(PurePosixPath(real).parent))
            paths, versions, _ = installs.setdefault(key, ([], [], lib.source))
            if lib.path not in paths:
                paths.append(lib.path)
                versions.append(library_version(vendor, [real, lib.path]))
    merged: dict[tuple[LibraryKind, str, str | None], Library] = {}
    for (kind, name, _), (paths, versions, source) in installs.items():
        version = next((v for v in versions if v is not None), None)
        old = merged.get((kind, name, version))
        if old is not None:
            paths = [*old.paths, *(p for p in paths if p not in old.paths)]
            source = old.source
        merged[(kind, name, version)] = Library(
            kind=kind, name=name, version=version, paths=tuple(paths), source=source
        )
    return list(merged.values())


# -- MPI ------------------------------------------------------------------------------------------


def is_mpi_library(file_name: str) -> bool:
    """``libmpi.so.40``, ``libmpich.so.12``, ``libmpifort.so``, Cray's ``libmpi_gnu_123.so``."""
    return bool(_MPI_FILE.match(file_name))


def mpi_flavour(paths: Sequence[str]) -> str:
    """The MPI flavour of one installation from its library paths and file names.

    Path hints beat sonames: MPICH, Intel MPI, Cray MPICH and MVAPICH all ship ``libmpi.so.12``.
    """
    text = " ".join(paths).casefold()
    names = [PurePosixPath(p).name for p in paths]
    if (
        "cray-mpich" in text
        or "/cray/pe/mpich" in text
        or any(_CRAY_MPI_FILE.match(n) for n in names)
    ):
        return "CrayMPICH"
    if "mvapich" in text:
        return "MVAPICH"
    if "openmpi" in text or any(n.startswith("libmpi.so.40") for n in names):
        return "OpenMPI"
    if re.search(r"intel-oneapi-mpi|/impi/|/intel/mpi|oneapi/mpi/|/mpi/20\d\d", text):
        return "IntelMPI"
    if "mpich" in text:
        return "MPICH"
    return "UnknownMPI"


def mpi_version(flavour: str, paths: Sequence[str]) -> str | None:
    """An MPI version from ``<flavour>-<version>`` or ``<flavour>/<version>`` path components."""
    for path in paths:
        found = version_from_path(path, VERSION_TOKENS.get(flavour, ()))
        if found and plausible_version(flavour, found):
            return found
    return None


def classify_mpi(files: Iterable[LibFile], realpath: Callable[[str], str]) -> list[Library]:
    """One ``Library(kind="mpi")`` per MPI installation (real directory) found in ``files``.

    Installations of the same flavour and version (Intel MPI's ``lib`` and ``lib/release``)
    are merged.
    """
    by_dir: dict[str, list[LibFile]] = {}
    for lib in files:
        if is_mpi_library(lib.name):
            real_dir = str(PurePosixPath(realpath(lib.path)).parent)
            by_dir.setdefault(real_dir, []).append(lib)
    merged: dict[tuple[str, str | None], tuple[list[str], str]] = {}
    for real_dir, libs in by_dir.items():
        paths = [lib.path for lib in libs]
        evidence = [*paths, *(f"{real_dir}/{lib.name}" for lib in libs)]
        flavour = mpi_flavour(evidence)
        version = mpi_version(flavour, evidence)
        entry = merged.setdefault((flavour, version), ([], libs[0].source))
        entry[0].extend(p for p in paths if p not in entry[0])
    return [
        Library(kind="mpi", name=flavour, version=version, paths=tuple(paths), source=source)
        for (flavour, version), (paths, source) in merged.items()
    ]


def parse_mpi_tool_output(text: str) -> tuple[str, str] | None:
    """(flavour, version) from ``mpichversion`` or ``mpirun --version`` output."""
    patterns = (
        ("OpenMPI", r"\(Open MPI\)\s+(\d+\.\d+(?:\.\d+)?)"),
        ("OpenMPI", r"Open MPI v(\d+\.\d+(?:\.\d+)?)"),
        ("IntelMPI", r"Intel\(R\) MPI Library.*?Version\s+(\d+(?:\.\d+)+)"),
        ("MVAPICH", r"MVAPICH2?(?:-Plus)? Version:\s*(\d+(?:\.\d+)+\w*)"),
        ("MPICH", r"MPICH Version:\s*(\d+(?:\.\d+)+\w*)"),
        ("MPICH", r"HYDRA build details:\s*\n\s*Version:\s*(\d+(?:\.\d+)+\w*)"),
    )
    for flavour, pattern in patterns:
        match = re.search(pattern, text, flags=re.IGNORECASE | re.DOTALL)
        if match:
            return flavour, match.group(1)
    return None


def apply_mpi_tool_versions(
    libraries: Sequence[Library], reports: Iterable[tuple[str, str]]
) -> list[Library]:
    """Fill an unknown MPI version from a tool's report of the same flavour.

    Only when exactly one installation of that flavour lacks a version: the tool on ``PATH``
    could belong to any of several installations otherwise.
    """
    result = list(libraries)
    for flavour, version in reports:
        unknown = [i for i, lib in enumerate(result) if lib.name == flavour and lib.version is None]
        if len(unknown) == 1:
            old = result[unknown[0]]
            result[unknown[0]] = Library(
                kind="mpi", name=flavour, version=version, paths=old.paths, source=old.source
            )
    return result
