"""Split lowering on real llama.cpp units (slow: fetches the llama-cpp-python sdist, cached).

A small part of ``benchmarks/ir_llama.py``: llama.cpp's ggml-tests project is configured for
its ``AVX2`` preset, and a few ggml CPU units are compiled natively (their own command) and
through the IR path in both modes — emitted unoptimised, the simplification half run as the
bundle does, then the optimisation half and code generation as a deployment does. The split
objects must disassemble like the native ones and need fewer pass runs than ``full``.
Exactly, except where the use-list order matters: the bundle gets the simplified module from
``opt -print-before`` as text, which does not keep the order of use lists, and code
generation can then order a few instructions differently (``ggml-cpu.c``: two independent
``add``s swapped in one function). For such units the test pins that only the order
differs: the same functions, each with the same instructions.
``binary-ops.cpp`` is also taken the *retargetable* way (emitted without its tuning flags,
simplified for the generic CPU, re-targeted before the optimisation half), which is how the
bundle shares it between the three AVX levels.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ir.conftest import need_tools
from xaas_parsl.descriptor.app import BUNDLED_APPS, load_app

pytestmark = pytest.mark.slow
APP = BUNDLED_APPS / "llama.cpp" / "ir-cpu.yaml"
UNITS = ["ggml-cpu/ggml-cpu.c", "ggml-cpu/vec.cpp", "ggml-cpu/binary-ops.cpp"]
ORDER_ONLY = {"ggml-cpu/ggml-cpu.c"}  # code generation sees another use-list order


def instructions(disasm: str) -> dict[str, list[str]]:
    """Each function's instructions, addresses dropped, sorted (order ignored)."""
    out: dict[str, list[str]] = {}
    name = ""
    for line in disasm.splitlines():
        if line.endswith(">:"):
            name = line.split("<", 1)[1][:-2]
        elif name and line.strip():
            text = re.sub(r"\b[0-9a-f]+ <", "<", re.sub(r"^\s*[0-9a-f]+:", "", line))
            out.setdefault(name, []).append(re.sub(r"\+0x[0-9a-f]+>", ">", text))
    return {k: sorted(v) for k, v in out.items()}


def disassembly(obj: Path) -> str:
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    return re.sub(r"<\.L[^>]*>", "<.L>", "\n".join(out.splitlines()[3:]))


@pytest.fixture(scope="module")
def avx2_units(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The configured AVX2 tree's units named in ``UNITS``, by name."""
    need_tools()
    from xaas_parsl.ir.bundle import configure, read_units
    from xaas_parsl.sources import FetchError, fetch

    try:
        fetch("llama.cpp")
    except FetchError as exc:
        pytest.skip(f"cannot fetch llama.cpp: {exc}")
    app = load_app(APP)
    config = next(c for c in app.configurations("x86_64") if c.name == "AVX2")
    tree = tmp_path_factory.mktemp("llama") / "AVX2"
    configure(app, config, tree)
    found = {}
    for unit in read_units("AVX2", tree):
        for name in UNITS:
            if unit.command.file.endswith(name):
                found[name] = unit
    assert set(found) == set(UNITS)
    return found


@pytest.mark.parametrize(("name", "retargetable"), [(n, False) for n in UNITS]
                         + [("ggml-cpu/binary-ops.cpp", True)])
def test_split_lowering_equals_native(avx2_units: dict[str, Any], tmp_path: Path, name: str,
                                      retargetable: bool) -> None:
    from xaas_parsl.ir.bundle import EMIT_FLAGS
    from xaas_parsl.ir.commands import strip_for
    from xaas_parsl.ir.lower import lower_all, make_jobs, simplify
    from xaas_parsl.ir.pipeline import Phases
    from xaas_parsl.ir.store import Store

    cmd = avx2_units[name].command
    native = tmp_path / "native.o"
    subprocess.run([*strip_for(cmd, False), "-c", cmd.file, "-o", str(native)],
                   cwd=cmd.directory, check=True)
    store = Store(tmp_path / "store")
    temp = store.temp_path("emit")
    subprocess.run([*strip_for(cmd, retargetable), *EMIT_FLAGS, cmd.file, "-o", str(temp)],
                   cwd=cmd.directory, check=True)
    digest = store.add(temp)
    cls = cmd.classes
    unit = {"output": Path(cmd.output).name, "ir": digest, "retargetable": retargetable,
            "opt_level": cls.opt_level(), "tuning": list(cls.tuning), "fflags": list(cls.fflags)}
    unit["pre"], _ = simplify(store, {}, digest, unit)
    counts = {}
    for mode in ("full", "split"):
        jobs = make_jobs(store, [unit], mode, tmp_path / mode, "AVX2")
        lower_all(jobs, Phases(), 1, True, "AVX2", count=True)
        got, want = disassembly(jobs[0].obj), disassembly(native)
        if mode == "split" and name in ORDER_ONLY:
            assert instructions(got) == instructions(want)
        else:
            assert got == want, f"{mode} differs from native"
        counts[mode] = jobs[0].passes
    assert counts["split"] < counts["full"]
