"""Repairs for the library, module and compiler sections of upstream XaaS discovery files.

Split from ``upstream`` to keep each module small. Each function reads one upstream section,
returns model records, and appends one short note per repair so users can see what changed.
"""

from __future__ import annotations

import re
from typing import Any

from xaas_parsl.discovery.libraries import VERSION_TOKENS, mpi_flavour, mpi_version
from xaas_parsl.discovery.model import Compiler, Language, Library, LibraryKind
from xaas_parsl.discovery.toolchain import EXECUTABLE_LANGUAGE, first_line, parse_compiler_banner
from xaas_parsl.discovery.versions import (
    clean_version,
    is_sentence,
    plausible_version,
    version_from_path,
)
from xaas_parsl.errors import InputError

BACKEND_NAMES = {
    "cuda": "CUDA", "hip": "HIP", "rocm": "ROCm", "sycl": "SYCL", "opencl": "OpenCL",
    "levelzero": "LevelZero", "vulkan": "Vulkan",
}  # fmt: skip

FFT_NAMES = {
    "mkl": "MKL", "fftw": "FFTW", "fftw3": "FFTW", "cufft": "cuFFT", "cufftw": "cuFFTW",
    "rocfft": "rocFFT", "hipfft": "hipFFT", "onemkl": "oneMKL",
}  # fmt: skip

#: Upstream key (case-folded) -> (kind, canonical name). ``<name>-lapack``/``-scalapack`` keys
#: are what ``to_upstream`` writes for a vendor's non-BLAS parts (MKL ScaLAPACK).
LINEAR_ALGEBRA_NAMES: dict[str, tuple[LibraryKind, str]] = {
    "mkl": ("blas", "MKL"), "openblas": ("blas", "OpenBLAS"), "blas": ("blas", "BLAS"),
    "blis": ("blas", "BLIS"), "cublas": ("blas", "cuBLAS"), "rocblas": ("blas", "rocBLAS"),
    "hipblas": ("blas", "hipBLAS"), "libsci": ("blas", "LibSci"), "armpl": ("blas", "ArmPL"),
    "nvpl": ("blas", "NVPL"), "atlas": ("blas", "ATLAS"), "lapack": ("lapack", "LAPACK"),
    "scalapack": ("scalapack", "ScaLAPACK"),
}  # fmt: skip

#: Where a wrong linear-algebra version may be recovered from the library's own directory
#: (``openblas-0.3.28-<hash>``). MKL is deliberately absent: its bogus upstream versions
#: become null (see docs/system-discovery.md).
RECOVERY_TOKENS: dict[str, tuple[str, ...]] = {
    "OpenBLAS": ("openblas",),
    "BLAS": ("openblas", "netlib-lapack", "netlib-blas", "blas"),
    "LAPACK": ("netlib-lapack", "lapack", "openblas"),
    "ScaLAPACK": ("netlib-scalapack", "scalapack"),
    "BLIS": VERSION_TOKENS["BLIS"],
}

MPI_KEYS = {
    "openmpi": "OpenMPI", "mpich": "MPICH", "intelmpi": "IntelMPI", "craympich": "CrayMPICH",
    "mvapich": "MVAPICH", "unknownmpi": "UnknownMPI",
}  # fmt: skip
_MPICH_DERIVATIVES = frozenset({"CrayMPICH", "MVAPICH", "IntelMPI"})
_LANGUAGES: dict[str, Language] = {
    "c": "c", "cxx": "cxx", "c++": "cxx", "fortran": "fortran", "cuda": "cuda",
}  # fmt: skip


def section(data: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """A top-level object of an upstream file; absent -> ``{}``, not an object -> error."""
    value = data.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f'"{key}" must be a JSON object, got {type(value).__name__}', path)
    return value


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", "", re.sub(r"\s*#\d+$", "", text)).casefold()


def mpi_libraries(libraries: dict[str, Any], notes: list[str]) -> list[Library]:
    """``{flavour: {soname: path}}`` -> MPI libraries, flavour from key *and* paths."""
    found = []
    for key, entry in libraries.items():
        if key.casefold().startswith("no mpi"):
            notes.append(f"MPI: pseudo-entry '{key}' dropped (no MPI found)")
            continue
        values = entry.values() if isinstance(entry, dict) else []
        paths = tuple(dict.fromkeys(v for v in values if isinstance(v, str) and "/" in v))
        if not paths:
            notes.append(f"MPI: '{key}' lists no library paths; dropped")
            continue
        declared = MPI_KEYS.get(_key(key), "UnknownMPI")
        detected = mpi_flavour(paths)
        flavour = declared
        if declared == "UnknownMPI" or (declared == "MPICH" and detected in _MPICH_DERIVATIVES):
            flavour = detected
        if flavour != declared:
            notes.append(f"MPI: '{key}' is {flavour} (from its library paths)")
        version = mpi_version(flavour, paths)
        found.append(Library(kind="mpi", name=flavour, version=version, paths=paths, source="xaas"))
    return found


