"""Split optimisation (``--mode split``, the default): the pipeline's simplification half runs
once per IR file in the bundle, a deployment runs only the optimisation half and code
generation; ``--mode full`` (the first version) stays available. Pinned here: the pipeline
cut, a split deployment of heat2d that passes ``heat2d-test`` with the same objects as a full
one and fewer LLVM pass runs, and an object cache that never serves an object made in the
other mode (or a corrupted one)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, host_cpu_flags
from tests.ir.conftest import need_tools
from tests.ir.test_bad_input import APP, CMAKE, one_line_error
from xaas_parsl.cli.main import main
from xaas_parsl.fileio import load_json
from xaas_parsl.ir.parity import differing_objects, disassembly, identical_files
from xaas_parsl.ir.pipeline import named_pipeline, split_pipeline, top_level

Bundle = tuple[Path, dict[str, Any]]
CONFIG = "SSE4.1"  # shares retargetable units with the others and runs on any x86-64 here


def test_top_level_split_keeps_nested_lists() -> None:
    assert top_level("a,b(c,d),e<f;g>,h") == ["a", "b(c,d)", "e<f;g>", "h"]


def test_split_needs_opts_named_pipeline_to_be_clangs() -> None:
    clang = "x,declare-to-assign,cgscc(devirt<4>(inline)),elim-avail-extern,function(slp)"
    h = split_pipeline(clang, "x,cgscc(devirt<4>(inline)),elim-avail-extern,function(slp),"
                       "verify", "default<O3>")
    assert h is not None
    assert h.named == "function(declare-to-assign),default<O3>"
    assert h.optimise == "elim-avail-extern,function(slp)"
    # -fno-vectorize & co. make clang's pipeline differ from the named one: not split
    assert split_pipeline(clang, "x,cgscc(devirt<4>(inline)),elim-avail-extern,function()",
                          "default<O3>") is None
    assert split_pipeline("always-inline", "always-inline", "default<O1>") is None
    assert named_pipeline("-O3") == "default<O3>" and named_pipeline("-Os") == "default<Os>"
    assert named_pipeline("-O0") is None


def test_clang_pipeline_halves() -> None:
    need_tools()
    from xaas_parsl.ir.pipeline import halves

    h = halves("-O3", ())
    assert h is not None and h.named.endswith("default<O3>")
    optimise = top_level(h.optimise)
    assert optimise[0] == "elim-avail-extern"
    assert not any(p.startswith("cgscc(") for p in optimise)  # no inliner after the cut
    assert "loop-vectorize" in h.optimise and "slp-vectorizer" in h.optimise
    assert halves("-O3", ("-fno-vectorize",)) is None  # lowered in one step
    assert halves("-O0", ()) is None


def objects(deployment: dict[str, Any]) -> dict[str, str]:
    root = Path(deployment["install_dir"]).parent / "objects"
    return {str(o.relative_to(root)): disassembly(o) for o in sorted(root.rglob("*.o"))}


@pytest.fixture(scope="module")
def deployments(bundle: Bundle) -> dict[str, Any]:
    """SSE4.1 deployed in full mode, then split (twice), each with pass counts, starting
    from an empty object cache; each deployment's objects disassembled."""
    from xaas_parsl.ir.deploy import deploy

    out = bundle[0]
    shutil.rmtree(out / "store" / "objects", ignore_errors=True)
    (out / "store" / "objects.json").unlink(missing_ok=True)
    runs: dict[str, Any] = {}
    for label, mode in (("full", "full"), ("split", None), ("again", None)):
        result = deploy(out, CONFIG, mode=mode, count_passes=True, quiet=True)
        runs[label] = result
        runs[f"{label}_objects"] = objects(result)
    return runs


def test_bundle_is_split_and_every_unit_has_pre_optimised_ir(bundle: Bundle) -> None:
    out, summary = bundle
    assert summary["mode"] == "split" and "simplify" in summary["phases"]
    assert load_json(out / "bundle.json")["mode"] == "split"
    units = load_json(out / "configs" / f"{CONFIG}.json")["units"]
    assert all(u["pre"] != u["ir"] and (out / "store" / f"{u['pre']}.bc").is_file()
               for u in units)


def test_split_deployment_passes_heat2d_test(deployments: dict[str, Any]) -> None:
    split = deployments["split"]
    assert split["mode"] == "split" and split["placed"] == split["lowered"] > 0
    assert {"optimise", "codegen", "link"} <= set(split["phases"])
    assert "lower" not in split["phases"]  # no whole-pipeline step in split mode
    if "sse4_1" not in host_cpu_flags():
        pytest.skip("CPU without SSE4.1: built, not run")
    exe = Path(split["install_dir"]) / "bin" / "heat2d-test"
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and f"PASS simd={CONFIG}" in run.stdout


def test_split_does_less_counted_work_for_the_same_code(deployments: dict[str, Any]) -> None:
    full, split = deployments["full"], deployments["split"]
    assert full["lowered"] == split["lowered"]  # both lowered every unit: comparable
    # pass runs (new and legacy pass managers) are deterministic, unlike CPU seconds on a
    # shared machine; the bundle already ran the simplification half
    assert 0 < split["pass_runs"] < 0.5 * full["pass_runs"]
    assert deployments["split_objects"] == deployments["full_objects"]


