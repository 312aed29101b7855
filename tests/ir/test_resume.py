"""Long IR steps save their progress in batches and stop without running queued jobs, so an
interrupted GROMACS bundle build resumes (``benchmarks/ir_gromacs.py``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ir.conftest import need_tools
from xaas_parsl.ir import bundle as bundle_mod
from xaas_parsl.ir.bundle import PreprocessCache, Unit
from xaas_parsl.ir.commands import parse_entry
from xaas_parsl.ir.tools import batches, parallel


def test_parallel_drops_queued_jobs_after_a_failure() -> None:
    ran: list[int] = []

    def job(i: int) -> int:
        ran.append(i)
        time.sleep(0.05)
        if i == 2:
            raise RuntimeError("boom")
        return i

    with pytest.raises(RuntimeError, match="boom"):
        parallel(list(range(50)), job, "t", jobs=1, quiet=True)
    time.sleep(0.2)
    # the job running when the failure was seen may finish; the queued ones never run
    assert ran[:3] == [0, 1, 2] and len(ran) <= 4


def test_batches() -> None:
    assert list(batches([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(batches([], 3)) == []


def _units(tmp_path: Path, n: int) -> list[Unit]:
    units = []
    for i in range(n):
        src = tmp_path / f"u{i}.c"
        src.write_text(f"int f{i}(void) {{ return {i}; }}\n")
        entry = {"directory": str(tmp_path), "file": str(src),
                 "command": f"clang-19 -O2 -msse4.1 -c {src} -o u{i}.o"}
        units.append(Unit("SSE4.1", str(tmp_path), parse_entry(entry, tmp_path / "cc.json")))
    return units


def test_preprocess_cache_resumes_after_an_interrupt(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    need_tools()
    units = _units(tmp_path, 5)
    real = bundle_mod._preprocess
    calls: list[str] = []
    stop_at = [4]

    def counted(unit: Unit, drop_tuning: bool = False) -> tuple[str, bool]:
        calls.append(unit.command.output)
        if len(calls) == stop_at[0]:
            raise KeyboardInterrupt  # what SIGTERM raises in the benchmark
        return real(unit, drop_tuning)

    monkeypatch.setattr(bundle_mod, "_preprocess", counted)
    monkeypatch.setattr(bundle_mod, "BATCH", 2)
    path = tmp_path / "pp.json"
    with pytest.raises(KeyboardInterrupt):
        PreprocessCache(path).hashes(units, False, 1, True, "pp")
    assert len(PreprocessCache(path).data) == 2  # the first batch was saved
    calls.clear()
    monkeypatch.setattr(bundle_mod, "_preprocess", real)
    resumed = PreprocessCache(path).hashes(units, False, 1, True, "pp")
    fresh = [real(u) for u in units]
    assert resumed == fresh
    # a second run preprocesses nothing; a tuning-free check is another key
    monkeypatch.setattr(bundle_mod, "_preprocess", counted)
    stop_at[0] = 0
    assert PreprocessCache(path).hashes(units, False, 1, True, "pp") == fresh
    assert calls == []
    PreprocessCache(path).hashes(units[:1], True, 1, True, "pp")
    assert len(calls) == 1