def _version(name: str, raw: Any) -> tuple[str | None, str]:
    """(version or ``None``, why it was dropped: "" when kept or absent)."""
    version = clean_version(raw)
    if isinstance(raw, str) and version is None and raw.strip():
        return None, f"'{raw}' is not a version"
    if version is not None and not plausible_version(name, version):
        return None, f"'{version}' is not plausible for {name} (a path component)"
    return version, ""


def fft_libraries(libraries: dict[str, Any], notes: list[str]) -> list[Library]:
    """``{name: {shared_lib, path, version}}`` -> FFT libraries."""
    found: dict[str, Library] = {}
    for key, entry in libraries.items():
        if not isinstance(entry, dict):
            continue
        name = FFT_NAMES.get(_key(key), key)
        path = entry.get("path")
        paths: tuple[str, ...] = (path,) if isinstance(path, str) and path.strip() else ()
        version, why = _version(name, entry.get("version"))
        if why:
            notes.append(f"FFT {key}: {why}; null")
        if name in found:  # two upstream keys for one library: merge
            old = found[name]
            paths = old.paths + tuple(p for p in paths if p not in old.paths)
            version = old.version or version
        found[name] = Library(kind="fft", name=name, version=version, paths=paths, source="xaas")
    return list(found.values())


def linear_algebra_libraries(libraries: dict[str, Any], notes: list[str]) -> list[Library]:
    """``{name: {installation_path, version}}`` -> BLAS/LAPACK/ScaLAPACK libraries.

    A version survives only if it is plausible for that library; else the library's own
    directory may give the real one (OpenBLAS/BLAS/LAPACK/ScaLAPACK/BLIS only).
    """
    found = []
    for key, entry in libraries.items():
        if not isinstance(entry, dict):
            continue
        kind, name = _linear_algebra_name(key)
        where = f"linear algebra {key}"
        path = entry.get("installation_path")
        paths = (path,) if isinstance(path, str) and path.strip() else ()
        version, why = _version(name, entry.get("version"))
        if version is None and paths and name in RECOVERY_TOKENS:
            version = version_from_path(paths[0], RECOVERY_TOKENS[name])
            if version and why:
                why += f"; {version} taken from the library's own directory instead"
            elif version:
                why = f"version {version} taken from the library's own directory"
        if why:
            notes.append(f"{where}: {why}" if version else f"{where}: {why}; null")
        found.append(Library(kind=kind, name=name, version=version, paths=paths, source="xaas"))
    return found


def _linear_algebra_name(key: str) -> tuple[LibraryKind, str]:
    base, _, suffix = key.rpartition("-")
    if suffix in {"lapack", "scalapack"} and base:
        kind: LibraryKind = "lapack" if suffix == "lapack" else "scalapack"
        return kind, LINEAR_ALGEBRA_NAMES.get(_key(base), ("blas", base))[1]
    return LINEAR_ALGEBRA_NAMES.get(_key(key), ("blas", key))


def modules(entries: dict[str, Any], notes: list[str]) -> dict[str, str | None]:
    """Module versions; sentences become ``None`` (labels like ``develop-git.abc`` stay)."""
    result: dict[str, str | None] = {}
    for name, value in entries.items():
        result[name] = clean_version(value, require_digit=False)
        if isinstance(value, str) and result[name] is None and value.strip():
            notes.append(f"Loaded Modules.{name}: '{value}' is not a version; null")
    return result


def compilers(entries: dict[str, Any], notes: list[str]) -> list[Compiler]:
    """``{language: {exe: banner}}`` -> compilers; "Not found" dropped, misfiled ones moved."""
    found: dict[tuple[str, str], Compiler] = {}
    dropped = 0
    intel_clang: list[str] = []
    for section_name, executables in entries.items():
        language = _LANGUAGES.get(section_name.casefold())
        if language is None or not isinstance(executables, dict):
            notes.append(f"Compilers.{section_name}: unknown language section; ignored")
            continue
        for exe, banner in executables.items():
            if not isinstance(banner, str) or is_sentence(banner):
                dropped += 1
                continue
            implied = EXECUTABLE_LANGUAGE.get(exe, language)
            if implied != language:
                notes.append(f"Compilers: {exe} was under {section_name}; moved to {implied}")
            family, version = parse_compiler_banner(banner)
            if exe.startswith("clang") and family == "IntelLLVM":
                intel_clang.append(exe)
            compiler = Compiler(
                language=implied,
                executable=exe,
                family=family,
                version=version,
                banner=first_line(banner),
            )
            found.setdefault((implied, exe), compiler)
    if dropped:
        notes.append(f"Compilers: {dropped} 'Not found' entries dropped")
    if intel_clang:
        notes.append(f"Compilers: {', '.join(intel_clang)} are Intel oneAPI (family IntelLLVM)")
    order = ("c", "cxx", "fortran", "cuda")
    return sorted(found.values(), key=lambda c: order.index(c.language))
