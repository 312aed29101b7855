"""The host CPU: architecture, vendor, model, microarchitecture and the full flag list.

``/proc/cpuinfo`` is read directly: it is instant, carries the complete flag list in the
spelling intersection uses, and on ARM the implementer/part ids that name the core. py-cpuinfo
(about a second per call) is only the fallback for systems without a usable ``/proc/cpuinfo``,
and its result is cached. Parsers take text so that other machines' samples can be tested here.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xaas_parsl.discovery.model import CpuInfo

_ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "armv8": "aarch64",
    "ppc64le": "ppc64le",
    "powerpc64le": "ppc64le",
    "ppc64": "ppc64",
    "riscv64": "riscv64",
}

_X86_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}

#: ARM "CPU implementer" ids (MIDR_EL1) to vendor names.
ARM_IMPLEMENTERS = {
    0x41: "ARM",
    0x42: "Broadcom",
    0x43: "Cavium",
    0x46: "Fujitsu",
    0x48: "HiSilicon",
    0x4E: "NVIDIA",
    0x51: "Qualcomm",
    0x61: "Apple",
    0xC0: "Ampere",
}

#: (implementer, part) -> (display name, microarchitecture). Ids from Linux
#: ``arch/arm64/include/asm/cputype.h``; microarchitectures are the lower-case display names
#: (``neoverse-v2``), which intersection matches on.
ARM_PARTS: dict[tuple[int, int], tuple[str, str]] = {
    (0x41, 0xD08): ("Cortex-A72", "cortex-a72"),
    (0x41, 0xD0C): ("Neoverse-N1", "neoverse-n1"),
    (0x41, 0xD40): ("Neoverse-V1", "neoverse-v1"),
    (0x41, 0xD49): ("Neoverse-N2", "neoverse-n2"),
    (0x41, 0xD4E): ("Cortex-X3", "cortex-x3"),
    (0x41, 0xD4F): ("Neoverse-V2", "neoverse-v2"),
    (0x41, 0xD83): ("Neoverse-V3AE", "neoverse-v3ae"),
    (0x41, 0xD84): ("Neoverse-V3", "neoverse-v3"),
    (0x41, 0xD8E): ("Neoverse-N3", "neoverse-n3"),
    (0x46, 0x001): ("A64FX", "a64fx"),
    (0xC0, 0xAC3): ("Ampere-1", "ampere1"),
}

#: Intel family 6 model -> microarchitecture (archspec names). 0x55 depends on the stepping.
_INTEL_MODELS = {
    0x3C: "haswell", 0x3F: "haswell", 0x45: "haswell", 0x46: "haswell",
    0x3D: "broadwell", 0x47: "broadwell", 0x4F: "broadwell", 0x56: "broadwell",
    0x4E: "skylake", 0x5E: "skylake",
    0x57: "knl", 0x85: "knm",
    0x6A: "icelake", 0x6C: "icelake", 0x7D: "icelake", 0x7E: "icelake",
    0x8F: "sapphirerapids", 0xCF: "emeraldrapids", 0xAD: "graniterapids",
    0xAE: "graniterapids",
}  # fmt: skip


def normalise_arch(machine: str) -> str:
    """``AMD64``/``arm64``/``powerpc64le`` -> ``x86_64``/``aarch64``/``ppc64le``."""
    key = machine.strip().casefold().replace("-", "_")
    return _ARCH_ALIASES.get(key, key)


def amd_microarchitecture(family: int, model: int) -> str | None:
    """AMD Zen generation from family/model (Zen and Zen+ are both ``zen``, as in archspec)."""
    if family == 0x17:
        return "zen" if model < 0x30 else "zen2"
    if family == 0x19:
        zen4 = 0x10 <= model <= 0x1F or 0x60 <= model <= 0x7F or 0xA0 <= model <= 0xAF
        return "zen4" if zen4 else "zen3"
    if family == 0x1A:
        return "zen5"
    return None


def intel_microarchitecture(family: int, model: int, stepping: int | None) -> str | None:
    """Intel server/client core from family 6 model (plus stepping for Skylake-SP/Cascade Lake)."""
    if family != 6:
        return None
    if model == 0x55:
        return "cascadelake" if stepping is not None and stepping >= 5 else "skylake_avx512"
    return _INTEL_MODELS.get(model)


def epyc_microarchitecture(model_name: str | None) -> str | None:
    """Zen generation from an EPYC model name's last digit (7742 -> zen2, 7A53 -> zen3)."""
    if not model_name:
        return None
    match = re.search(r"EPYC\s+[0-9][0-9A-Z]{2}(\d)", model_name)
    if not match:
        return None
    return {"1": "zen", "2": "zen2", "3": "zen3", "4": "zen4", "5": "zen5"}.get(match.group(1))


@dataclass(frozen=True)
class ProcCpu:
    """The first processor block of ``/proc/cpuinfo``, reduced to what discovery uses."""

    fields: dict[str, str]
    processors: int

    def get(self, key: str) -> str | None:
        """A field's value, or ``None`` when absent or empty."""
        value = self.fields.get(key)
        return value if value else None

    def number(self, key: str) -> int | None:
        """A field parsed as an int (decimal or ``0x`` hex)."""
        value = self.get(key)
        if value is None:
            return None
        try:
            return int(value, 0)
        except ValueError:
            return None


