"""Compilers, build tools and container runtimes: which executables exist and their versions.

The candidates are fixed lists plus versioned compilers found on ``PATH`` (``clang-19``);
each is asked ``--version`` by the probe (in parallel, cached), and the banner is parsed here.
Families are CMake's compiler ids (``Clang``, ``IntelLLVM``, ``Intel``, ``NVIDIA``, ``NVHPC``,
``Cray``, ``CrayClang``, ``AppleClang``, ``LLVMFlang``), because build flags are chosen per
compiler id, except ``GCC`` for CMake's ``GNU``: specialization-point files (GROMACS) and
intersection name it ``GCC``. ``HIP`` marks ``hipcc``, whose version is the HIP version.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from xaas_parsl.discovery.model import Compiler, ContainerRuntime, Language
from xaas_parsl.discovery.versions import first_version

#: (language, executable) probed on every machine.
COMPILERS: tuple[tuple[Language, str], ...] = (
    ("c", "gcc"), ("c", "clang"), ("c", "icx"), ("c", "icc"), ("c", "nvc"), ("c", "mpicc"),
    ("cxx", "g++"), ("cxx", "clang++"), ("cxx", "icpx"), ("cxx", "icpc"), ("cxx", "nvc++"),
    ("cxx", "hipcc"), ("cxx", "mpicxx"),
    ("fortran", "gfortran"), ("fortran", "ifx"), ("fortran", "ifort"), ("fortran", "flang"),
    ("fortran", "flang-new"), ("fortran", "nvfortran"), ("fortran", "mpifort"),
    ("cuda", "nvcc"),
)  # fmt: skip

#: Cray PE compiler wrappers, probed when ``CRAYPE_VERSION`` is set.
CRAY_WRAPPERS: tuple[tuple[Language, str], ...] = (("c", "cc"), ("cxx", "CC"), ("fortran", "ftn"))

_VERSIONED = re.compile(r"^(clang|clang\+\+|gcc|g\+\+|gfortran|flang|flang-new)-(\d+)$")
_VERSIONED_LANGUAGE: dict[str, Language] = {
    "clang": "c", "gcc": "c", "clang++": "cxx", "g++": "cxx",
    "gfortran": "fortran", "flang": "fortran", "flang-new": "fortran",
}  # fmt: skip

#: Language implied by well-known executable names (used to fix misfiled upstream entries).
EXECUTABLE_LANGUAGE: dict[str, Language] = {
    **{exe: lang for lang, exe in COMPILERS},
    **{exe: lang for lang, exe in CRAY_WRAPPERS},
    "mpic++": "cxx", "mpiCC": "cxx", "mpif90": "fortran", "mpif77": "fortran", "c++": "cxx",
}  # fmt: skip

#: Build tools whose version matters (``build_system.minimum_version``).
TOOLS = ("cmake", "ninja", "make")

#: (runtime name, executable, arguments that print the version).
CONTAINER_RUNTIMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("docker", "docker", ("--version",)),
    ("podman", "podman", ("--version",)),
    ("podman-hpc", "podman-hpc", ("--version",)),
    ("apptainer", "apptainer", ("--version",)),
    ("singularity", "singularity", ("--version",)),
    ("sarus", "sarus", ("--version",)),
    ("enroot", "enroot", ("version",)),
    ("charliecloud", "ch-run", ("--version",)),
)


@dataclass(frozen=True)
class Candidate:
    """A compiler executable found on ``PATH``."""

    language: Language
    executable: str
    path: str


def versioned_compilers(path_dirs: list[str]) -> list[tuple[Language, str]]:
    """``clang-19``, ``g++-12`` ... present in ``path_dirs`` (sorted, newest last)."""
    found: dict[str, Language] = {}
    for directory in path_dirs:
        try:
            names = [entry.name for entry in os.scandir(directory)]
        except OSError:
            continue
        for name in names:
            match = _VERSIONED.match(name)
            if match:
                found.setdefault(name, _VERSIONED_LANGUAGE[match.group(1)])
    return sorted(((lang, name) for name, lang in found.items()), key=lambda x: _natural(x[1]))


def _natural(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition("-")
    return base, int(number) if number.isdigit() else 0


def compiler_candidates(
    env: Mapping[str, str], which: Callable[[str], str | None], realpath: Callable[[str], str]
) -> list[Candidate]:
    """Compilers present on ``PATH``.

    A versioned name that is the same binary as its unversioned one (``gcc-12`` behind
    ``gcc``) is skipped; ``clang-19`` and ``clang++-19`` are one binary but both stay, as
    they are different drivers.
    """
    names = list(COMPILERS)
    if env.get("CRAYPE_VERSION"):
        names += CRAY_WRAPPERS
    path_dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d]
    names += versioned_compilers(path_dirs)
    found: list[Candidate] = []
    unversioned_real: dict[str, str] = {}
    for language, exe in names:
        path = which(exe)
        if path is None:
            continue
        real = realpath(path)
        versioned = _VERSIONED.match(exe)
        if versioned is None:
            unversioned_real[exe] = real
        elif unversioned_real.get(versioned.group(1)) == real:
            continue
        found.append(Candidate(language, exe, path))
    return found


# -- banner parsing -----------------------------------------------------------------------------

_BANNER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern, re.MULTILINE))
    for family, pattern in (
        ("IntelLLVM", r"Intel\(R\) oneAPI DPC\+\+/C\+\+ Compiler (\d+(?:\.\d+)+)"),
        ("IntelLLVM", r"^ifx \(IFX\) (\d+(?:\.\d+)+)"),
        ("IntelLLVM", r"Intel\(R\) Fortran Compiler (\d+(?:\.\d+)+)"),
        ("Intel", r"^(?:icc|icpc|ifort) \((?:ICC|IFORT)\) (\d+(?:\.\d+)+)"),
        ("NVIDIA", r"Cuda compilation tools, release \d+\.\d+, V(\d+(?:\.\d+)+)"),
        ("HIP", r"HIP version: (\d+(?:\.\d+)+)"),
        ("NVHPC", r"^nv(?:c|c\+\+|fortran|cc|\+\+) (\d+\.\d+)"),
        ("Cray", r"^Cray (?:C|C\+\+|Fortran) : Version (\d+(?:\.\d+)+)"),
        ("CrayClang", r"^Cray clang version (\d+(?:\.\d+)+)"),
        ("AppleClang", r"^Apple clang version (\d+(?:\.\d+)+)"),
        ("LLVMFlang", r"flang(?:-new)? version (\d+(?:\.\d+)+)"),
        ("Clang", r"clang version (\d+(?:\.\d+)+)"),
        (
            "GCC",
            r"^(?:GNU Fortran|(?:[\w.+-]+-)?(?:gcc|g\+\+|c\+\+|cc|gfortran)(?:-[\d.]+)?)"
            r"\s+(?:\([^)]*\)\s+)?(\d+\.\d+(?:\.\d+)?)",
        ),
    )
)


def first_line(text: str) -> str | None:
    """The first non-blank line (nvc prints an empty line first)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), None)


