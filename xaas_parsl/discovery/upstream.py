"""Upstream XaaS's discovery format: load it, repairing its known defects, and write it.

Upstream's files (``"CPU Info"``, ``"Accelerators"``, ...) are real node descriptions from Ault,
Alps, Aurora, LUMI and MN5, but the script that wrote them had bugs: SYCL library and version
swapped, sentences where versions were unknown, GCC versions of Spack prefixes reported as MKL
or BLAS versions, a pseudo-MPI "No MPI Found", misfiled compilers, GPUs only in ``lspci``.
Intersection must not inherit those, so ``from_upstream`` repairs each one and records what it
did in ``SystemInfo.notes``. ``to_upstream`` (in ``upstream_write``) writes the same keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xaas_parsl.discovery import upstream_repair as repair
from xaas_parsl.discovery.cpu import epyc_microarchitecture, normalise_arch
from xaas_parsl.discovery.gpus import gpus_from_lspci
from xaas_parsl.discovery.model import (
    ContainerRuntime,
    CpuInfo,
    Gpu,
    GpuBackend,
    GpuVendor,
    SystemInfo,
)
from xaas_parsl.discovery.upstream_write import to_upstream, vectorizations
from xaas_parsl.discovery.versions import clean_version
from xaas_parsl.errors import InputError

UPSTREAM_KEYS = (
    "CPU Info",
    "Accelerators",
    "Parallel Libraries",
    "FFT Libraries",
    "linear algebra Libraries",
    "GPU Backends",
    "Loaded Modules",
    "Compilers",
)
#: Modules that stand for a container runtime on sites that load them (Ault: ``sarus``).
_RUNTIME_MODULES = {
    "sarus": "sarus",
    "apptainer": "apptainer",
    "singularity": "singularity",
    "singularityce": "singularity",
    "podman": "podman",
    "enroot": "enroot",
}

__all__ = ["UPSTREAM_KEYS", "from_upstream", "to_upstream", "vectorizations"]


def from_upstream(data: dict[str, Any], path: str) -> SystemInfo:
    """Convert an upstream discovery dict into a repaired ``SystemInfo``.

    ``path`` names the file in errors and in ``SystemInfo.source``. Raises ``InputError`` when
    a section has the wrong type or ``"CPU Info"`` lacks ``"Architecture"``.
    """
    if not isinstance(data, dict):
        raise InputError('expected a JSON object with upstream\'s "CPU Info" key', path)
    notes: list[str] = []
    backends = _backends(repair.section(data, "GPU Backends", path), notes)
    cuda = next((b.version for b in backends if b.name == "CUDA"), None)
    gpus = _gpus(repair.section(data, "Accelerators", path), cuda, notes)
    cpu = _cpu(repair.section(data, "CPU Info", path), gpus, notes, path)
    if not any(g.vendor == "amd" for g in gpus):
        for backend in backends:
            if backend.name in {"ROCm", "HIP"} and backend.version:
                notes.append(
                    f"{backend.name} {backend.version} is reported but no AMD GPU is listed "
                    "(probably a loaded module); backend kept"
                )
    libraries = repair.mpi_libraries(repair.section(data, "Parallel Libraries", path), notes)
    libraries += repair.fft_libraries(repair.section(data, "FFT Libraries", path), notes)
    libraries += repair.linear_algebra_libraries(
        repair.section(data, "linear algebra Libraries", path), notes
    )
    modules = repair.modules(repair.section(data, "Loaded Modules", path), notes)
    if "Compilers" not in data:
        notes.append("file has no Compilers section")
    compilers = repair.compilers(repair.section(data, "Compilers", path), notes)
    return SystemInfo(
        cpu=cpu,
        gpus=tuple(gpus),
        gpu_backends=tuple(backends),
        libraries=tuple(libraries),
        compilers=tuple(compilers),
        modules=modules,
        container_runtimes=tuple(
            ContainerRuntime(name=runtime, version=modules[module])
            for module, runtime in _RUNTIME_MODULES.items()
            if module in modules
        ),
        tools={"cmake": modules["cmake"]} if "cmake" in modules else {},
        hostname=None,
        source=f"xaas:{path}",
        notes=tuple(notes),
    )


def _cpu(cpu: dict[str, Any], gpus: list[Gpu], notes: list[str], path: str) -> CpuInfo:
    arch = cpu.get("Architecture")
    if not isinstance(arch, str) or not arch.strip():
        raise InputError('"CPU Info" has no "Architecture"', path)
    raw_name = cpu.get("Model Name")
    model_name = raw_name.strip() if isinstance(raw_name, str) and raw_name.strip() else None
    raw_flags = cpu.get("Supported Vectorizations")
    flags = tuple(
        dict.fromkeys(f.casefold() for f in raw_flags or [] if isinstance(f, str) and f.strip())
    )
    lowered = (model_name or "").casefold()
    vendor = "Intel" if "intel" in lowered else "AMD" if "amd" in lowered else None
    micro = epyc_microarchitecture(model_name)
    architecture = normalise_arch(arch)
    if architecture == "aarch64" and model_name is None and any("GH200" in g.name for g in gpus):
        micro = "neoverse-v2"
        notes.append("CPU: no model name; taken as Grace (Neoverse-V2) from the GH200 GPUs")
    notes.append("CPU flags: only upstream's whitelisted vector extensions (flags_complete=false)")
    return CpuInfo(
        architecture=architecture,
        model_name=model_name,
        vendor=vendor,
        flags=flags,
        flags_complete=False,
        microarchitecture=micro,
    )


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v.strip()))


def _backends(backends: dict[str, Any], notes: list[str]) -> list[GpuBackend]:
    """Backends with a library or a version; SYCL's swapped fields put right."""
    found = []
    for key, entry in backends.items():
        if not isinstance(entry, dict):
            continue
        name = repair.BACKEND_NAMES.get(key.casefold().replace("_", "").replace(" ", ""), key)
        raw_libs, raw_version = entry.get("libraries"), entry.get("version")
        if isinstance(raw_libs, str) and isinstance(raw_version, str) and "/" in raw_version:
            libs: tuple[str, ...] = (raw_version,)
            version = None
            notes.append(
                f"{name}: library path and version were swapped; fixed "
                f"(version unknown: '{raw_libs}' is a soname number)"
            )
        else:
            libs = _strings(raw_libs if isinstance(raw_libs, list) else [raw_libs])
            version = clean_version(raw_version)
            if isinstance(raw_version, str) and version is None and raw_version.strip():
                notes.append(f"{name}: version '{raw_version}' is not a version; null")
        if libs or version:
            found.append(GpuBackend(name=name, version=version, libraries=libs))
    return found


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _drivers(accelerators: dict[str, Any], notes: list[str]) -> dict[str, str | None]:
    raw = accelerators.get("Driver Versions")
    drivers: dict[str, str | None] = {}
    for vendor, value in (raw if isinstance(raw, dict) else {}).items():
        drivers[str(vendor).casefold()] = clean_version(value)
        if isinstance(value, str) and drivers[str(vendor).casefold()] is None:
            notes.append(f"Driver Versions.{vendor}: '{value}' is not a version; null")
    return drivers


