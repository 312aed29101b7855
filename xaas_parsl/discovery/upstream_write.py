"""Writing a ``SystemInfo`` in upstream XaaS's discovery format.

The output has upstream's eight keys so upstream's checker and our loader both read it. It
differs from upstream's own files only where those were wrong: unknown versions are ``null``
(never sentences), SYCL ``libraries`` is a list and ``version`` a version or ``null``, and
there is no "No MPI Found" pseudo-entry. What the format cannot hold (full flag list, FMA units,
SVE length, GPU memory, container runtimes, MPI versions) is lost; use the native format for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from xaas_parsl.discovery.model import (
    Compiler,
    CpuInfo,
    Gpu,
    GpuBackend,
    Library,
    SystemInfo,
)

X86_VECTORIZATIONS = (
    "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl",
    "avx2", "avx", "sse4_2", "sse4_1", "ssse3", "sse2", "sse",
)  # fmt: skip
#: ``sve2`` is not in upstream's list; it is written only when the CPU has it.
ARM_VECTORIZATIONS = ("asimd", "sve", "sve2")
#: Upstream always writes these five backends, empty when absent.
UPSTREAM_BACKENDS = ("CUDA", "OpenCL", "SYCL", "HIP", "ROCm")
_DRIVER_KEYS = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}


def vectorizations(cpu: CpuInfo) -> list[str]:
    """Upstream's "Supported Vectorizations": its whitelist, filtered by the CPU's flags."""
    whitelist = ARM_VECTORIZATIONS if cpu.architecture == "aarch64" else X86_VECTORIZATIONS
    return [flag for flag in whitelist if flag in cpu.flags]


def to_upstream(info: SystemInfo) -> dict[str, Any]:
    """``info`` in upstream's format (``null`` for unknown versions, never sentences)."""
    return {
        "CPU Info": {
            "Architecture": info.cpu.architecture,
            "Model Name": info.cpu.model_name,
            "Supported Vectorizations": vectorizations(info.cpu),
        },
        "Accelerators": accelerators_section(info.gpus),
        "Parallel Libraries": mpi_section(info.libraries_of("mpi")),
        "FFT Libraries": fft_section(info.libraries_of("fft")),
        "linear algebra Libraries": linear_algebra_section(info.libraries),
        "GPU Backends": gpu_backends_section(info.gpu_backends),
        "Loaded Modules": dict(info.modules),
        "Compilers": compilers_section(info.compilers),
    }


def accelerators_section(gpus: Iterable[Gpu]) -> dict[str, Any]:
    """Per-vendor device lists and "Driver Versions" (GPUs found by lspci are listed too)."""
    lists: dict[str, list[dict[str, Any]]] = {}
    drivers: dict[str, str] = {}
    for gpu in gpus:
        if gpu.vendor == "nvidia":
            entry: dict[str, Any] = {
                "gpu": gpu.name,
                "compute_cap": gpu.compute_capability,
                "driver": gpu.driver_version,
            }
        elif gpu.vendor == "amd":
            entry = {
                "name": gpu.compute_capability or gpu.name,
                "marketing_name": gpu.marketing_name or gpu.name,
                "runtime_version": gpu.runtime_version,
            }
        else:
            entry = {"name": gpu.name}
        lists.setdefault(gpu.vendor, []).append(entry)
        if gpu.driver_version:
            drivers.setdefault(_DRIVER_KEYS[gpu.vendor], gpu.driver_version)
    return {"Accelerators": lists, "Driver Versions": drivers}


def _unique_key(table: dict[str, Any], key: str) -> str:
    number, candidate = 2, key
    while candidate in table:
        candidate, number = f"{key} #{number}", number + 1
    return candidate


def mpi_section(libraries: Iterable[Library]) -> dict[str, Any]:
    """``{flavour: {file name: path}}``; a second installation of a flavour gets ``#2``."""
    table: dict[str, Any] = {}
    for lib in libraries:
        files = {PurePosixPath(p).name: p for p in lib.paths}
        table[_unique_key(table, lib.name)] = files
    return table


def fft_section(libraries: Iterable[Library]) -> dict[str, Any]:
    """``{name: {shared_lib, path, version}}`` (upstream holds one path per library)."""
    table: dict[str, Any] = {}
    for lib in libraries:
        path = lib.paths[0] if lib.paths else None
        table[_unique_key(table, lib.name)] = {
            "shared_lib": PurePosixPath(path).name.split(".so")[0] if path else None,
            "path": path,
            "version": lib.version,
        }
    return table


def _installation_path(lib: Library) -> str | None:
    if not lib.paths:
        return None
    first = PurePosixPath(lib.paths[0])
    is_file = first.name.startswith("lib") and ".so" in first.name
    return str(first.parent) if is_file else str(first)


def linear_algebra_section(libraries: Iterable[Library]) -> dict[str, Any]:
    """``{name: {installation_path, version}}`` for BLAS, LAPACK and ScaLAPACK libraries.

    A vendor's LAPACK/ScaLAPACK part is written as ``<name>-lapack``/``<name>-scalapack``
    (``MKL-scalapack``) so it does not overwrite the vendor's BLAS entry.
    """
    table: dict[str, Any] = {}
    for lib in libraries:
        if lib.kind not in {"blas", "lapack", "scalapack"}:
            continue
        generic = lib.kind == "blas" or lib.name in {"LAPACK", "ScaLAPACK"}
        key = lib.name if generic else f"{lib.name}-{lib.kind}"
        table[_unique_key(table, key)] = {
            "installation_path": _installation_path(lib),
            "version": lib.version,
        }
    return table


def gpu_backends_section(backends: Iterable[GpuBackend]) -> dict[str, Any]:
    """Every backend found, plus upstream's five standard keys (empty when absent)."""
    table: dict[str, Any] = {name: {"libraries": [], "version": None} for name in UPSTREAM_BACKENDS}
    for backend in backends:
        table[backend.name] = {"libraries": list(backend.libraries), "version": backend.version}
    return table


def compilers_section(compilers: Iterable[Compiler]) -> dict[str, Any]:
    """``{c|cxx|fortran[|cuda]: {exe: banner}}`` (the version when no banner is known)."""
    table: dict[str, dict[str, str | None]] = {"c": {}, "cxx": {}, "fortran": {}}
    for compiler in compilers:
        entries = table.setdefault(compiler.language, {})
        entries.setdefault(compiler.executable, compiler.banner or compiler.version)
    return table
