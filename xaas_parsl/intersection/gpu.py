"""GPU backends: which of an app's backends a node can drive, and CUDA architectures.

A backend is usable only when the node has a device it can drive (CUDA → NVIDIA, HIP → AMD,
SYCL/Level Zero → Intel, OpenCL/Vulkan → any GPU with the loader present) and, when the app
states a minimum version, the node's version is not known to be older. This fixes two upstream
bugs: minimum versions were never compared, and a runtime library without a device (SYCL on
Ault's NVIDIA nodes, ROCm 4.3 on ault23) counted as available.
"""

from __future__ import annotations

import re

from xaas_parsl.discovery.model import GpuVendor, SystemInfo
from xaas_parsl.intersection.result import Status
from xaas_parsl.intersection.versions import VersionCheck, check_minimum

# Backend (lower case) -> GPU vendors it can drive; None means "any GPU".
_DEVICES: dict[str, tuple[GpuVendor, ...] | None] = {
    "cuda": ("nvidia",),
    "hip": ("amd",),
    "rocm": ("amd",),
    "sycl": ("intel",),
    "levelzero": ("intel",),
    "opencl": None,
    "vulkan": None,
}

# Preferred backend per vendor when the policy expresses no wish.
VENDOR_ORDER: dict[GpuVendor, tuple[str, ...]] = {
    "nvidia": ("cuda", "opencl", "vulkan", "sycl", "hip"),
    "amd": ("hip", "rocm", "opencl", "vulkan", "sycl"),
    "intel": ("sycl", "levelzero", "opencl", "vulkan"),
}

# Compute capability from a device name when NVML did not report it (GPUs seen only by lspci).
_CC_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"\bGB200\b|\bB200\b|\bB100\b", "10.0"),
    (r"\bGH200\b|\bH100\b|\bH200\b|\bH800\b", "9.0"),
    (r"\bL40S?\b|\bL4\b|RTX\s*40\d\d|RTX\s*6000 Ada", "8.9"),
    (r"\bA40\b|\bA10\b|RTX\s*30\d\d|RTX\s*A6000", "8.6"),
    (r"\bA100\b|\bA800\b|\bA30\b", "8.0"),
    (r"\bV100\b|GV100", "7.0"),
    (r"\bP100\b|GP100", "6.0"),
)
# PCI device ids (lspci prints "Device 2337" when its database is too old for the board).
_CC_BY_PCI_ID: tuple[tuple[range, str], ...] = (
    (range(0x2330, 0x2340), "9.0"),  # H100 / H200 (SXM and PCIe)
    (range(0x2340, 0x2350), "9.0"),  # GH200
    (range(0x20B0, 0x20C0), "8.0"),  # A100
    (range(0x20F0, 0x20F8), "8.0"),  # A100 PCIe / A800
    (range(0x1DB0, 0x1DC0), "7.0"),  # V100
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def backend_version(system: SystemInfo, name: str) -> str | None:
    """The node's version of a backend: the toolkit's, else what the driver reports."""
    key = _key(name)
    found = next((b for b in system.gpu_backends if _key(b.name) == key), None)
    if found and found.version:
        return found.version
    if key == "hip":
        rocm = system.backend("ROCm")
        if rocm and rocm.version:
            return rocm.version
    vendors = _DEVICES.get(key)
    if key == "cuda" and vendors:
        versions = [g.runtime_version for g in system.gpus_of("nvidia") if g.runtime_version]
        return versions[0] if versions else None
    return None


def backend_status(system: SystemInfo, name: str, minimum: str | None) -> Status:
    """Decide whether the app's backend ``name`` can be used on ``system``."""
    key = _key(name)
    if key not in _DEVICES:
        return Status(False, None, f"no device or runtime for {name} is known on this node")
    vendors = _DEVICES[key]
    devices = [g for g in system.gpus if vendors is None or g.vendor in vendors]
    if not devices:
        wanted = "a GPU" if vendors is None else " or ".join(v.upper() for v in vendors) + " GPU"
        return Status(False, None, f"{name} needs {wanted}; the node has none")
    if vendors is None and system.backend(name) is None:
        return Status(False, None, f"{name} loader/runtime not found on the node")
    version = backend_version(system, name)
    check = check_minimum(version, minimum)
    if check is VersionCheck.TOO_OLD:
        return Status(
            False, version, f"{name} {version} is older than the required {minimum}"
        )
    if check is VersionCheck.UNKNOWN:
        return Status(
            True, None, f"{name} version unknown; required {minimum}: assuming usable", True
        )
    return Status(True, version, f"{name} {version or ''} on {len(devices)} device(s)")


def cuda_architectures(system: SystemInfo) -> tuple[list[str] | None, str]:
    """CMake's CUDA_ARCHITECTURES for the node's NVIDIA GPUs (``["90"]``) and how we know."""
    caps: list[str] = []
    inferred = False
    for gpu in system.gpus_of("nvidia"):
        cap = gpu.compute_capability or compute_capability_from_name(gpu.name)
        inferred = inferred or (gpu.compute_capability is None and cap is not None)
        if cap:
            arch = cap.replace(".", "")
            if arch not in caps:
                caps.append(arch)
    if not caps:
        return None, "compute capability of the NVIDIA GPUs is unknown; CMake's default applies"
    caps.sort(key=int)
    how = "inferred from the device name" if inferred else "reported by the driver"
    return caps, f"{', '.join(caps)} ({how})"


def compute_capability_from_name(name: str) -> str | None:
    """Compute capability from a marketing name or an lspci ``Device XXXX`` id."""
    for pattern, cap in _CC_BY_NAME:
        if re.search(pattern, name):
            return cap
    match = re.search(r"\bDevice\s+([0-9a-fA-F]{4})\b", name)
    if match:
        dev = int(match.group(1), 16)
        for ids, cap in _CC_BY_PCI_ID:
            if dev in ids:
                return cap
    return None
