"""Emission fallback: a tuning-only group whose code needs its tuning flags to compile."""

from __future__ import annotations

from pathlib import Path

from tests.ir.conftest import need_tools
from xaas_parsl.ir.build import emit_groups
from xaas_parsl.ir.commands import parse_entry
from xaas_parsl.ir.sharing import Observation, group_unit
from xaas_parsl.ir.store import Store

# An SSE4.1 intrinsic used without a guard: fine with -msse4.1 or -mavx2, an error without.
SOURCE = """#include <immintrin.h>
__m128d blend(__m128d a, __m128d b, __m128d m) { return _mm_blendv_pd(a, b, m); }
"""


def test_retargetable_group_that_needs_its_tuning_is_split(tmp_path: Path) -> None:
    need_tools()
    (tmp_path / "k.cpp").write_text(SOURCE)
    obs = []
    for config, tuning in (("SSE", "-msse4.1"), ("AVX", "-mavx2")):
        cmd = parse_entry({"directory": str(tmp_path), "file": "k.cpp",
                           "command": f"clang++-19 -O2 {tuning} -o k.o -c k.cpp"}, tmp_path)
        obs.append(Observation(config, cmd, "same-text", False))
    groups = group_unit(obs)
    assert len(groups) == 1 and groups[0].retargetable
    store = Store(tmp_path / "store")
    dirs = {"SSE": str(tmp_path), "AVX": str(tmp_path)}
    done = emit_groups(groups, store, dirs, 1, True)
    assert [g.configs for g, _, _ in done] == [("SSE",), ("AVX",)]
    assert all(not g.retargetable and "does not compile without" in g.reason for g, _, _ in done)
    assert all(fresh for _, _, fresh in done) and len({d for _, d, _ in done}) == 2
    again = emit_groups(groups, store, dirs, 1, True)
    assert [d for _, d, _ in again] == [d for _, d, _ in done]
    assert not any(fresh for _, _, fresh in again)


def test_emit_groups_writes_index(tmp_path: Path) -> None:
    need_tools()
    (tmp_path / "a.cpp").write_text("int f(int x) { return x * 2; }\n")
    cmd = parse_entry({"directory": str(tmp_path), "file": "a.cpp",
                       "command": "clang++-19 -O2 -o a.o -c a.cpp"}, tmp_path)
    groups = group_unit([Observation("A", cmd, "h", False)])
    done = emit_groups(groups, Store(tmp_path / "store"), {"A": str(tmp_path)}, 2, True)
    assert (tmp_path / "store" / "index.json").is_file()
    assert (tmp_path / "store" / f"{done[0][1]}.bc").read_bytes()[:4] == b"BC\xc0\xde"
