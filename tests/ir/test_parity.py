"""Parity helpers (``xaas_parsl.ir.parity``): functions compared by code, not by address, and
objects of two trees matched even when CMake named them after different source paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.errors import ToolError
from xaas_parsl.ir.parity import counterpart, differing_functions, functions

A = """0000000000000000 <f>:
   0:	add    %esi,%edi
   2:	jmp    10 <g+0x4>

0000000000000010 <g>:
  10:	ret
"""


def test_functions_ignore_addresses_but_not_code() -> None:
    shifted = A.replace("   0:", "  40:").replace("   2:", "  42:").replace("10 <g", "50 <g")
    assert functions(A)["f"] == functions(shifted)["f"]
    assert differing_functions(A, shifted) == []
    assert differing_functions(A, A.replace("add ", "sub ")) == ["f"]
    assert differing_functions(A, A.split("\n\n")[0] + "\n\n") == ["g"]  # missing on one side


def test_counterpart_matches_objects_named_after_another_source_path(tmp_path: Path) -> None:
    obj = Path("CMakeFiles/t.dir/src/a/tests/x.cpp.o")
    other = tmp_path / "CMakeFiles/t.dir/elsewhere/b/tests/x.cpp.o"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"")
    assert counterpart(tmp_path, obj) == other
    (tmp_path / "CMakeFiles/t.dir/x.cpp.o").write_bytes(b"")  # now ambiguous
    with pytest.raises(ToolError, match="no single object"):
        counterpart(tmp_path, obj)
    with pytest.raises(ToolError):
        counterpart(tmp_path, Path("lib/y.o"))
