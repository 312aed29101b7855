"""Comparing an IR-deployed build with a native one: which objects and functions differ.

The promise of the IR path is the native build's code. ``full`` mode keeps it by construction
(clang runs the same pipeline on the same IR); ``split`` mode cuts the pipeline between two
processes, and whatever the module does not carry across the cut can change the code of some
functions (docs/ir.md, *Split optimisation*). These helpers say which: objects are compared by
disassembly (no raw bytes, no file name, local labels dropped: they are numbered per
compilation), and a differing object is broken down by function (objdump's ``<symbol>:``
blocks, addresses reduced to symbol + offset so that one changed function does not make every
later one differ).
"""

from __future__ import annotations

import filecmp
import re
from pathlib import Path
from typing import Any

from xaas_parsl.errors import ToolError
from xaas_parsl.ir.tools import run_tool

_LOCAL_LABEL = re.compile(r"<\.L[^>]*>")
_ADDRESS = re.compile(r"^\s*[0-9a-f]+:")
_TARGET = re.compile(r"\b[0-9a-f]+ <")


def disassembly(obj: Path) -> str:
    """An object's code without raw bytes, file name or local label names (comparable)."""
    out = run_tool(["objdump", "-d", "--no-show-raw-insn", str(obj)], f"objdump {obj.name}")
    return _LOCAL_LABEL.sub("<.L>", "\n".join(out.splitlines()[3:]))


def functions(disasm: str) -> dict[str, str]:
    """Disassembly text per symbol (pure), addresses reduced to symbol + offset."""
    out: dict[str, str] = {}
    name = ""
    for line in disasm.splitlines():
        if line.endswith(">:"):
            name = line.split("<", 1)[1][:-2]
        elif name:
            out[name] = out.get(name, "") + _TARGET.sub("<", _ADDRESS.sub("", line)) + "\n"
    return out


def differing_functions(a: str, b: str) -> list[str]:
    """Symbols whose code differs between two disassemblies (pure; present in one only
    counts)."""
    fa, fb = functions(a), functions(b)
    return sorted(f for f in fa.keys() | fb.keys() if fa.get(f) != fb.get(f))


def differing_objects(ir_tree: Path, native_tree: Path) -> dict[str, Any]:
    """Objects of the IR-deployed tree whose disassembly differs from the native tree's, with
    the functions that differ: ``{objects, identical, differing: {object: [functions]}}``."""
    objs = [o.relative_to(ir_tree) for o in sorted(ir_tree.rglob("*.o"))]
    differ: dict[str, list[str]] = {}
    for o in objs:
        a, b = disassembly(ir_tree / o), disassembly(counterpart(native_tree, o))
        if a != b:
            differ[str(o)] = differing_functions(a, b)
    return {"objects": len(objs), "identical": len(objs) - len(differ), "differing": differ}


def counterpart(tree: Path, obj: Path) -> Path:
    """The object of ``tree`` that corresponds to ``obj`` (relative to another tree). CMake
    puts the object of a source outside the project under the source's absolute path
    (``CMakeFiles/<target>.dir/<path>/x.cpp.o``), so two builds of one project from sources
    at different paths are matched by target directory and file name, when that is unique."""
    if (tree / obj).exists():
        return tree / obj
    parts = obj.parts
    target = next((i for i, p in enumerate(parts) if p.endswith(".dir")), None)
    found = list((tree / Path(*parts[:target + 1])).rglob(obj.name)) if target is not None else []
    if len(found) != 1:
        raise ToolError(f"{tree}: no single object corresponding to {obj}")
    return found[0]


def identical_files(a: Path, b: Path, names: list[str]) -> dict[str, bool]:
    """Files ``names`` (e.g. installed executables) of two trees compared byte for byte."""
    return {n: filecmp.cmp(a / n, b / n, shallow=False) for n in names}
