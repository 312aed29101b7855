"""Toolchain rules: ``build_system``, ``compilers``, flags, ``architectures``, other libraries.

None of these is scored by upstream's F1, but they are part of the format and useful downstream.

* ``build_system`` — ``cmake`` and the top-level ``cmake_minimum_required`` (lower bound of a
  ``min...max`` range).
* ``compilers`` — explicit checks ``if(<compiler version> VERSION_LESS v) message(FATAL_ERROR)``;
  the compiler comes from a ``CMAKE_<LANG>_COMPILER_ID`` comparison (or ``CMAKE_COMPILER_IS_GNU*``)
  in the same or an enclosing condition (``GNU`` → ``GCC``), ``CMAKE_CUDA_COMPILER_VERSION`` /
  CUDA toolkit versions → ``CUDA``. The highest minimum per compiler wins.
* ``compiler_flags``/``optimization_build_flags`` — flags the native configure adds with
  ``add_compile_options``/``add_definitions``/``target_compile_*``: optimisation-looking ones
  (``-O*``, ``-ffast-math``, ``-march``/``-mtune``, ``-funroll*``, ``-flto``...) vs. the rest.
* ``architectures`` — CPU families the build distinguishes (``CMAKE_SYSTEM_PROCESSOR``
  comparisons) or has SIMD entries for.
* ``other_external_libraries`` — ``find_package(X [ver])`` directly under ``if(<boolean option>)``
  for an option no other rule claimed.
"""

from __future__ import annotations

import re
from typing import Any

from xaas_parsl.spec.cmake.condition import version_tuple
from xaas_parsl.spec.cmake.facts import Cond
from xaas_parsl.spec.rules.project import Project, flag
from xaas_parsl.spec.rules.versions import subject

_COMPILER_IDS = {"GNU": "GCC", "CLANG": "Clang", "APPLECLANG": "AppleClang", "INTEL": "Intel",
                 "INTELLLVM": "IntelLLVM", "MSVC": "MSVC", "NVHPC": "NVHPC", "PGI": "PGI",
                 "XL": "XL", "XLCLANG": "XLClang", "CRAY": "Cray", "FUJITSU": "Fujitsu",
                 "NVIDIA": "CUDA"}
_OPTIMISATION = re.compile(
    r"^(-O[0-3sgz]?|-Ofast|-ffast-math|-funsafe-math-optimizations|-march=.*|-mtune=.*|-mcpu=.*"
    r"|-funroll.*|-flto.*|-fomit-frame-pointer|-use_fast_math|--use_fast_math|/O[12x]|/arch:.*)$"
)
_FAMILIES = [("x86", r"x86|i[3-6]86|amd64|x64|em64t"), ("ARM", r"arm|aarch64"),
             ("IBM", r"ppc|power"), ("RISC-V", r"riscv"), ("LoongArch", r"loongarch"),
             ("s390x", r"s390")]
_SIMD_FAMILY = [("x86", r"SSE|AVX|AMX|FMA|F16C|BMI"), ("ARM", r"NEON|SVE|ARM"),
                ("IBM", r"VSX|IBM"), ("RISC-V", r"RVV|RV_|XTHEAD"), ("LoongArch", r"LSX|LASX"),
                ("s390x", r"VXE")]


_HOST_COMPILER = re.compile(r"CMAKE_(C|CXX|Fortran)_COMPILER_VERSION")


def _feature_specific(project: Project, conds: tuple[Cond, ...]) -> bool:
    """Whether a check sits under a project option (a feature's requirement, not the build's)."""
    return any(
        cmp.op == "TRUTH" and cmp.var in project.options
        for cond in conds if not cond.negated for cmp in cond.comparisons
    )


_EXTRA_DIRS = {"test", "tests", "testing", "example", "examples", "docs", "doc", "benchmarks",
               "external", "extern", "third_party", "thirdparty", "3rdparty", "vendor"}
_TOOLS = {"PkgConfig", "Git", "Doxygen", "Sphinx", "Python", "Python3", "PythonInterp",
          "Perl", "Threads", "LATEX", "ImageMagick"}


def build_system(project: Project) -> tuple[dict[str, Any], str | None]:
    minimum = project.facts.minimum_required
    return ({"type": "cmake", "minimum_version": minimum[0] if minimum else None},
            minimum[1] if minimum else None)


def compilers(project: Project, cuda_minimum: str | None) -> dict[str, dict[str, Any]]:
    found: dict[str, str] = {}
    for check in project.version_checks():
        what = subject(check.var)
        host = _HOST_COMPILER.fullmatch(check.var) is not None
        if not host and what not in {"CUDATOOLKIT", "CUDA"}:
            continue
        name = None if host else "CUDA"
        conds = (*check.conditions, *((check.condition,) if check.condition else ()))
        if _feature_specific(project, conds):
            continue  # e.g. Clang >= 6 only when building CUDA with clang (GMX_CLANG_CUDA)
        for cond in conds:
            if cond.negated or not host:
                continue
            for cmp in cond.comparisons:
                if cmp.var.upper().endswith("_COMPILER_ID"):
                    name = _COMPILER_IDS.get(cmp.value.upper().strip("^$"), name)
            if re.search(r"CMAKE_COMPILER_IS_GNU", cond.text):
                name = "GCC"
        if name is None:
            continue
        if name not in found or version_tuple(check.minimum) > version_tuple(found[name]):
            found[name] = check.minimum
    if cuda_minimum and "CUDA" not in found:
        found["CUDA"] = cuda_minimum
    return {name: {"minimum_version": found[name]} for name in sorted(found)}


def flags(project: Project) -> tuple[list[str], list[str]]:
    general: list[str] = []
    optimisation: list[str] = []
    for value, where, native in project.facts.compile_flags:
        if not native or "${" in value or "/" in value.split("=", 1)[-1] \
                or _EXTRA_DIRS & set(where.split(":")[0].split("/")[:-1]):
            continue
        target = optimisation if _OPTIMISATION.match(value) else general
        if value not in target:
            target.append(value)
    return general[:64], optimisation[:64]


def architectures(project: Project, simd_names: list[str]) -> list[str]:
    seen: set[str] = set()
    for var in ("CMAKE_SYSTEM_PROCESSOR", "CMAKE_HOST_SYSTEM_PROCESSOR"):
        for cmp in project.comparisons(var):
            for family, pattern in _FAMILIES:
                if re.search(pattern, cmp.value, re.I):
                    seen.add(family)
    for name in simd_names:
        for family, pattern in _SIMD_FAMILY:
            if re.search(pattern, name, re.I):
                seen.add(family)
    return [family for family, _ in _FAMILIES if family in seen]


def other_libraries(project: Project, claimed: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pkg in project.packages():
        if not pkg.conditions or pkg.name in out or pkg.name in _TOOLS:
            continue
        cond = pkg.conditions[-1]
        opt = project.options.get(cond.text)
        if cond.negated or opt is None or opt.type != "BOOL" or opt.name in claimed:
            continue
        out[pkg.name] = {"version": pkg.version, "used_as_default": project.default_on(opt),
                         "conditions": opt.name, "build_flag": flag(opt.name)}
    return out
