"""Bad input through the CLI (``xaas ir ...``): one line ``xaas: error: <file>: <problem>``,
exit 1, no traceback; and a corrupted store is never trusted (re-emitted or reported).

A two-file CMake project keeps these fast: it is bundled once, then its configured tree is
edited the way the faults happen in practice (a source deleted after configuring, an entry
compiled by another compiler, bytes of a stored IR changed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D
from tests.ir.conftest import need_tools
from xaas_parsl.cli.main import main
from xaas_parsl.fileio import load_json
from xaas_parsl.ir.bundle import literal_irs, read_units
from xaas_parsl.ir.store import sha256_file

CMAKE = """cmake_minimum_required(VERSION 3.14)
project(tiny CXX)
add_executable(tiny main.cpp kernel.cpp)
install(TARGETS tiny RUNTIME)
"""
APP = """name: tiny
version: "1"
source: .
specialization_points: {spec}
build:
  cmake_args: ["-DCMAKE_BUILD_TYPE=Release"]
matrix:
  - name: SIMD
    kind: select
    values:
      - {{name: BASE, options: {{CMAKE_CXX_FLAGS: "-msse2"}}}}
      - {{name: WIDE, options: {{CMAKE_CXX_FLAGS: "-mavx2"}}}}
tests:
  - {{name: run, command: [tiny]}}
"""


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("xaas: error: ")
    return err


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """(app.yaml, bundle dir) of a freshly bundled two-configuration project."""
    need_tools()
    src = tmp_path / "tiny"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(CMAKE)
    (src / "main.cpp").write_text("int kernel(int);\nint main() { return kernel(0); }\n")
    (src / "kernel.cpp").write_text("int kernel(int x) { return x * 2; }\n")
    app = src / "app.yaml"
    app.write_text(APP.format(spec=HEAT2D / "specialization-points.json"))
    bundle = tmp_path / "bundle"
    assert main(["ir", "build", str(app), "-o", str(bundle), "--json"]) == 0
    return app, bundle


def build(app: Path, bundle: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["ir", "build", str(app), "-o", str(bundle), "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_preset_configurations_share_tuning_only_units(tiny: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    summary = build(*tiny, capsys)
    assert summary["configs"] == ["BASE", "WIDE"]
    assert (summary["compile_jobs"], summary["unique_irs"], summary["emitted"]) == (4, 2, 0)
    # comparing command lines alone would keep one IR per configuration (-msse2 vs -mavx2)
    units = [u for c in ("BASE", "WIDE") for u in read_units(c, tiny[1] / "builds" / c)]
    assert literal_irs(units) == 4


def test_missing_source(tiny: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    app, bundle = tiny
    (app.parent / "kernel.cpp").unlink()  # deleted after configuring
    capsys.readouterr()
    assert main(["ir", "build", str(app), "-o", str(bundle)]) == 1
    err = one_line_error(capsys)
    assert "compile_commands.json" in err and "kernel.cpp.o: source" in err
    assert "does not exist" in err


def test_non_clang_compiler(tiny: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    app, bundle = tiny
    path = bundle / "builds" / "WIDE" / "compile_commands.json"
    entries = load_json(path)
    entries[0]["command"] = entries[0]["command"].replace(
        entries[0]["command"].split()[0], "/usr/bin/g++", 1)
    path.write_text(json.dumps(entries))
    capsys.readouterr()
    assert main(["ir", "build", str(app), "-o", str(bundle)]) == 1
    err = one_line_error(capsys)
    assert "is compiled by '/usr/bin/g++', not clang" in err and str(path) in err


def test_corrupted_store_is_rebuilt_not_trusted(tiny: tuple[Path, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    app, bundle = tiny
    unit = load_json(bundle / "configs" / "WIDE.json")["units"][0]
    for kind in ("ir", "pre"):  # emitted IR is emitted again, simplified IR simplified again
        stored = bundle / "store" / f"{unit[kind]}.bc"
        stored.write_bytes(stored.read_bytes()[:-8] + b"garbage!")
        summary = build(app, bundle, capsys)
        assert (summary["emitted"], summary["simplified"]) == ((1, 0) if kind == "ir"
                                                               else (0, 1))
        assert all(sha256_file(p) == p.stem for p in (bundle / "store").glob("*.bc"))


def test_corrupted_store_at_deploy_is_reported(tiny: tuple[Path, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, bundle = tiny
    stored = sorted((bundle / "store").glob("*.bc"))[0]
    stored.write_bytes(b"truncated")
    capsys.readouterr()
    assert main(["ir", "deploy", str(bundle), "--config", "WIDE"]) == 1
    err = one_line_error(capsys)
    assert f"{stored.name}: IR of unit" in err and "is corrupted" in err
    assert not (bundle / "deploy" / "WIDE" / "install").exists()


def test_unknown_configuration(tiny: tuple[Path, Path],
                               capsys: pytest.CaptureFixture[str]) -> None:
    app, bundle = tiny
    capsys.readouterr()
    assert main(["ir", "deploy", str(bundle), "--config", "AVX_9000"]) == 1
    err = one_line_error(capsys)
    assert "unknown configuration 'AVX_9000' (bundle has: BASE, WIDE)" in err
    assert main(["ir", "build", str(app), "-o", str(bundle), "--configs", "NOPE"]) == 1
    assert "unknown configuration 'NOPE'" in one_line_error(capsys)


def test_preset_value_without_option_or_name(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "CMakeLists.txt").write_text(CMAKE)
    app = tmp_path / "app.yaml"
    app.write_text(APP.format(spec=HEAT2D / "specialization-points.json").replace(
        "{name: WIDE, options: {CMAKE_CXX_FLAGS: \"-mavx2\"}}", "WIDE"))
    assert main(["ir", "build", str(app), "-o", str(tmp_path / "b")]) == 1
    err = one_line_error(capsys)
    assert "value 'WIDE' needs 'option'" in err and str(app) in err
