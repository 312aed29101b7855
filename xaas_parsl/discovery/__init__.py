"""System discovery: what a node offers (CPU, GPUs, backends, libraries, compilers, runtimes).

Public entry points:

* ``discover_local()`` probes the machine it runs on;
* ``load_system(path)`` reads a native or upstream-XaaS file (repairing upstream's defects);
* ``dump_system(info, fmt)`` writes either format;
* ``from_upstream`` / ``to_upstream`` convert upstream's dict form directly.

The names are imported lazily: ``import xaas_parsl.discovery.model`` (what intersection needs)
must not pull in the probing machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xaas_parsl.discovery.load import dump_system, load_system
    from xaas_parsl.discovery.model import (
        Compiler,
        ContainerRuntime,
        CpuInfo,
        Gpu,
        GpuBackend,
        Library,
        SystemInfo,
    )
    from xaas_parsl.discovery.probe import discover_local
    from xaas_parsl.discovery.upstream import from_upstream, to_upstream

_HOMES = {
    "dump_system": "load",
    "load_system": "load",
    "discover_local": "probe",
    "from_upstream": "upstream",
    "to_upstream": "upstream",
    **dict.fromkeys(
        ("Compiler", "ContainerRuntime", "CpuInfo", "Gpu", "GpuBackend", "Library", "SystemInfo"),
        "model",
    ),
}

__all__ = [
    "Compiler",
    "ContainerRuntime",
    "CpuInfo",
    "Gpu",
    "GpuBackend",
    "Library",
    "SystemInfo",
    "discover_local",
    "dump_system",
    "from_upstream",
    "load_system",
    "to_upstream",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
