"""Pure parts of the IR bundle: argument classes, sharing rules, store, attribute rewrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.ir.commands import classify, parse_entry, strip_for
from xaas_parsl.ir.retarget import Target, parse_target, rewrite_text
from xaas_parsl.ir.sharing import Observation, group_unit, has_openmp
from xaas_parsl.ir.store import Store


def entry(tmp_path: Path, command: str, name: str = "a.cpp") -> dict[str, str]:
    (tmp_path / name).write_text("int f() { return 1; }\n")
    return {"directory": str(tmp_path), "file": str(tmp_path / name), "command": command}


def test_classify_sorts_every_argument() -> None:
    argv = ["clang++-19", "-DA=1", "-I/inc", "-isystem", "/sys", "-O3", "-mavx512f",
            "-march=skylake", "-fopenmp=libomp", "-std=c++17", "-Wall", "-MD", "-MT", "x.o",
            "-o", "x.o", "-c", "a.cpp"]
    c = classify(argv, "a.cpp")
    assert c.definitions == ("-DA=1",)
    assert c.includes == ("-I/inc", "-isystem", "/sys")
    assert c.opt_level() == "-O3"
    assert c.tuning == ("-mavx512f", "-march=skylake")
    assert c.fflags == ("-fopenmp=libomp",)
    assert c.other == ("-std=c++17",)


def test_parse_entry_rejects_gcc_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"a\.cpp is compiled by 'g\+\+', not clang"):
        parse_entry(entry(tmp_path, "g++ -O2 -o a.o -c a.cpp"), tmp_path / "cc.json")


def test_parse_entry_missing_source(tmp_path: Path) -> None:
    e = entry(tmp_path, "clang++-19 -o a.o -c gone.cpp")
    e["file"] = str(tmp_path / "gone.cpp")
    with pytest.raises(InputError, match=r"unit a\.o: source .*gone\.cpp does not exist"):
        parse_entry(e, tmp_path / "cc.json")


@pytest.mark.parametrize(("cmd", "name", "why"), [
    ("clang -o a.o -c a.S", "a.S", "assembly"),
    ("clang++ -x cuda -o a.o -c a.cpp", "a.cpp", "cuda"),
    ("clang++ -flto=thin -o a.o -c a.cpp", "a.cpp", "flto"),
])
def test_units_that_cannot_become_ir(tmp_path: Path, cmd: str, name: str, why: str) -> None:
    reason = parse_entry(entry(tmp_path, cmd, name), tmp_path).native_reason()
    assert reason is not None and why in reason.lower()


def test_strip_for_drops_output_and_tuning(tmp_path: Path) -> None:
    cmd = parse_entry(entry(tmp_path, "clang++ -O2 -mavx2 -o a.o -c a.cpp"), tmp_path)
    assert strip_for(cmd, True) == ["clang++", "-O2"]


def _obs(tmp_path: Path, config: str, flags: str, pp: str = "h", omp: bool = False
         ) -> Observation:
    cmd = parse_entry(entry(tmp_path, f"clang++ -O3 {flags} -o a.o -c a.cpp"), tmp_path)
    return Observation(config, cmd, pp, omp)


def test_tuning_only_difference_shares_one_retargetable_ir(tmp_path: Path) -> None:
    groups = group_unit([_obs(tmp_path, "None", ""), _obs(tmp_path, "AVX", "-mavx512f")])
    assert len(groups) == 1 and groups[0].retargetable


def test_lone_openmp_difference(tmp_path: Path) -> None:
    plain = group_unit([_obs(tmp_path, "A", ""), _obs(tmp_path, "B", "-fopenmp")])
    assert len(plain) == 1 and "lone -fopenmp" in plain[0].reason
    pragma = group_unit([_obs(tmp_path, "A", "", omp=True),
                         _obs(tmp_path, "B", "-fopenmp", omp=True)])
    assert len(pragma) == 2 and "-f flags differ" in pragma[0].reason


def test_preprocessed_text_or_opt_level_splits(tmp_path: Path) -> None:
    assert len(group_unit([_obs(tmp_path, "A", "", "h1"), _obs(tmp_path, "B", "", "h2")])) == 2
    split = group_unit([_obs(tmp_path, "A", ""), _obs(tmp_path, "B", "-O1")])
    assert "optimisation differs" in split[0].reason


def test_has_openmp() -> None:
    assert has_openmp("int x;\n  #  pragma omp parallel for\n")
    assert not has_openmp("// no pragma omp here\n#pragma once\n")


def test_store_detects_corruption(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    tmp = store.temp_path("x")
    tmp.write_bytes(b"BC\xc0\xde")
    digest = store.add(tmp)
    assert store.get(digest) == store.path(digest)
    store.path(digest).write_bytes(b"tampered")
    with pytest.raises(InputError, match=r"unit u\.o is corrupted"):
        store.get(digest, "u.o")


def test_rewrite_keeps_function_specific_features() -> None:
    text = ('attributes #0 = { "target-cpu"="x86-64" "target-features"="+sse2,+x87" }\n'
            'attributes #1 = { "target-cpu"="x86-64" "target-features"="+sse2,+x87,+avx2" }\n')
    base = Target("x86-64", ("+sse2", "+x87"), None)
    avx = Target("x86-64", ("+avx512f", "+sse2", "+x87"), None)
    out = rewrite_text(text, base, avx)
    assert '"+avx512f,+sse2,+x87"' in out and '"+avx512f,+sse2,+x87,+avx2"' in out
    assert parse_target(out).features == avx.features
