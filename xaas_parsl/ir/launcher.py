"""CMake compiler launcher that lets the build system link IR-lowered objects.

Ninja rebuilds an object whose command is missing from its ``.ninja_log`` or whose
dependencies are missing from ``.ninja_deps``, so objects merely copied into a never-built tree
would be compiled again. Instead every bundle tree is configured with this launcher
(``CMAKE_<LANG>_COMPILER_LAUNCHER``): with ``XAAS_IR_OBJECTS`` naming a JSON map
``output → lowered object``, a mapped compile *places* the lowered object at the exact path
ninja expects and writes the dependency file by preprocessing (``-E`` with the original
``-MD -MF`` flags), so ninja's logs are filled as for a normal build; unmapped units
(assembly, CUDA, ...) and runs without the variable compile normally. Each action is appended
to ``XAAS_IR_LOG`` when set, so deployment can verify that no IR unit was recompiled.
Kept to the standard library: it starts once per object.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys


def _output(args: list[str]) -> str | None:
    for i, arg in enumerate(args[:-1]):
        if arg == "-o":
            return args[i + 1]
    return None


def _log(action: str, output: str) -> None:
    path = os.environ.get("XAAS_IR_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{action} {output}\n")


def main(argv: list[str]) -> int:
    """Place a lowered object for a mapped compile, else run the compiler unchanged."""
    if not argv:
        print("xaas launcher: no compiler command", file=sys.stderr)
        return 2
    mapping_file = os.environ.get("XAAS_IR_OBJECTS")
    output = _output(argv)
    if mapping_file and output:
        with open(mapping_file, encoding="utf-8") as handle:
            mapping: dict[str, str] = json.load(handle)
        lowered = mapping.get(output)
        if lowered:
            deps = [("-E" if a == "-c" else a) for a in argv]
            if any(a == "cuda" and b == "-x" for b, a in itertools.pairwise(argv)):
                deps.insert(1, "--cuda-host-only")  # one preprocessing, not one per GPU arch
            deps[deps.index("-o") + 1] = os.devnull
            code = subprocess.run(deps, check=False).returncode
            if code != 0:
                return code
            tmp = f"{output}.xaas-tmp"
            shutil.copyfile(lowered, tmp)
            os.replace(tmp, output)
            _log("placed", output)
            return 0
    _log("compiled", output or "?")
    return subprocess.run(argv, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
