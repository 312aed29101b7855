"""Library rules: ``linear_algebra_libraries``, ``FFT_libraries``, ``internal_build``.

* **BLAS with a vendor variable** — a BLAS switch (``GGML_BLAS``) plus a string option with a
  ``VENDOR`` token that extends the switch's name (``GGML_BLAS_VENDOR``) gives one entry per
  vendor value (its ``STRINGS``, or the values the build compares it with, plus its default),
  flag ``-D<SWITCH>=ON -D<VENDOR>=<vendor>``, ``used_as_default`` when the switch is on by
  default and the vendor is the default vendor. Without a vendor variable the switch is one
  ``BLAS`` entry.
* **Other linear-algebra switches** — boolean switches for LAPACK, MKL, Accelerate, KLU,
  SuperLU, MAGMA, Ginkgo, ... (:data:`~vocab.LINEAR_ALGEBRA`), flag ``-D<OPT>``.
* **FFT choice** — a string option with an ``FFT`` token and at least two values gives one entry
  per value, flag ``-D<OPT>=<value>``; ``built-in`` when the value says so (``built-in``,
  ``builtin``, ``internal``, ``bundled``); for a GPU FFT choice (``GPU`` token too)
  ``dependencies`` lists the backends named in the conditions the value is tested under.
* **Internal build** — a boolean option with a build-it-yourself token (``OWN``, ``BUNDLED``,
  ``INTERNAL``) names the library after that token and is the flag (``GMX_BUILD_OWN_FFTW`` →
  FFTW, ``-DGMX_BUILD_OWN_FFTW``). Failing that, an off-by-default "use the system/external copy"
  option (``LLAMA_USE_SYSTEM_GGML``) means the bundled library is built by default: library named
  after the token, no flag needed (``build_flag`` null).
"""

from __future__ import annotations

import re
from typing import Any

from xaas_parsl.spec.cmake.facts import OptionFact
from xaas_parsl.spec.rules.accel import _BACKEND_BY_SQUASH, mandatory_entries
from xaas_parsl.spec.rules.project import Entry, Project, add_unique, flag
from xaas_parsl.spec.rules.vocab import (
    INTERNAL_MARKERS,
    LINEAR_ALGEBRA,
    doc_spelling,
    match_switch,
    squash,
    tokens,
)

_BUILT_IN = re.compile(r"built-?in|internal|bundled", re.I)
#: FFT implementations whose name does not contain "FFT".
_FFT_LIBRARIES = {"MKL", "ONEMKL", "KISS", "ESSL", "ARMPL", "NVPL", "ONEMATH", "AOCL", "FFTPACK"}


def _vendor_option(project: Project, switch: OptionFact) -> OptionFact | None:
    for opt in project.string_options():
        toks = tokens(opt.name)
        if "VENDOR" in toks and opt.name.upper().startswith(switch.name.upper() + "_"):
            return opt
    return None


def linear_algebra_entries(project: Project) -> list[Entry]:
    entries: list[Entry] = []
    section = "linear_algebra_libraries"
    for opt in project.bool_options():
        hit = match_switch(opt.name, LINEAR_ALGEBRA)
        if hit is None:
            continue
        key, name = hit
        vendor = _vendor_option(project, opt) if key == "BLAS" else None
        choices = project.values(vendor) if vendor is not None else []
        if vendor is not None and choices:
            on = project.default_on(opt)
            for choice in choices:
                add_unique(entries, Entry(section, choice.value, {
                    "used_as_default": on and project.is_default(vendor, choice.value),
                    "build_flag": f"{flag(opt.name)}=ON {flag(vendor.name, choice.value)}",
                    "condition": f"{opt.name}=ON",
                }, choice.where, f"BLAS vendor {vendor.name} of switch {opt.name}"))
            continue
        add_unique(entries, Entry(section, name, {
            "used_as_default": project.default_on(opt), "build_flag": flag(opt.name),
            "condition": None,
        }, opt.where, f"linear-algebra switch {opt.name}"))
    present = {e.name for e in entries}
    return entries + mandatory_entries(project, section, LINEAR_ALGEBRA, present)


def _dependencies(project: Project, opt: OptionFact, value: str) -> str | None:
    """Backends named in the conditions under which ``<opt> STREQUAL <value>`` is tested."""
    found: list[str] = []
    for cmp in project.comparisons(opt.name):
        if cmp.value.upper() != value.upper():
            continue
        for text in (*(c.render() for c in cmp.context), cmp.condition):
            for word in re.findall(r"[A-Za-z0-9]+", text):
                backend = _BACKEND_BY_SQUASH.get(squash(word))
                if backend and backend not in found:
                    found.append(backend)
    return ", ".join(found) or None


def _is_fft_library(value: str) -> bool:
    """A value naming an FFT implementation (``fftw3``, ``mkl``, ``KISS``, ``cuFFT``...)."""
    word = squash(value)
    return "FFT" in word or word in _FFT_LIBRARIES or bool(_BUILT_IN.search(value))


def fft_entries(project: Project) -> list[Entry]:
    entries: list[Entry] = []
    for opt in project.string_options():
        if not any("FFT" in t for t in tokens(opt.name)):
            continue
        choices = project.values(opt)
        if len(choices) < 2 or not any(_is_fft_library(c.value) for c in choices):
            continue  # e.g. LAMMPS's FFT_PACK (array|pointer|memcpy) is not a library choice
        gpu = "GPU" in tokens(opt.name)
        for choice in choices:
            add_unique(entries, Entry("FFT_libraries", choice.value, {
                "built-in": bool(_BUILT_IN.search(choice.value)),
                "used_as_default": project.is_default(opt, choice.value),
                "dependencies": _dependencies(project, opt, choice.value) if gpu else None,
                "build_flag": project.choice_flag(opt, choice.value),
            }, choice.where, f"FFT choice {opt.name}"))
    return entries


def internal_build(project: Project) -> tuple[dict[str, Any], str | None, str | None]:
    """The ``internal_build`` object, its provenance and the rule that produced it."""
    own: list[tuple[OptionFact, str]] = []
    system: list[tuple[OptionFact, str]] = []
    for opt in project.bool_options():
        toks = tokens(opt.name)
        for i, tok in enumerate(toks):
            polarity = INTERNAL_MARKERS.get(tok)
            if polarity is None or i == len(toks) - 1:
                continue
            library = "_".join(opt.name.split("_")[-(len(toks) - i - 1):])
            if polarity:
                own.append((opt, library))
            elif not project.default_on(opt):
                system.append((opt, library))
            break
    if own:
        opt, library = own[0]
        return ({"library_name": doc_spelling(library, opt.doc), "build_flag": flag(opt.name)},
                opt.where, f"build-own switch {opt.name}")
    if system:
        opt, library = system[0]
        subprojects = {squash(name): name for name, _v, _w in project.facts.projects}
        spelled = subprojects.get(squash(library)) or doc_spelling(library, opt.doc)
        return ({"library_name": spelled, "build_flag": None},
                opt.where, f"use-system switch {opt.name} is off by default")
    return {"library_name": None, "build_flag": None}, None, None
