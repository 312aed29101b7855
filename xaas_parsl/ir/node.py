"""The node an IR deployment is for: its ISA family must be the bundle's, its CPU tunes lowering.

A node is described by a system file (``xaas system discover`` output, upstream's format) or a
``/proc/cpuinfo`` recorded on it. Without one, a deployment checks nothing and lowers for the
bundle family's baseline (cross-lowering on another family's host is fine: the result is
meant for elsewhere). With one, a node of another ISA family is a one-line error.

CPU tuning follows the project's SIMD rules: on x86-64 the configuration's own flags choose the
instruction set (``AVX_512`` or ``AVX2_256`` by FMA units), so the node adds only ``-mtune``; on
aarch64 the configurations are NEON or scalar, so the node's CPU (``-mcpu=neoverse-v2``) gives
the instruction set, without SVE unless the node's SVE vectors are known to be wider than
128 bits (on GH200's 128-bit SVE, NEON measured faster).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.errors import InputError
from xaas_parsl.ir.cross import cpu_family, cpu_flags, host_arch

#: ``--cpu`` values that are not CPU names.
BASELINE, NODE = "baseline", "node"


def check_node(meta: dict[str, Any], system: SystemInfo, where: str | Path) -> None:
    """Refuse a node whose ISA family is not the bundle's."""
    bundle = meta.get("arch") or host_arch()
    node = normalise_arch(system.cpu.architecture)
    if node != bundle:
        raise InputError(f"the node is {node} but the bundle holds {bundle} IR: IR bundles are "
                         f"per ISA family (build one with xaas ir build --arch {node})", where)


def _sve_allowed(system: SystemInfo | None) -> bool:
    bits = system.cpu.sve_vector_bits if system else None
    return bits is not None and bits > 128


def family_flags(arch: str, cpu: str, sve: bool) -> tuple[str, ...]:
    """Tuning flags for ``cpu`` in a bundle of family ``arch`` (see the module's rules)."""
    found = cpu_family(cpu)
    if found and found != arch:
        raise InputError(f"CPU {cpu!r} is {found}, the bundle holds {arch} IR")
    flags = cpu_flags(cpu)
    if arch == "x86_64":
        return tuple(f for f in flags if f.startswith("-mtune="))
    if arch == "aarch64" and not sve:
        flags = [f"{f}+nosve" if f.startswith(("-mcpu=", "-march=")) and _has_sve(cpu) else f
                 for f in flags]
    return tuple(flags)


def _has_sve(cpu: str) -> bool:
    import archspec.cpu

    key = cpu.strip().lower().replace("-", "_")
    key = key if key in archspec.cpu.TARGETS else key.replace("_a", "a")
    target = archspec.cpu.TARGETS.get(key)
    return target is not None and "sve" in target.features


def node_tuning(meta: dict[str, Any], system: SystemInfo | None, cpu: str | None
                ) -> tuple[tuple[str, ...], str | None]:
    """(extra lowering flags, the CPU they tune for). ``cpu``: ``None`` = the node's CPU when
    a node is given (its archspec microarchitecture), else the baseline; ``baseline``; or an
    archspec name (``neoverse-v2``, ``armv8.2-a``)."""
    arch = meta.get("arch") or host_arch()
    if cpu == BASELINE or (cpu in (None, NODE) and system is None):
        if cpu == NODE:
            raise InputError("--cpu node needs the node's system file (--target)")
        return (), None
    name = cpu if cpu not in (None, NODE) else system.cpu.microarchitecture if system else None
    if name is None:
        return (), None
    try:
        return family_flags(arch, name, _sve_allowed(system)), name
    except InputError:
        if cpu is None:  # a node CPU archspec does not know: lower for the baseline
            return (), None
        raise
