"""SIMD rules: ``simd_vectorization`` entries.

1. **SIMD level choice** — a string option at least two of whose values are SIMD levels known to
   :mod:`xaas_parsl.intersection.simd` (``GMX_SIMD``: ``AUTO None SSE2 ... AVX_512 ...``), or one
   if its name says it is about the instruction set (``FAISS_OPT_LEVEL``: ``generic avx2``),
   gives one entry per value, named after the value, flag ``-D<OPT>=<value>``, ``default`` when
   it is the option's default.
2. **Per-instruction switches** — a boolean option whose name after its namespace is an instruction
   set known to that module (a level such as ``AVX2``/``AVX512``/``SSE42``, or an extension such
   as ``AVX512_VNNI``, ``AMX_INT8``, ``F16C``, ``RVV``, ``RV_ZFH``, ``LSX``...) gives one entry
   named as the option spells it without the namespace (``GGML_AVX512_VNNI`` → ``AVX512_VNNI``),
   flag ``-D<OPT>``, ``default`` = its evaluated default natively.
3. **Native/auto** — a boolean ``*_NATIVE`` option (``GGML_NATIVE``: build for the host CPU) is the
   entry ``AUTO``.
4. **All variants** — a boolean ``*_ALL_VARIANTS`` option (``GGML_CPU_ALL_VARIANTS``: build every
   SIMD variant and pick at run time) is the entry ``ALL``.
"""

from __future__ import annotations

from xaas_parsl.intersection.simd import canonical_name, instruction_flag
from xaas_parsl.spec.rules.project import Entry, Project, add_unique, flag
from xaas_parsl.spec.rules.vocab import tails, tokens

SECTION = "simd_vectorization"
#: Name tokens of an option about the instruction set (``FAISS_OPT_LEVEL``: generic|avx2).
_SIMD_TOKENS = {"SIMD", "ISA", "VEC", "VECTOR", "VECTORIZATION", "OPT", "INSTRUCTIONS", "ARCH"}


def is_level(value: str) -> bool:
    """A real SIMD level (not the "no SIMD"/"auto" choices)."""
    name = canonical_name(value)
    return name is not None and name not in {"AUTO", "None"}


def level_options(project: Project) -> list[str]:
    """Names of string options that choose a SIMD level (claimed by rule 1)."""
    out = []
    for opt in project.string_options():
        values = project.values(opt)
        levels = sum(is_level(v.value) for v in values)
        if levels >= 2 or (levels == 1 and len(values) >= 2
                           and _SIMD_TOKENS & set(tokens(opt.name))):
            out.append(opt.name)
    return out


def _instruction_tail(name: str) -> str | None:
    """The instruction-set part of a switch name, as spelled in the name."""
    for tail, count in tails(name):
        if is_level(tail) or instruction_flag(tail) is not None:
            return "_".join(name.split("_")[-count:])
    return None


def simd_entries(project: Project) -> list[Entry]:
    entries: list[Entry] = []
    claimed = set(level_options(project))
    for opt in project.string_options():
        if opt.name not in claimed:
            continue
        for choice in project.values(opt):
            add_unique(entries, Entry(SECTION, choice.value, {
                "build_flag": project.choice_flag(opt, choice.value),
                "default": project.is_default(opt, choice.value),
            }, opt.where, f"SIMD level choice {opt.name}"))
    for opt in project.bool_options():
        toks = tokens(opt.name)
        if len(toks) >= 2 and toks[-1] == "NATIVE":
            name, rule = "AUTO", f"native-CPU switch {opt.name}"
        elif len(toks) >= 3 and toks[-2:] == ["ALL", "VARIANTS"]:
            name, rule = "ALL", f"all-variants switch {opt.name}"
        else:
            tail = _instruction_tail(opt.name)
            if tail is None:
                continue
            name, rule = tail, f"per-instruction switch {opt.name}"
        add_unique(entries, Entry(SECTION, name, {
            "build_flag": flag(opt.name), "default": project.default_on(opt),
        }, opt.where, rule))
    return entries
