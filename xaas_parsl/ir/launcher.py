"""CMake compiler launcher that lets the build system link IR-lowered objects.

Ninja rebuilds an object whose command is missing from its ``.ninja_log`` or whose
dependencies are missing from ``.ninja_deps``, so objects merely copied into a never-built tree
would be compiled again. Instead every bundle tree is configured with this launcher
(``CMAKE_<LANG>_COMPILER_LAUNCHER``): with ``XAAS_IR_OBJECTS`` naming a JSON map
``output → lowered object``, a mapped compile *places* the lowered object at the exact path
ninja expects and writes the dependency file the command asked for (``-MF``), so ninja's logs
are filled as for a normal build; unmapped units (assembly, CUDA, ...) and runs without the
variable compile normally. Each action is appended to ``XAAS_IR_LOG`` when set, so deployment
can verify that no IR unit was recompiled.

The dependency file names the lowered object, not the headers: the placed object is made from
the bundle's IR, which a header edit in the tree does not change, so a header list would only
make a later ``ninja`` replace it with a natively compiled one. Writing it needs no compiler run
(the first version preprocessed every placed unit for it: most of a deployment's link step).
Kept to the standard library: it starts once per object.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys


def _value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args[:-1]):
        if arg == flag:
            return args[i + 1]
    return None


def _make_escaped(path: str) -> str:
    """A path as a Makefile rule names it (what ninja's depfile parser reads back)."""
    return path.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#").replace("$", "$$")


def _log(action: str, output: str) -> None:
    path = os.environ.get("XAAS_IR_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{action} {output}\n")


def place(argv: list[str], output: str, lowered: str) -> None:
    """Copy ``lowered`` to ``output`` (temp file + rename) and write the command's dependency
    file, if it asks for one, as ``<target>: <lowered object>``."""
    tmp = f"{output}.xaas-tmp"
    shutil.copyfile(lowered, tmp)
    os.replace(tmp, output)
    depfile = _value(argv, "-MF")
    if depfile:
        target = _value(argv, "-MT") or output
        with open(f"{depfile}.xaas-tmp", "w", encoding="utf-8") as handle:
            handle.write(f"{_make_escaped(target)}: {_make_escaped(lowered)}\n")
        os.replace(f"{depfile}.xaas-tmp", depfile)


def main(argv: list[str]) -> int:
    """Place a lowered object for a mapped compile, else run the compiler unchanged."""
    if not argv:
        print("xaas launcher: no compiler command", file=sys.stderr)
        return 2
    mapping_file = os.environ.get("XAAS_IR_OBJECTS")
    output = _value(argv, "-o")
    if mapping_file and output:
        with open(mapping_file, encoding="utf-8") as handle:
            mapping: dict[str, str] = json.load(handle)
        lowered = mapping.get(output)
        if lowered:
            place(argv, output, lowered)
            _log("placed", output)
            return 0
    _log("compiled", output or "?")
    return subprocess.run(argv, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
