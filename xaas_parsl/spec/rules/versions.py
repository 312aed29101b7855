"""Minimum versions: ``find_package(X <ver>)`` and explicit ``VERSION_LESS`` + ``FATAL_ERROR``.

A version belongs to an entry when the package (or checked variable, ``hip_VERSION`` →
``hip``, ``CMAKE_CUDA_COMPILER_VERSION`` → ``CUDA``) names the entry's library, *and* the call
sits under a condition that mentions the entry's switch or choice (``if(GMX_GPU STREQUAL CUDA)``,
``if(GGML_HIP)``, or a subdirectory added under one). Only when no such conditioned fact exists
is an unconditioned one used. Of several candidates the highest version is the minimum (every
check must pass).
"""

from __future__ import annotations

import re

from xaas_parsl.spec.cmake.condition import version_tuple
from xaas_parsl.spec.cmake.facts import Cond
from xaas_parsl.spec.rules.project import Project
from xaas_parsl.spec.rules.vocab import squash

_COMPILER_VAR = re.compile(r"CMAKE_([A-Za-z]+)_COMPILER_VERSION")
_VERSION_SUFFIX = re.compile(r"(_[A-Z]+)?_VERSION(_STRING)?$", re.I)
#: Packages that are spelled differently from the entry they provide.
_ALIASES = {"CUDA": ("CUDATOOLKIT", "CUDA", "NVHPC"), "HIP": ("HIP", "ROCM", "HIPBLAS"),
            "SYCL": ("SYCL", "INTELSYCL", "ADAPTIVECPP", "HIPSYCL", "ONEAPI")}


def subject(var: str) -> str:
    """What a version variable is about: ``hip_VERSION`` → ``HIP``, ``CMAKE_CUDA_...`` → CUDA."""
    m = _COMPILER_VAR.fullmatch(var)
    if m:
        return squash(m.group(1))
    return squash(_VERSION_SUFFIX.sub("", var))


def relates(package: str, key: str) -> bool:
    """Whether a package/variable subject provides the vocabulary item ``key``."""
    pkg, k = squash(package), squash(key)
    if not pkg or not k:
        return False
    if pkg in _ALIASES.get(k, ()):
        return True
    return pkg == k or (pkg.startswith(k) and len(k) >= 3)


def under_option(project: Project, conds: tuple[Cond, ...]) -> bool:
    """Whether any enclosing condition tests a project option (a feature's dependency)."""
    return any(cmp.var in project.options for cond in conds for cmp in cond.comparisons)


def mentions(conds: tuple[Cond, ...], words: list[str]) -> bool:
    """Whether a non-negated enclosing condition names one of ``words`` (whole words)."""
    text = " ".join(c.text for c in conds if not c.negated)
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", text, re.I)
               for w in words if w)


def minimum_version(project: Project, key: str, words: list[str]) -> str | None:
    """Minimum version of vocabulary item ``key`` switched by ``words`` (option/value names)."""
    conditioned: list[str] = []
    anywhere: list[str] = []
    for pkg in project.packages():
        if pkg.version and relates(pkg.name, key):
            (conditioned if mentions(pkg.conditions, words) else anywhere).append(pkg.version)
    for check in project.version_checks():
        if relates(subject(check.var), key):
            conds = check.conditions + ((check.condition,) if check.condition else ())
            bucket = conditioned if mentions(conds, words) else anywhere
            bucket.append(check.minimum)
    pool = conditioned or anywhere
    pool = [v for v in pool if re.match(r"\d", v)]
    if not pool:
        return None
    return max(pool, key=version_tuple)
