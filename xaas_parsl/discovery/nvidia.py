"""NVIDIA GPUs through NVML (``pynvml`` from nvidia-ml-py), with ``nvidia-smi`` as fallback.

NVML is asked in-process: it is faster than ``nvidia-smi`` and gives the compute capability
and the highest CUDA version the driver supports, which intersection needs. Any NVML error
(no driver, no library, no permission) means "no NVIDIA GPUs" plus a note, never a failure.
The NVML module is a parameter so tests can pass a fake one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from xaas_parsl.discovery.model import Gpu
from xaas_parsl.discovery.versions import clean_version

LOG = logging.getLogger("xaas_parsl.discovery")

SMI_QUERY = [
    "--query-gpu=name,compute_cap,driver_version,memory.total",
    "--format=csv,noheader,nounits",
]
_MIB = 1024 * 1024


@dataclass(frozen=True)
class NvidiaResult:
    """What NVML or nvidia-smi reported: devices, driver and the driver's CUDA version."""

    gpus: tuple[Gpu, ...] = ()
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    notes: tuple[str, ...] = ()


def cuda_version_from_int(value: object) -> str | None:
    """NVML's integer CUDA version (12040) as ``"12.4"``."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def _text(value: object) -> str | None:
    if isinstance(value, bytes):  # old pynvml returned bytes
        value = value.decode("utf-8", errors="replace")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _import_pynvml() -> Any:
    try:
        import pynvml
    except ImportError:
        return None
    return pynvml


def probe_nvml(nvml: Any = None) -> NvidiaResult | None:
    """Ask NVML; ``None`` when NVML cannot be used at all (caller may try nvidia-smi)."""
    module = nvml if nvml is not None else _import_pynvml()
    if module is None:
        return None
    error: type[BaseException] = getattr(module, "NVMLError", Exception)
    try:
        module.nvmlInit()
    except error as exc:
        LOG.debug("NVML unavailable: %s", exc)
        return None
    try:
        return _query(module, error)
    except error as exc:
        LOG.debug("NVML query failed: %s", exc)
        return NvidiaResult(notes=(f"NVML initialised but could not list devices: {exc}",))
    finally:
        with contextlib.suppress(error):
            module.nvmlShutdown()


def _query(nvml: Any, error: type[BaseException]) -> NvidiaResult:
    def optional(func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except error:
            return None

    driver = clean_version(_text(optional(nvml.nvmlSystemGetDriverVersion)))
    cuda = cuda_version_from_int(optional(nvml.nvmlSystemGetCudaDriverVersion))
    gpus = []
    for index in range(int(nvml.nvmlDeviceGetCount())):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        capability = optional(nvml.nvmlDeviceGetCudaComputeCapability, handle)
        memory = optional(nvml.nvmlDeviceGetMemoryInfo, handle)
        total = getattr(memory, "total", None)
        gpus.append(
            Gpu(
                vendor="nvidia",
                name=_text(optional(nvml.nvmlDeviceGetName, handle)) or f"NVIDIA GPU {index}",
                compute_capability=(
                    f"{capability[0]}.{capability[1]}"
                    if isinstance(capability, tuple | list) and len(capability) == 2
                    else None
                ),
                driver_version=driver,
                runtime_version=cuda,
                memory_bytes=int(total) if isinstance(total, int) else None,
                source="nvml",
            )
        )
    return NvidiaResult(tuple(gpus), driver, cuda)


def _field(value: str) -> str | None:
    value = value.strip()
    return None if not value or value.startswith("[") or value.upper() == "N/A" else value


def parse_nvidia_smi(csv_text: str, header_text: str | None) -> NvidiaResult:
    """Parse ``nvidia-smi --query-gpu=...`` CSV (``SMI_QUERY``) plus plain ``nvidia-smi`` output.

    The plain output is only used for the "CUDA Version: 12.4" of its header.
    """
    cuda = None
    if header_text and (match := re.search(r"CUDA Version:\s*(\d+\.\d+)", header_text)):
        cuda = match.group(1)
    gpus = []
    driver = None
    for row in csv.reader(io.StringIO(csv_text), skipinitialspace=True):
        if len(row) < 4 or not row[0].strip():
            continue
        name, capability, driver_text, memory = (_field(v) for v in row[:4])
        driver = clean_version(driver_text) or driver
        mib = int(memory) if memory and memory.isdigit() else None
        gpus.append(
            Gpu(
                vendor="nvidia",
                name=name or "NVIDIA GPU",
                compute_capability=capability,
                driver_version=clean_version(driver_text),
                runtime_version=cuda,
                memory_bytes=mib * _MIB if mib is not None else None,
                source="nvidia-smi",
            )
        )
    return NvidiaResult(tuple(gpus), driver, cuda)
