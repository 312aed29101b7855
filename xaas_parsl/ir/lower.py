"""Turning stored IR into objects, in ``full`` or ``split`` mode, one phase at a time.

``full`` (the original mode): ``clang -x ir -c`` with the unit's ``-O`` level runs clang's
whole pipeline and code generation on the unoptimised IR. ``split``: the bundle already ran
the pipeline's simplification half (``simplify``); a deployment runs its optimisation half
with ``opt`` and code generation with ``clang -Xclang -disable-llvm-passes`` (see
``pipeline.py``). A re-targeted unit is re-targeted first in both modes.

Every deployment step of all units runs as one phase (all re-targets, then all optimisations,
...), so ``Phases`` can account each phase's CPU seconds exactly. Objects are kept in a
content-addressed ``store/objects/`` under a key of everything that decides their bytes — the
mode, the input IR's hash, the flags, the pipeline and the compiler's version — so a second
configuration whose unit has the same IR and target reuses the object, and an object made in
another mode (or by another compiler) is never taken.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from xaas_parsl.errors import ToolError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir.pipeline import OPT, SPLIT_AT, Halves, Phases, halves
from xaas_parsl.ir.retarget import retarget
from xaas_parsl.ir.sharing import is_openmp_flag
from xaas_parsl.ir.store import Store
from xaas_parsl.ir.tools import CLANGXX, first_error, parallel, run_tool
from xaas_parsl.safety import inside

# Lines the pass managers print per pass run (new PM: middle end; legacy PM: code generation).
PASS_RUN_RE = re.compile(r"^(Running pass: |.* Executing Pass ')", re.MULTILINE)
COUNT_CLANG = ["-Xclang", "-fdebug-pass-manager", "-mllvm", "-debug-pass=Executions"]


@cache
def toolchain() -> str:
    """clang's version line (part of every object key: another compiler, another object)."""
    return run_tool([CLANGXX, "--version"], "clang --version").splitlines()[0].strip()


def code_flags(unit: dict[str, Any]) -> tuple[str, ...]:
    """The code-generation ``-f`` flags of a unit (``-fopenmp`` only acted on the frontend)."""
    return tuple(f for f in unit["fflags"] if not is_openmp_flag(f))


def unit_halves(unit: dict[str, Any]) -> Halves | None:
    """The pipeline halves of a unit, ``None`` when it is lowered in one step (tuning does
    not change x86 pipelines: not asked)."""
    return halves(unit["opt_level"], code_flags(unit))


