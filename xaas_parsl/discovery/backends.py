"""GPU programming environments (CUDA, HIP, ROCm, SYCL, OpenCL, Level Zero, Vulkan).

A backend is listed only when something of it was found: a runtime library, its compiler, or
(for CUDA) a driver. Its version says what a build can target:

* CUDA: the toolkit release from ``nvcc`` (``release 13.0``), else ``version.json`` of the
  toolkit, else the highest CUDA version the driver supports (NVML) — the number that matters
  for containers that bring their own toolkit.
* HIP: ``hipcc --version``; ROCm: ``/opt/rocm/.info/version`` (or ``$ROCM_PATH``).
* SYCL: the oneAPI release in the ``libsycl.so`` path (``compiler/2024.2/lib``), never the soname
  digit (upstream's bug: ``libsycl.so.7`` -> "7").
* OpenCL, Level Zero, Vulkan: libraries only; their sonames are ABI numbers, not releases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from xaas_parsl.discovery.libindex import LibFile
from xaas_parsl.discovery.model import GpuBackend
from xaas_parsl.discovery.versions import clean_version, oneapi_version_from_path

BACKEND_LIBRARIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("CUDA", r"^libcuda(rt)?\.so"),
        ("HIP", r"^libamdhip64\.so"),
        ("ROCm", r"^libhsa-runtime64\.so"),
        ("SYCL", r"^libsycl\.so"),
        ("OpenCL", r"^libOpenCL\.so"),
        ("LevelZero", r"^libze_loader\.so"),
        ("Vulkan", r"^libvulkan\.so"),
    )
)


@dataclass(frozen=True)
class BackendEvidence:
    """Version sources other than libraries, gathered by the probe."""

    nvcc_output: str | None = None
    cuda_version_json: str | None = None
    cuda_driver_version: str | None = None
    hipcc_output: str | None = None
    rocm_version: str | None = None


def nvcc_release(text: str | None) -> str | None:
    """``Cuda compilation tools, release 12.4, V12.4.131`` -> ``12.4``."""
    match = re.search(r"release (\d+\.\d+)", text or "")
    return match.group(1) if match else None


def parse_cuda_version_json(text: str | None) -> str | None:
    """``{"cuda": {"version": "12.4.1"}}`` (the toolkit's ``version.json``) -> ``12.4.1``."""
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    cuda = data.get("cuda") if isinstance(data, dict) else None
    return clean_version(cuda.get("version")) if isinstance(cuda, dict) else None


def hip_version(text: str | None) -> str | None:
    """``HIP version: 6.0.32831-204d35d16`` -> ``6.0.32831``."""
    match = re.search(r"HIP version:\s*(\d+(?:\.\d+)+)", text or "")
    return match.group(1) if match else None


def gpu_backends(files: Iterable[LibFile], evidence: BackendEvidence) -> list[GpuBackend]:
    """The backends found, in a fixed order (CUDA, HIP, ROCm, SYCL, OpenCL, LevelZero, Vulkan)."""
    libraries: dict[str, list[str]] = {name: [] for name, _ in BACKEND_LIBRARIES}
    for lib in files:
        for name, pattern in BACKEND_LIBRARIES:
            if pattern.match(lib.name) and lib.path not in libraries[name]:
                libraries[name].append(lib.path)
    versions: dict[str, str | None] = {
        "CUDA": nvcc_release(evidence.nvcc_output)
        or parse_cuda_version_json(evidence.cuda_version_json)
        or evidence.cuda_driver_version,
        "HIP": hip_version(evidence.hipcc_output),
        "ROCm": evidence.rocm_version,
        "SYCL": next(
            (v for v in map(oneapi_version_from_path, libraries["SYCL"]) if v is not None), None
        ),
    }
    present_without_libraries = {
        "CUDA": versions["CUDA"] is not None,
        "HIP": evidence.hipcc_output is not None,
        "ROCm": evidence.rocm_version is not None,
    }
    return [
        GpuBackend(name=name, version=versions.get(name), libraries=tuple(libraries[name]))
        for name, _ in BACKEND_LIBRARIES
        if libraries[name] or present_without_libraries.get(name, False)
    ]