def parse_proc_cpuinfo(text: str) -> ProcCpu:
    """Parse ``/proc/cpuinfo`` text; fields come from the first block that has them."""
    fields: dict[str, str] = {}
    processors = 0
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "processor":
            processors += 1
        fields.setdefault(key, value.strip())
    return ProcCpu(fields, processors)


def _flags(proc: ProcCpu) -> tuple[str, ...]:
    raw = proc.get("flags") or proc.get("Features") or ""
    return tuple(dict.fromkeys(flag.casefold() for flag in raw.split()))


def cpu_from_proc(
    proc: ProcCpu, machine: str, *, sve_vector_bits: int | None, logical_cores: int | None
) -> CpuInfo:
    """Build ``CpuInfo`` from parsed ``/proc/cpuinfo`` of a machine with ``uname -m`` ``machine``.

    ``fma_units`` stays ``None``: no file tells it reliably, and intersection applies its own
    table rather than trusting a guess made here.
    """
    arch = normalise_arch(machine)
    cores = logical_cores or proc.processors or None
    if arch == "aarch64":
        return _arm_cpu(proc, sve_vector_bits, cores)
    family, model = proc.number("cpu family"), proc.number("model")
    raw_vendor = proc.get("vendor_id")
    vendor = _X86_VENDORS.get(raw_vendor, raw_vendor) if raw_vendor else None
    model_name = proc.get("model name") or proc.get("cpu")
    micro = None
    if vendor in {"AMD", "Hygon"} and family is not None and model is not None:
        micro = amd_microarchitecture(family, model)
    elif vendor == "Intel" and family is not None and model is not None:
        micro = intel_microarchitecture(family, model, proc.number("stepping"))
    elif arch.startswith("ppc") and model_name:
        power = re.search(r"POWER(\d+)", model_name)
        micro = f"power{power.group(1)}" if power else None
        vendor = vendor or "IBM"
    return CpuInfo(
        architecture=arch,
        model_name=model_name,
        vendor=vendor,
        flags=_flags(proc),
        family=family,
        model=model,
        microarchitecture=micro,
        sve_vector_bits=sve_vector_bits,
        logical_cores=cores,
    )


def _arm_cpu(proc: ProcCpu, sve_vector_bits: int | None, cores: int | None) -> CpuInfo:
    implementer, part = proc.number("CPU implementer"), proc.number("CPU part")
    vendor = ARM_IMPLEMENTERS.get(implementer) if implementer is not None else None
    known = ARM_PARTS.get((implementer, part)) if implementer is not None and part else None
    model_name = proc.get("model name")
    if model_name is None and known is not None:
        model_name = known[0]
    elif model_name is None and part is not None:
        model_name = f"{vendor or 'ARM'} part {part:#x}"
    flags = _flags(proc)
    return CpuInfo(
        architecture="aarch64",
        model_name=model_name,
        vendor=vendor,
        flags=flags,
        microarchitecture=known[1] if known else None,
        sve_vector_bits=sve_vector_bits if "sve" in flags else None,
        logical_cores=cores,
    )


def parse_sve_default_length(text: str) -> int | None:
    """``/proc/sys/abi/sve_default_vector_length`` holds bytes; return bits."""
    try:
        length = int(text.strip())
    except ValueError:
        return None
    return length * 8 if length > 0 else None


def cpu_from_pycpuinfo(info: dict[str, Any], *, sve_vector_bits: int | None) -> CpuInfo:
    """Build ``CpuInfo`` from ``cpuinfo.get_cpu_info()`` output (the fallback path)."""
    arch = normalise_arch(str(info.get("arch_string_raw") or platform.machine()))
    raw_vendor = info.get("vendor_id_raw")
    vendor = _X86_VENDORS.get(raw_vendor, raw_vendor) if isinstance(raw_vendor, str) else None
    family, model = info.get("family"), info.get("model")
    family = family if isinstance(family, int) else None
    model = model if isinstance(model, int) else None
    micro = None
    if vendor == "AMD" and family is not None and model is not None:
        micro = amd_microarchitecture(family, model)
    elif vendor == "Intel" and family is not None and model is not None:
        stepping = info.get("stepping")
        micro = intel_microarchitecture(
            family, model, stepping if isinstance(stepping, int) else None
        )
    flags = tuple(dict.fromkeys(str(f).casefold() for f in info.get("flags", ())))
    count = info.get("count")
    return CpuInfo(
        architecture=arch,
        model_name=info.get("brand_raw") or None,
        vendor=vendor,
        flags=flags,
        family=family,
        model=model,
        microarchitecture=micro,
        sve_vector_bits=sve_vector_bits,
        logical_cores=count if isinstance(count, int) else None,
    )


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def probe_cpu(pycpuinfo: Callable[[], dict[str, Any]]) -> CpuInfo:
    """Describe this machine's CPU; ``pycpuinfo`` is called only when ``/proc`` is not enough."""
    sve_text = _read("/proc/sys/abi/sve_default_vector_length")
    sve_bits = parse_sve_default_length(sve_text) if sve_text is not None else None
    text = _read("/proc/cpuinfo")
    if text:
        proc = parse_proc_cpuinfo(text)
        if _flags(proc):
            return cpu_from_proc(
                proc, platform.machine(), sve_vector_bits=sve_bits, logical_cores=os.cpu_count()
            )
    return cpu_from_pycpuinfo(pycpuinfo(), sve_vector_bits=sve_bits)