def run_counted(argv: list[str], what: str, count: bool) -> int:
    """Run a compile step; with ``count``, return how many pass runs it printed."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(f"{what}: exit {proc.returncode}: "
                        f"{first_error(proc.stderr + proc.stdout)}")
    return len(PASS_RUN_RE.findall(proc.stderr)) if count else 0


def simplify(store: Store, index: dict[str, str], digest: str, unit: dict[str, Any]
             ) -> tuple[str, bool]:
    """Bundle time, ``split`` mode: run the simplification half on stored IR ``digest``
    (cached in ``index`` under a key holding the mode); returns (pre-optimised IR, done now)."""
    h = unit_halves(unit)
    if h is None:
        raise ToolError(f"unit {unit['output']}: its pipeline cannot be split")
    key = hashlib.sha256(json.dumps(["split", digest, h.named, SPLIT_AT, toolchain()])
                         .encode()).hexdigest()
    known = index.get(key)
    if known and store.intact(known):
        return known, False
    source = store.get(digest, unit["output"])
    text = store.temp_path(key[:16]).with_suffix(".ll")
    temp = store.temp_path(key[:16])
    what = f"simplify IR of unit {unit['output']}"
    try:
        text.write_bytes(first_half(h.named, source, what))
        run_tool(["llvm-as-19", str(text), "-o", str(temp)], what)
    except ToolError:
        temp.unlink(missing_ok=True)
        raise
    finally:
        text.unlink(missing_ok=True)
    pre = store.add(temp)
    index[key] = pre
    return pre, True


def first_half(named: str, source: Path, what: str) -> bytes:
    """The module as ``opt -passes=<named>`` has it right before ``elim-avail-extern``
    (printed by ``-print-before``); ``opt`` is stopped when it starts printing the module
    after that pass, so the second half is not run here."""
    after = b"\n; *** IR Dump After "
    argv = [OPT, f"-passes={named}", f"-print-before={SPLIT_AT}", f"-print-after={SPLIT_AT}",
            "-print-module-scope", str(source), "-disable-output"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    out = bytearray()
    found = -1
    while found < 0 and (chunk := os.read(proc.stderr.fileno(), 1 << 20)):
        searched = max(0, len(out) - len(after))
        out += chunk
        found = out.find(after, searched)
    if found >= 0:
        proc.kill()
    proc.stderr.close()
    code = proc.wait()
    if found < 0 and code != 0:
        raise ToolError(f"{what}: opt exit {code}: {first_error(out.decode(errors='replace'))}")
    head, _, body = bytes(out[:found + 1] if found >= 0 else out).partition(b"\n")
    if not head.startswith(b"; *** IR Dump Before"):
        raise ToolError(f"{what}: opt printed no module before {SPLIT_AT}")
    return body


@dataclass
class Job:
    """One unit of a deployment: where its object goes and the files in between."""

    unit: dict[str, Any]
    config: str
    mode: str  # "full" or "split" for this unit (-O0 units are always "full")
    source: Path  # the IR to start from (pre-optimised in split mode)
    obj: Path
    key: str
    node: tuple[str, ...] = ()  # the node's CPU tuning (``-mcpu=...``), added to the unit's
    passes: int = 0

    def temp(self, suffix: str) -> Path:
        """A file next to the object (same directory: renames are atomic)."""
        return self.obj.with_name(f".{self.obj.name}{suffix}")

    def what(self, step: str) -> str:
        """How an error of ``step`` names the unit."""
        return f"lowering unit {self.unit['output']} of {self.config} ({step})"

    @property
    def retargeted(self) -> bool:
        """Emitted without tuning (retargetable), or tuned here for the node's CPU: the
        functions' target attributes are rewritten before lowering."""
        return bool(self.unit["retargetable"] or self.node)

    @property
    def ir(self) -> Path:
        """The IR the current step reads: re-targeted when the unit needs it."""
        return self.temp(".retargeted.bc") if self.retargeted else self.source