def test_stale_mode_object_is_never_reused(deployments: dict[str, Any]) -> None:
    assert deployments["full"]["reused"] == 0
    # the full-mode objects were in the cache, with the same IR and flags: not taken
    assert deployments["split"]["reused"] == 0
    again = deployments["again"]
    assert again["lowered"] == 0 and again["reused"] == deployments["split"]["lowered"]
    assert "pass_runs" in again and again["pass_runs"] == 0
    assert deployments["again_objects"] == deployments["split_objects"]


def test_corrupted_cached_object_is_lowered_again(bundle: Bundle,
                                                  deployments: dict[str, Any]) -> None:
    from xaas_parsl.ir.deploy import deploy

    for cached in (bundle[0] / "store" / "objects").glob("*.o"):
        cached.write_bytes(b"not an object")
    result = deploy(bundle[0], CONFIG, quiet=True)
    assert (result["lowered"], result["reused"]) == (deployments["split"]["lowered"], 0)
    assert objects(result) == deployments["split_objects"]


def test_mode_change_of_a_bundle_reuses_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A bundle rebuilt in the other mode: its deployments lower everything again."""
    need_tools()
    src = tmp_path / "tiny"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(CMAKE)
    (src / "main.cpp").write_text("int kernel(int);\nint main() { return kernel(0); }\n")
    (src / "kernel.cpp").write_text("int kernel(int x) { return x * 2; }\n")
    app = src / "app.yaml"
    app.write_text(APP.format(spec=HEAT2D / "specialization-points.json"))
    bundle = tmp_path / "bundle"

    def run(*args: str) -> dict[str, Any]:
        capsys.readouterr()
        assert main([*args, "--json"]) == 0
        result: dict[str, Any] = json.loads(capsys.readouterr().out)
        return result

    assert run("ir", "build", str(app), "-o", str(bundle), "--mode", "full")["mode"] == "full"
    assert "pre" not in load_json(bundle / "configs" / "WIDE.json")["units"][0]
    capsys.readouterr()
    assert main(["ir", "deploy", str(bundle), "--config", "WIDE", "--mode", "split"]) == 1
    assert "bundle built in full mode" in one_line_error(capsys)
    first = run("ir", "deploy", str(bundle), "--config", "WIDE")
    assert (first["mode"], first["lowered"], first["reused"]) == ("full", 2, 0)
    assert run("ir", "build", str(app), "-o", str(bundle))["mode"] == "split"
    second = run("ir", "deploy", str(bundle), "--config", "WIDE")
    assert (second["mode"], second["lowered"], second["reused"]) == ("split", 2, 0)
    third = run("ir", "deploy", str(bundle), "--config", "WIDE")
    assert (third["lowered"], third["reused"]) == (0, 2)


def test_split_deployment_is_the_native_build(bundle: Bundle, deployments: dict[str, Any],
                                              tmp_path: Path) -> None:
    """The split deployment against a source build of the same configuration (same clang,
    same CMake arguments): every object and both executables identical, or the failure
    names the functions that differ."""
    from xaas_parsl.build.cmake import cmake_build
    from xaas_parsl.descriptor.app import load_app
    from xaas_parsl.ir.tools import CLANG, CLANGXX

    app = load_app(HEAT2D)
    config = next(c for c in app.configurations("x86_64") if c.name == CONFIG)
    native = cmake_build(app.source, tmp_path / "build", tmp_path / "install",
                         [*app.cmake_args, *config.cmake_args(), f"-DCMAKE_C_COMPILER={CLANG}",
                          f"-DCMAKE_CXX_COMPILER={CLANGXX}"], jobs=2)
    parity = differing_objects(bundle[0] / "builds" / CONFIG, tmp_path / "build")
    assert parity["objects"] >= deployments["split"]["placed"]
    assert parity["differing"] == {}, f"functions differing from the native build: {parity}"
    exes = identical_files(Path(deployments["split"]["install_dir"]) / "bin",
                           native.prefix / "bin", ["heat2d", "heat2d-test"])
    assert all(exes.values()), exes


def test_placed_objects_are_up_to_date_for_ninja(bundle: Bundle,
                                                 deployments: dict[str, Any]) -> None:
    """The launcher's dependency files (``<object>: <lowered object>``, no preprocessing)
    are enough for ninja: after a deployment nothing is out of date, and a re-lowered object
    makes exactly its edge run again."""
    tree = bundle[0] / "builds" / CONFIG

    def dry_run() -> str:
        run = subprocess.run(["ninja", "-C", str(tree), "-n", "-d", "explain"],
                             capture_output=True, text=True, check=True)
        return run.stdout + run.stderr

    assert "no work to do" in dry_run()
    mapping = load_json(bundle[0] / "deploy" / CONFIG / "objects.json")
    output, lowered = next(iter(mapping.items()))
    Path(lowered).touch()
    out = dry_run()
    assert f"{output} is dirty" in out and out.count("] Building ") == 1, out
