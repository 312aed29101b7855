"""AMD and Intel GPUs, and GPUs that only ``lspci`` sees.

AMD devices come from the KFD topology in sysfs (no subprocess, works without ROCm tools);
``rocm-smi`` adds marketing names, ``rocminfo`` is the fallback when sysfs is not readable
(some containers). Intel devices come from ``xpu-smi`` or ``sycl-ls``. ``lspci`` lines are the
last resort (upstream's MN5 file has nothing else): only display-class devices of the three GPU
vendors count, never host bridges. All parsers take text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from xaas_parsl.discovery.model import Gpu, GpuVendor
from xaas_parsl.discovery.versions import clean_version

KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"

# -- AMD ----------------------------------------------------------------------------------------


def parse_kfd_properties(text: str) -> dict[str, int]:
    """A KFD node's ``properties`` file: ``key value`` lines with integer values."""
    props: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                props[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return props


def gfx_name(target_version: int) -> str | None:
    """KFD ``gfx_target_version`` (90010) as the LLVM target name (``gfx90a``)."""
    if target_version <= 0:
        return None
    major, minor, stepping = (
        target_version // 10000,
        (target_version // 100) % 100,
        (target_version % 100),
    )
    return f"gfx{major}{minor:x}{stepping:x}"


def amd_gpus_from_kfd(
    nodes: Sequence[dict[str, int]],
    *,
    marketing_names: Sequence[str] = (),
    rocm_version: str | None = None,
) -> list[Gpu]:
    """GPU nodes (``simd_count > 0``) of the KFD topology; CPU nodes are skipped."""
    gpus: list[Gpu] = []
    for node in nodes:
        if node.get("simd_count", 0) <= 0:
            continue
        target = gfx_name(node.get("gfx_target_version", 0))
        index = len(gpus)
        marketing = marketing_names[index] if index < len(marketing_names) else None
        gpus.append(
            Gpu(
                vendor="amd",
                name=marketing or target or "AMD GPU",
                compute_capability=target,
                runtime_version=rocm_version,
                marketing_name=marketing,
                source="kfd",
            )
        )
    return gpus


def parse_rocm_smi_product(text: str) -> list[str]:
    """Marketing names from ``rocm-smi --showproductname --json``, in card order."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    names = []
    cards = sorted((k for k in data if k.startswith("card")), key=_card_index)
    for card in cards:
        info = data[card]
        if not isinstance(info, dict):
            continue
        lowered = {str(k).casefold(): v for k, v in info.items()}
        name = lowered.get("card series") or lowered.get("card model")
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def _card_index(card: str) -> int:
    digits = card.removeprefix("card")
    return int(digits) if digits.isdigit() else 0


def parse_rocminfo(text: str, rocm_version: str | None = None) -> list[Gpu]:
    """GPU agents of ``rocminfo`` output (``Device Type: GPU`` blocks)."""
    gpus = []
    runtime = re.search(r"Runtime Version:\s*(\S+)", text)
    for block in re.split(r"\n\*{5,}\s*\n", text):
        if not re.search(r"Device Type:\s*GPU", block):
            continue
        name = re.search(r"^\s*Name:\s*(gfx\w+)", block, flags=re.MULTILINE)
        marketing = re.search(r"Marketing Name:\s*(.+)", block)
        marketing_name = marketing.group(1).strip() if marketing else None
        target = name.group(1) if name else None
        gpus.append(
            Gpu(
                vendor="amd",
                name=marketing_name or target or "AMD GPU",
                compute_capability=target,
                runtime_version=rocm_version or (runtime.group(1) if runtime else None),
                marketing_name=marketing_name,
                source="rocminfo",
            )
        )
    return gpus


def parse_rocm_version(text: str) -> str | None:
    """``/opt/rocm/.info/version`` (``6.0.3-91``) -> ``6.0.3``."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return clean_version(first.split("-")[0])


# -- Intel --------------------------------------------------------------------------------------


def parse_xpu_smi_discovery(text: str) -> list[Gpu]:
    """``xpu-smi discovery --json``: ``{"device_list": [{"device_name": ...}, ...]}``."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        return []
    devices = data.get("device_list", []) if isinstance(data, dict) else []
    return [
        Gpu(vendor="intel", name=str(dev["device_name"]).strip(), source="xpu-smi")
        for dev in devices
        if isinstance(dev, dict) and dev.get("device_name")
    ]


_SYCL_LS = re.compile(
    r"^\[(?P<backend>[\w]+):gpu[^\]]*\](?:\[[^\]]*\])?\s+[^,]+,\s+"
    r"(?P<name>.+?)\s+(?P<version>\d[\d.]*)\s+(?:[A-Za-z][^\[]*)?\[(?P<driver>[^\]]+)\]\s*$"
)


def parse_sycl_ls(text: str) -> list[Gpu]:
    """Intel GPUs from ``sycl-ls``: Level Zero devices, else OpenCL ones (never both)."""
    level_zero: list[Gpu] = []
    opencl: list[Gpu] = []
    for line in text.splitlines():
        match = _SYCL_LS.match(line.strip())
        if not match or "intel" not in match.group("name").casefold():
            continue
        gpu = Gpu(
            vendor="intel",
            name=match.group("name").strip(),
            driver_version=clean_version(match.group("driver").split("+")[0]),
            source="sycl-ls",
        )
        backend = match.group("backend")
        (level_zero if "level_zero" in backend else opencl).append(gpu)
    return level_zero or opencl


# -- lspci --------------------------------------------------------------------------------------

_LSPCI = re.compile(
    r"^(?P<slot>\S+)\s+(?:VGA compatible controller|3D controller|Display controller)"
    r"(?:\s+\[[0-9a-f]{4}\])?:\s+(?P<rest>.+)$"
)
LSPCI_VENDORS: tuple[tuple[str, GpuVendor], ...] = (
    ("NVIDIA Corporation", "nvidia"),
    ("Advanced Micro Devices, Inc. [AMD/ATI]", "amd"),
    ("ATI Technologies Inc", "amd"),
    ("Intel Corporation", "intel"),
)


def gpus_from_lspci(lines: Iterable[str], vendors: Iterable[GpuVendor] | None = None) -> list[Gpu]:
    """GPUs among ``lspci`` lines: display-class devices of NVIDIA, AMD/ATI and Intel.

    The name is lspci's device text (``GA100 [A100 SXM4 40GB]``, ``Device 2337``) without the
    revision; nothing else (compute capability, driver) is known from lspci.
    """
    wanted = set(vendors) if vendors is not None else None
    gpus = []
    for line in lines:
        match = _LSPCI.match(line.strip())
        if not match:
            continue
        rest = re.sub(r"\s*\(rev [0-9a-f]+\)\s*$", "", match.group("rest"))
        rest = re.sub(r"\s*\[[0-9a-f]{4}:[0-9a-f]{4}\]", "", rest)
        for prefix, vendor in LSPCI_VENDORS:
            if rest.startswith(prefix) and (wanted is None or vendor in wanted):
                gpus.append(Gpu(vendor=vendor, name=rest[len(prefix) :].strip(), source="lspci"))
                break
    return gpus