def object_key(mode: str, unit: dict[str, Any], digest: str, node: tuple[str, ...] = ()
               ) -> str:
    """Everything that decides a lowered object's bytes, hashed."""
    h = unit_halves(unit) if mode == "split" else None
    pipeline = h.key() if h else ""
    data = [mode, digest, unit["retargetable"], unit["opt_level"], list(unit["tuning"]),
            list(code_flags(unit)), pipeline, toolchain(), list(unit.get("target", [])),
            list(node)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


class ObjectCache:
    """``store/objects/<sha256>.o`` plus ``store/objects.json`` (object key → hash)."""

    def __init__(self, store_root: Path) -> None:
        self.store = Store(store_root / "objects", ".o")
        self.index_path = store_root / "objects.json"
        self.index: dict[str, str] = (load_json(self.index_path)
                                      if self.index_path.is_file() else {})

    def fetch(self, key: str, dest: Path) -> bool:
        """Copy the cached object of ``key`` to ``dest``; ``False`` if none (or corrupted)."""
        digest = self.index.get(key)
        if not digest or not self.store.intact(digest):
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp.o")
        shutil.copyfile(self.store.path(digest), tmp)
        os.replace(tmp, dest)
        return True

    def put(self, key: str, obj: Path) -> None:
        """Add a freshly lowered object."""
        tmp = self.store.temp_path(key[:16])
        shutil.copyfile(obj, tmp)
        self.index[key] = self.store.add(tmp)

    def save(self) -> None:
        """Write the index (after a deployment)."""
        write_json(self.index_path, self.index)


def _retarget(job: Job) -> None:
    u = job.unit
    emitted = () if u["retargetable"] else tuple(u["tuning"])  # baseline IR names its tuning
    retarget(job.source, job.ir, (*u["tuning"], *job.node), u["output"],
             tuple(u.get("target", [])), emitted)


def _codegen_argv(job: Job, source: Path, out: Path, whole: bool) -> list[str]:
    u = job.unit
    argv = [CLANGXX, *u.get("target", []), "-x", "ir", "-c", str(source), "-o", str(out),
            u["opt_level"], *u["tuning"], *job.node, *code_flags(u),
            "-Wno-unused-command-line-argument"]
    return argv if whole else [*argv, "-Xclang", "-disable-llvm-passes"]


def _lower(job: Job, count: bool) -> None:
    """``full``: clang's whole pipeline and code generation in one step."""
    argv = _codegen_argv(job, job.ir, job.temp(".tmp.o"), True)
    job.passes += run_counted([*argv, *(COUNT_CLANG if count else [])],
                              job.what("clang"), count)


def _optimise(job: Job, count: bool) -> None:
    """``split``: the pipeline's optimisation half, for the target in the IR's attributes."""
    h = unit_halves(job.unit)
    if h is None:  # the bundle split it: another clang's pipeline
        raise ToolError(f"{job.what('optimisation half')}: this clang's pipeline cannot be "
                        "split as the bundle's was; deploy with --mode full")
    argv = [OPT, f"-passes={h.optimise}", str(job.ir), "-o", str(job.temp(".opt.bc"))]
    job.passes += run_counted([*argv, *(["-debug-pass-manager"] if count else [])],
                              job.what("optimisation half, opt"), count)


def _codegen(job: Job, count: bool) -> None:
    """``split``: code generation only (clang, so its code-generation options apply)."""
    argv = _codegen_argv(job, job.temp(".opt.bc"), job.temp(".tmp.o"), False)
    job.passes += run_counted([*argv, *(COUNT_CLANG if count else [])],
                              job.what("code generation"), count)


def lower_all(jobs: list[Job], phases: Phases, workers: int, quiet: bool, label: str,
              count: bool = False) -> None:
    """Run every job's steps phase by phase; a failure names the unit and leaves no object
    (temporary files only, removed here)."""
    try:
        steps = [("retarget", _retarget, [j for j in jobs if j.retargeted]),
                 ("lower", lambda j: _lower(j, count), [j for j in jobs if j.mode == "full"]),
                 ("optimise", lambda j: _optimise(j, count),
                  [j for j in jobs if j.mode == "split"]),
                 ("codegen", lambda j: _codegen(j, count),
                  [j for j in jobs if j.mode == "split"])]
        for name, step, todo in steps:
            if todo:
                with phases.phase(name, len(todo)):
                    parallel(todo, step, f"{name} {label}", workers, quiet)
        for job in jobs:
            os.replace(job.temp(".tmp.o"), job.obj)
    finally:
        for job in jobs:
            for suffix in (".opt.bc", ".tmp.o"):  # the re-targeted IR stays, for inspection
                job.temp(suffix).unlink(missing_ok=True)


def make_jobs(store: Store, manifest_units: list[dict[str, Any]], mode: str, objects: Path,
              config: str, node: tuple[str, ...] = ()) -> list[Job]:
    """One job per IR unit; the stored IR it starts from is verified here. In ``split`` mode
    every unit needs its pre-optimised IR (``pre``): the caller checks the bundle's mode."""
    jobs = []
    for u in manifest_units:
        if mode == "split" and "pre" in u:
            unit_mode, digest = "split", u["pre"]
        else:
            unit_mode, digest = "full", u["ir"]
        source = store.get(digest, f"{u['output']} ({config})")
        if digest != u["ir"]:  # the unit's unoptimised IR is verified too
            store.get(u["ir"], f"{u['output']} ({config})")
        obj = inside(objects, u["output"], "unit output", objects.parent / "objects.json")
        obj.parent.mkdir(parents=True, exist_ok=True)
        jobs.append(Job(u, config, unit_mode, source, obj,
                        object_key(unit_mode, u, digest, node), node))
    return jobs
