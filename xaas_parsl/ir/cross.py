"""ISA families: one IR bundle per family, cross-building and cross-lowering on this host.

IR is not portable between x86-64 and aarch64 (ABI, data layout, predefined macros, intrinsic
headers), so a bundle holds one family and records its target triple. A family other than the
build host's is configured with a CMake toolchain file that makes clang-19 compile for that
triple (``--target=aarch64-linux-gnu``) against Debian's cross sysroot
(``/usr/aarch64-linux-gnu``: ``libc6-dev-arm64-cross``, ``libstdc++-12-dev-arm64-cross``, the
arm64 libomp from ``scripts/arm64-openmp.sh``) and run try-run checks under ``qemu-aarch64``.
Deployment then lowers with the unit's own ``--target`` and links against the same sysroot.

CPU tuning for a node (``-mcpu=neoverse-v2``) comes from archspec's table of compiler flags per
microarchitecture, so the names are archspec's (``neoverse_v2``, ``armv8.2a``; dashes accepted).
"""

from __future__ import annotations

import platform
import shutil
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.errors import InputError, ToolError


@dataclass(frozen=True)
class Family:
    """An ISA family a bundle can target."""

    arch: str
    triple: str  # what --target gets (clang normalises it in the IR)
    elf_machine: int  # ELF e_machine of its executables
    sysroot: str  # Debian's cross sysroot (used when the family is not the host's)
    qemu: str  # user-mode emulator that runs its executables on another host


FAMILIES: dict[str, Family] = {
    "x86_64": Family("x86_64", "x86_64-linux-gnu", 0x3E, "/usr/x86_64-linux-gnu",
                     "qemu-x86_64-static"),
    "aarch64": Family("aarch64", "aarch64-linux-gnu", 0xB7, "/usr/aarch64-linux-gnu",
                      "qemu-aarch64-static"),
}
CROSS_PACKAGES = {
    "aarch64": "crossbuild-essential-arm64 libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross "
               "qemu-user-static (and scripts/arm64-openmp.sh for OpenMP)",
}


def host_arch() -> str:
    """This machine's ISA family (``x86_64``, ``aarch64``)."""
    return normalise_arch(platform.machine())


def family(arch: str | None) -> Family:
    """The family named ``arch`` (``arm64``/``amd64`` accepted); ``None`` = this host's."""
    name = normalise_arch(arch) if arch else host_arch()
    if name not in FAMILIES:
        raise InputError(f"unknown architecture {arch!r} (known: {', '.join(FAMILIES)}; "
                         "arm64 = aarch64, amd64 = x86_64)")
    return FAMILIES[name]


def is_cross(fam: Family) -> bool:
    """Whether ``fam`` is not this host's family."""
    return fam.arch != host_arch()


def require_sysroot(fam: Family) -> None:
    """A ``ToolError`` naming the Debian packages when the cross sysroot is missing."""
    if not (Path(fam.sysroot) / "include").is_dir():
        raise ToolError(f"no {fam.arch} cross sysroot at {fam.sysroot}: apt-get install "
                        f"{CROSS_PACKAGES.get(fam.arch, fam.arch + ' cross packages')}")


def toolchain_text(fam: Family, c_compiler: str, cxx_compiler: str) -> str:
    """A CMake toolchain file compiling for ``fam`` with clang on this host (pure).

    Libraries and headers are searched only in the cross sysroot (programs on the host);
    ``CMAKE_CROSSCOMPILING_EMULATOR`` lets ``try_run`` checks and ``ctest`` run the target's
    executables under qemu-user."""
    root = fam.sysroot
    return "\n".join([
        "# Written by xaas ir build: cross-compile with clang for " + fam.triple,
        "set(CMAKE_SYSTEM_NAME Linux)",
        f"set(CMAKE_SYSTEM_PROCESSOR {fam.arch})",
        f"set(CMAKE_C_COMPILER {c_compiler})",
        f"set(CMAKE_C_COMPILER_TARGET {fam.triple})",
        f"set(CMAKE_CXX_COMPILER {cxx_compiler})",
        f"set(CMAKE_CXX_COMPILER_TARGET {fam.triple})",
        f"set(CMAKE_FIND_ROOT_PATH {root})",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)",
        f"set(CMAKE_CROSSCOMPILING_EMULATOR {fam.qemu};-L;{root})",
        "",
    ])


def write_toolchain(fam: Family, directory: Path, c_compiler: str, cxx_compiler: str) -> Path:
    """Write the toolchain file for ``fam`` into ``directory`` (unchanged text: untouched, so
    configured trees stay up to date)."""
    path = directory / f"toolchain-{fam.arch}.cmake"
    text = toolchain_text(fam, c_compiler, cxx_compiler)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def elf_arch(path: Path) -> str | None:
    """The ISA family of an ELF executable (from its header's ``e_machine``), ``None`` when
    the file is not a 64-bit little-endian ELF of a known family."""
    try:
        with path.open("rb") as handle:
            head = handle.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return None
    (machine,) = struct.unpack_from("<H", head, 18)
    return next((f.arch for f in FAMILIES.values() if f.elf_machine == machine), None)


def emulator_for(path: Path) -> list[str]:
    """The argv prefix that runs executable ``path`` here: nothing for this host's family (or
    a non-ELF file, e.g. a script), ``qemu-<arch>-static -L <sysroot>`` for another family."""
    arch = elf_arch(path)
    if arch is None or arch == host_arch():
        return []
    fam = FAMILIES[arch]
    qemu = shutil.which(fam.qemu)
    if qemu is None:
        raise ToolError(f"{path.name} is an {arch} executable and {fam.qemu} is not installed "
                        "(apt-get install qemu-user-static)")
    return [qemu, "-L", fam.sysroot]


def cpu_flags(cpu: str) -> list[str]:
    """Clang flags that tune for ``cpu`` (an archspec microarchitecture or generic target:
    ``neoverse-v2`` → ``-mcpu=neoverse-v2``, ``armv8.2-a`` → ``-march=armv8.2-a``)."""
    return list(_cpu_flags(cpu))


@cache
def _cpu_flags(cpu: str) -> tuple[str, ...]:
    import archspec.cpu

    key = cpu.strip().lower().replace("-", "_")
    candidates = [key, key.replace("_a", "a")] if key.startswith("armv") else [key]
    target = next((archspec.cpu.TARGETS[k] for k in candidates if k in archspec.cpu.TARGETS),
                  None)
    if target is None:
        raise InputError(f"unknown CPU {cpu!r} (archspec names, e.g. neoverse-v2, armv8.2-a, "
                         "skylake-avx512, zen2)")
    try:
        flags = str(target.optimization_flags("clang", "19.1.7"))
    except Exception as exc:  # archspec raises its own errors for unsupported pairs
        raise InputError(f"clang 19 has no tuning flags for CPU {cpu!r}: {exc}") from None
    return tuple(flags.split())


def cpu_family(cpu: str) -> str:
    """The ISA family of an archspec CPU name (to refuse ``neoverse-v2`` for x86 bundles)."""
    import archspec.cpu

    key = cpu.strip().lower().replace("-", "_")
    key = key if key in archspec.cpu.TARGETS else key.replace("_a", "a")
    return normalise_arch(str(archspec.cpu.TARGETS[key].family)) if key in archspec.cpu.TARGETS \
        else ""