def _gpus(accelerators: dict[str, Any], cuda: str | None, notes: list[str]) -> list[Gpu]:
    """Vendor lists first; ``lspci`` only for vendors without a list (display classes only)."""
    raw_inner = accelerators.get("Accelerators")
    inner: dict[str, Any] = raw_inner if isinstance(raw_inner, dict) else {}
    driver = _drivers(accelerators, notes)
    gpus: list[Gpu] = [
        Gpu(
            vendor="nvidia",
            name=_text(item.get("gpu")) or "NVIDIA GPU",
            compute_capability=clean_version(item.get("compute_cap")),
            driver_version=clean_version(item.get("driver")) or driver.get("nvidia"),
            runtime_version=cuda,
            source="xaas",
        )
        for item in _items(inner.get("nvidia"))
    ]
    for item in _items(inner.get("amd")):
        raw_name, marketing = _text(item.get("name")), _text(item.get("marketing_name"))
        gpus.append(
            Gpu(
                vendor="amd",
                name=marketing or raw_name or "AMD GPU",
                compute_capability=raw_name if raw_name and raw_name.startswith("gfx") else None,
                driver_version=driver.get("amd"),
                runtime_version=clean_version(item.get("runtime_version")),
                marketing_name=marketing,
                source="xaas",
            )
        )
    gpus += [
        Gpu(
            vendor="intel",
            name=_text(item.get("name")) or "Intel GPU",
            driver_version=driver.get("intel"),
            source="xaas",
        )
        for item in _items(inner.get("intel"))
    ]
    listed = {g.vendor for g in gpus}
    for vendor in ("nvidia", "amd", "intel"):
        if driver.get(vendor) and vendor not in listed:
            notes.append(f"Driver Versions: {vendor} driver reported but no {vendor} GPU listed")
    lspci = [line for line in inner.get("lspci") or [] if isinstance(line, str)]
    vendors: set[GpuVendor] = {"nvidia", "amd", "intel"}
    extra = gpus_from_lspci(lspci, vendors=vendors - listed)
    if extra:
        notes.append(f"GPUs: {len(extra)} taken from lspci only (no compute capability or driver)")
    return gpus + extra