def parse_compiler_banner(text: str) -> tuple[str | None, str | None]:
    """(family, version) from a compiler's ``--version`` output; unknown -> ``(None, None)``.

    An unrecognised banner still yields the first dotted number of its first line as version
    (family ``None``): better than nothing for a minimum-version check, never a sentence.
    """
    for family, pattern in _BANNER_RULES:
        match = pattern.search(text)
        if match:
            return family, match.group(1)
    line = first_line(text)
    if line and "Free Software Foundation" in text:
        return "GCC", first_version(line)
    return None, first_version(line) if line else None


def compiler_from_output(candidate: Candidate, output: str | None) -> Compiler:
    """A ``Compiler`` record; a compiler whose ``--version`` failed keeps null fields."""
    family, version = parse_compiler_banner(output) if output else (None, None)
    return Compiler(
        language=candidate.language,
        executable=candidate.executable,
        family=family,
        version=version,
        banner=first_line(output) if output else None,
        path=candidate.path,
    )


def parse_tool_version(output: str | None) -> str | None:
    """``cmake version 3.25.1`` / ``1.11.1`` / ``GNU Make 4.3`` -> the version."""
    line = first_line(output) if output else None
    return first_version(line) if line else None


def runtime_from_output(name: str, path: str, output: str | None) -> ContainerRuntime:
    """A container runtime with the version from its ``--version`` output (or ``None``)."""
    return ContainerRuntime(name=name, version=parse_tool_version(output), path=path)
