"""Splitting clang's optimisation pipeline between bundle time and deployment (``split`` mode).

clang's ``-O2``/``-O3`` pipeline is LLVM's per-module default pipeline: a *simplification*
half (inlining, SROA, GVN, loop canonicalisation, ...) followed by an *optimisation* half
that starts at ``elim-avail-extern`` and holds what the target's cost model decides most:
loop vectorisation, SLP vectorisation, runtime unrolling, and then code generation. In
``split`` mode the bundle runs the simplification half once per IR file with ``opt``, and a
deployment runs only the optimisation half and code generation for its target.

Both halves are taken from clang itself (``-mllvm -print-pipeline-passes`` with the unit's
``-O`` level and flags), so the passes and their parameters are exactly those of the native
compile. One thing the printed text cannot carry is the inliner's parameters (the text's
``inline`` gets ``opt``'s defaults, an O2 threshold): ``inline_flags`` passes the values
clang derives from the ``-O`` level. Run back to back, the two halves give the same object
code as ``clang -O3`` (``tests/ir/test_split.py`` and ``benchmarks/ir_llama.py`` check).

The simplification half still reads the functions' target attributes (the inliner's
compatibility check, TTI costs): for a unit with one IR per configuration those are the final
ones already; for a *retargetable* IR it runs on the generic attributes and the IR is
re-targeted afterwards, before the optimisation half (see docs/ir.md for what was measured).
"""

from __future__ import annotations

import hashlib
import resource
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from xaas_parsl.errors import ToolError
from xaas_parsl.ir.tools import CLANGXX

MODES = ("split", "full")
DEFAULT_MODE = "split"
SPLIT_AT = "elim-avail-extern"  # first pass of LLVM's module optimisation pipeline
OPT = "opt-19"


@dataclass(frozen=True)
class Halves:
    """The two halves of one unit's pipeline and the ``opt`` options they need."""

    simplify: str
    optimise: str
    inline: tuple[str, ...]

    def key(self) -> str:
        """A short hash of the whole pipeline (part of store keys)."""
        text = "\n".join([self.simplify, self.optimise, *self.inline])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def top_level(pipeline: str) -> list[str]:
    """Split a textual pass pipeline at its top-level commas (pure)."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(pipeline):
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(pipeline[start:i])
            start = i + 1
    parts.append(pipeline[start:])
    return [p.strip() for p in parts if p.strip()]


def inline_flags(opt_level: str) -> tuple[str, ...]:
    """``opt`` options that give the textual ``inline`` pass the parameters clang's pipeline
    builder gives it for ``opt_level`` (LLVM's ``getInlineParams(speed, size)``)."""
    if opt_level in ("-O3", "-Ofast"):
        return ("-inlinedefault-threshold=250", "-locally-hot-callsite-threshold=525")
    if opt_level == "-Os":
        return ("-inlinedefault-threshold=50",)
    if opt_level == "-Oz":
        return ("-inlinedefault-threshold=5",)
    return ()


def split_pipeline(pipeline: str, opt_level: str) -> Halves:
    """Cut clang's printed pipeline before ``elim-avail-extern`` (pure). A pipeline without
    that pass (``-O0``) is a ``ToolError``: callers lower such units in ``full`` mode."""
    passes = top_level(pipeline)
    if SPLIT_AT not in passes:
        raise ToolError(f"no {SPLIT_AT} in the {opt_level} pipeline: cannot split it")
    k = passes.index(SPLIT_AT)
    return Halves(",".join(passes[:k]), ",".join(passes[k:]), inline_flags(opt_level))


def splittable(opt_level: str) -> bool:
    """Whether a unit compiled at ``opt_level`` has a pipeline worth splitting (``-O0``
    runs almost nothing: its units are lowered in one step in every mode)."""
    return opt_level not in ("-O0", "")


@cache
def halves(opt_level: str, flags: tuple[str, ...]) -> Halves:
    """The halves of clang's pipeline for ``opt_level`` and ``flags`` (tuning and ``-f``
    flags: ``-fno-unroll-loops`` etc. change the pipeline), asked from clang (cached)."""
    argv = [CLANGXX, "-x", "ir", "-c", "-", "-o", "/dev/null", opt_level, *flags,
            "-Wno-unused-command-line-argument", "-mllvm", "-print-pipeline-passes"]
    proc = subprocess.run(argv, input="", capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ToolError(f"clang did not print its {opt_level} pipeline: "
                        f"{proc.stderr.strip()[:200]}")
    return split_pipeline(proc.stdout.strip().splitlines()[-1], opt_level)


@dataclass
class Phases:
    """CPU seconds (user + system of finished child processes: ``RUSAGE_CHILDREN`` deltas)
    and wall seconds of each phase, in the order they ran. Phases must not overlap; every
    tool of a phase runs inside it, so the deltas are exact, and unlike wall time they do
    not grow when other users load a shared machine."""

    rows: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str, jobs: int = 0) -> Iterator[None]:
        """Account what runs inside the ``with`` block to ``name``."""
        start, cpu = time.perf_counter(), _children_cpu()
        try:
            yield
        finally:
            row = self.rows.setdefault(name, {"cpu_s": 0.0, "wall_s": 0.0, "jobs": 0})
            row["cpu_s"] = round(row["cpu_s"] + _children_cpu() - cpu, 3)
            row["wall_s"] = round(row["wall_s"] + time.perf_counter() - start, 3)
            row["jobs"] = int(row["jobs"] + jobs)

    def total_cpu(self) -> float:
        """CPU seconds over all phases."""
        return round(sum(r["cpu_s"] for r in self.rows.values()), 3)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
