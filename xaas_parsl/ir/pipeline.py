"""Splitting clang's optimisation pipeline between bundle time and deployment (``split`` mode).

clang's ``-O2``/``-O3`` pipeline is LLVM's per-module default pipeline: a *simplification*
half (inlining, SROA, GVN, loop canonicalisation, ...) followed by an *optimisation* half
that starts at ``elim-avail-extern`` and holds what the target's cost model decides most:
loop vectorisation, SLP vectorisation, runtime unrolling; then code generation. In ``split``
mode the bundle runs the simplification half once per IR file, and a deployment runs only the
optimisation half and code generation for its target.

The bundle runs ``opt -passes=default<O3>`` itself and keeps the module as it is right
before ``elim-avail-extern`` (``-print-before``, the process is stopped there): re-parsing
the *printed* first half would not do, the text loses parameters the pipeline builder sets
(the inliner's O3 thresholds, ``vector-combine``'s early-folds-only mode, the full unroller's
O3 threshold), and the code would differ from clang's. The second half has no such passes, so
deployment runs its printed text (``opt -passes=...``) and then code generation with
``clang -Xclang -disable-llvm-passes``, so clang's code-generation options apply. A unit is
split only when ``opt``'s named pipeline prints exactly as clang's for its ``-O`` level and
flags (``-fno-vectorize`` etc. change clang's); otherwise it is lowered in one step. Run back
to back, the halves give the same object code as ``clang -O3`` (``tests/ir/test_split.py``,
``tests/ir/test_llama_split.py``, ``benchmarks/ir_llama.py`` check),
with one known gap: what the module does not carry across the cut — the order of use lists,
which the printed text drops for everything and bitcode for plain constants — can change the
optimisation half's decisions (the SLP vectorizer in a few ggml functions; docs/ir.md lists
what was checked).

The simplification half still reads the functions' target attributes (the inliner's
compatibility check, TTI costs): for a unit with one IR per configuration those are the final
ones already; a *retargetable* IR is simplified for the generic CPU and re-targeted
afterwards, before the optimisation half (docs/ir.md says what that costs in parity).
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
    """How one unit's pipeline is split: the *named* pipeline whose first half the bundle
    runs (``opt -passes=default<O3>``, stopped at ``elim-avail-extern``) and the text of the
    second half that deployment runs."""

    named: str
    optimise: str

    def key(self) -> str:
        """A short hash of the whole pipeline (part of store keys)."""
        return hashlib.sha256(f"{self.named}\n{self.optimise}".encode()).hexdigest()[:16]


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


def named_pipeline(opt_level: str) -> str | None:
    """``opt``'s name of the default pipeline clang builds for ``opt_level`` (pure);
    ``None`` for ``-O0``, whose units are lowered in one step in every mode."""
    level = {"-O1": "O1", "-Og": "O1", "-O": "O2", "-O2": "O2", "-O3": "O3", "-Ofast": "O3",
             "-O4": "O3", "-Os": "Os", "-Oz": "Oz"}.get(opt_level)
    return f"default<{level}>" if level else None


def split_pipeline(clang: str, opt: str, named: str) -> Halves | None:
    """The halves when ``opt``'s printed ``named`` pipeline is clang's (pure): clang's
    ``declare-to-assign`` (a no-op without debug info) is put first, where it commutes with
    the attribute passes before it. ``None`` when they differ — flags such as
    ``-fno-vectorize`` change clang's pipeline — or there is no ``elim-avail-extern``."""
    passes = top_level(clang)
    opt_passes = top_level(opt)
    if opt_passes[-1:] == ["verify"]:  # opt verifies the module it writes
        opt_passes.pop()
    if "declare-to-assign" in passes and "declare-to-assign" not in opt_passes:
        named = f"function(declare-to-assign),{named}"
        opt_passes.insert(0, "declare-to-assign")
        passes = ["declare-to-assign", *[p for p in passes if p != "declare-to-assign"]]
    if passes != opt_passes or SPLIT_AT not in passes:
        return None
    return Halves(named, ",".join(passes[passes.index(SPLIT_AT):]))


def _printed(argv: list[str], what: str) -> str:
    proc = subprocess.run([*argv, "-print-pipeline-passes"], input="", capture_output=True,
                          text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ToolError(f"{what} did not print its pipeline: {proc.stderr.strip()[:200]}")
    return lines[-1]


@cache
def halves(opt_level: str, flags: tuple[str, ...]) -> Halves | None:
    """The split of clang's pipeline for ``opt_level`` and code flags (``-fno-unroll-loops``
    etc. change it), or ``None`` when the unit is lowered in one step (cached)."""
    named = named_pipeline(opt_level)
    if named is None:
        return None
    clang = _printed([CLANGXX, "-x", "ir", "-c", "-", "-o", "/dev/null", opt_level, *flags,
                      "-Wno-unused-command-line-argument", "-mllvm"], "clang")
    opt = _printed([OPT, f"-passes={named}", "-disable-output"], "opt")
    return split_pipeline(clang, opt, named)


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
