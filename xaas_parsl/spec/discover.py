"""Static specialization discovery: a CMake tree → upstream-format specialization points.

Deterministic and offline (no LLM, no compiler, no network): :mod:`xaas_parsl.spec.cmake`
evaluates the project's CMake code as a native x86-64 Linux GNU configure would, visiting the
branches such a configure skips as well, and records *facts* (options with their evaluated
defaults, ``STRINGS``, comparisons, ``find_package`` versions, explicit version checks). The
rules in :mod:`xaas_parsl.spec.rules` classify those facts; each rule is documented in its module
and in ``docs/spec-discovery.md``:

* SIMD (:mod:`~xaas_parsl.spec.rules.cpu`): a string option choosing among SIMD levels → one entry
  per value (``-DGMX_SIMD=AVX_512``); boolean per-instruction switches → one entry each
  (``-DGGML_AVX2``); ``*_NATIVE`` → ``AUTO``; ``*_ALL_VARIANTS`` → ``ALL``.
* GPU and parallel (:mod:`~xaas_parsl.spec.rules.accel`): a GPU choice option → one backend per
  value and the ``gpu_build`` flag; boolean backend switches (CUDA, HIP, SYCL, Vulkan, Metal,
  OpenCL, MUSA, CANN, KleidiAI, ... or "<X> backend" in the doc string); MPI, thread-MPI, OpenMP,
  Pthreads, TBB switches; minimum versions from ``find_package``/version checks under the
  switch's condition.
* Libraries (:mod:`~xaas_parsl.spec.rules.libs`): BLAS switch × vendor variable → one entry per
  vendor (``-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS``); other linear-algebra switches; an FFT
  choice option → one entry per value (``built-in`` when the value says so); build-own /
  use-system switches → ``internal_build``.
* Toolchain (:mod:`~xaas_parsl.spec.rules.toolchain`): ``build_system`` from the top-level
  ``cmake_minimum_required``; compiler minimums from explicit checks; flags; architectures.

Output follows docs/architecture.md exactly (multichoice → ``-D<OPT>=<value>``, boolean →
``-D<OPT>``, defaults as on native x86-64 Linux) and is validated against the corrected schema.
Entries are in rule order and, within a rule, in the order the project declares them — both
deterministic, so two runs give byte-identical JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.spec.cmake.evaluate import Evaluator
from xaas_parsl.spec.cmake.facts import Facts
from xaas_parsl.spec.load import spec_from_dict
from xaas_parsl.spec.rules.accel import gpu_entries, parallel_entries
from xaas_parsl.spec.rules.cpu import simd_entries
from xaas_parsl.spec.rules.libs import fft_entries, internal_build, linear_algebra_entries
from xaas_parsl.spec.rules.project import Entry, Project
from xaas_parsl.spec.rules.toolchain import (
    architectures,
    build_system,
    compilers,
    flags,
    other_libraries,
)

#: One explained item: JSON path, provenance (``file:line``) and the rule that produced it.
Explanation = tuple[str, str, str]


def collect_facts(root: Path) -> Facts:
    """Evaluate the CMake project at ``root`` (raises ``InputError`` if it is not one)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError("not a directory", root)
    facts = Evaluator(root).run()
    if not facts.options:
        loops = [w for w in facts.warnings if "include loop" in w]
        if loops:
            raise InputError(f"nothing usable was evaluated: {loops[0]}", root)
    return facts


def _section(entries: list[Entry], name: str) -> dict[str, Any]:
    return {e.name: e.data for e in entries if e.section == name}


def build_spec(facts: Facts) -> tuple[dict[str, Any], list[Explanation]]:
    """Classify ``facts`` into a specialization-points dict plus explanations."""
    project = Project(facts)
    simd = simd_entries(project)
    backends, gpu_build, gpu_where = gpu_entries(project)
    parallel = parallel_entries(project)
    algebra = linear_algebra_entries(project)
    fft = fft_entries(project)
    internal, internal_where, internal_rule = internal_build(project)
    system, system_where = build_system(project)
    entries = [*backends, *parallel, *algebra, *fft, *simd]
    claimed = {str(e.data.get("build_flag", "")).split("=")[0][2:] for e in entries}
    cuda = next((e.data.get("minimum_version") for e in backends if e.name == "CUDA"), None)
    general, optimisation = flags(project)
    spec: dict[str, Any] = {
        "gpu_build": gpu_build,
        "gpu_backends": _section(entries, "gpu_backends"),
        "parallel_programming_libraries": _section(entries, "parallel_programming_libraries"),
        "linear_algebra_libraries": _section(entries, "linear_algebra_libraries"),
        "FFT_libraries": _section(entries, "FFT_libraries"),
        "other_external_libraries": other_libraries(project, claimed),
        "compiler_flags": general,
        "optimization_build_flags": optimisation,
        "compilers": compilers(project, cuda if isinstance(cuda, str) else None),
        "architectures": architectures(project, [e.name for e in simd]),
        "simd_vectorization": _section(entries, "simd_vectorization"),
        "build_system": system,
        "internal_build": internal,
    }
    explained: list[Explanation] = [(f"{e.section}.{e.name}", e.where, e.rule) for e in entries]
    if gpu_where:
        explained.append(("gpu_build", gpu_where, "generic GPU switch/choice"))
    if internal_where and internal_rule:
        explained.append(("internal_build", internal_where, internal_rule))
    if system_where:
        explained.append(("build_system", system_where, "top-level cmake_minimum_required"))
    return spec, explained


def discover_explained(
    root: Path, configure: bool = False
) -> tuple[dict[str, Any], list[Explanation], list[str]]:
    """Spec, explanations and warnings for the CMake project at ``root``.

    With ``configure`` the tree is also configured by real CMake and its cache merged
    (:mod:`xaas_parsl.spec.configure`); a failing configure only adds a warning.
    """
    facts = collect_facts(Path(root))
    warnings = list(facts.warnings)
    if configure:
        from xaas_parsl.spec.configure import configure as run_configure
        from xaas_parsl.spec.configure import merge_cache

        items, problems = run_configure(Path(root))
        warnings += problems
        warnings += [f"--configure: {note}" for note in merge_cache(facts, items)]
    spec, explained = build_spec(facts)
    spec_from_dict(spec, root)
    return spec, explained, warnings


def discover_with_provenance(root: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The specialization points and, per JSON path, the ``file:line`` they come from."""
    spec, explained, _warnings = discover_explained(root)
    return spec, {path: where for path, where, _rule in explained}


def discover_spec(root: Path) -> dict[str, Any]:
    """The specialization points of the CMake project at ``root`` (upstream format)."""
    return discover_with_provenance(root)[0]
