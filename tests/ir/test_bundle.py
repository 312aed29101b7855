"""The heat2d IR bundle end to end: sharing counts, rebuilds, deploy, retargeting, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, SYSTEMS
from tests.ir.conftest import CONFIGS, has_avx512
from xaas_parsl.cli.main import main
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json

Bundle = tuple[Path, dict[str, Any]]


def units(bundle: Path, config: str) -> dict[str, dict[str, Any]]:
    data = load_json(bundle / "configs" / f"{config}.json")
    return {Path(u["output"]).name: u for u in data["units"]}


def test_summary_counts(bundle: Bundle) -> None:
    out, summary = bundle
    per_config = sum(len(units(out, c)) for c in CONFIGS)
    assert summary["compile_jobs"] == per_config == 39
    every = [u for c in CONFIGS for u in units(out, c).values()]
    irs = {u["ir"] for u in every}
    assert summary["unique_irs"] == len(irs)
    # the store holds the emitted IR and (split mode) each one's pre-optimised IR
    stored = {p.stem for p in (out / "store").glob("*.bc")}
    assert stored == irs | {u["pre"] for u in every} and summary["simplified"] == len(irs)
    assert summary["unique_irs"] < 0.5 * summary["compile_jobs"]
    assert summary["reduction"] == pytest.approx(1 - summary["unique_irs"] / 39, abs=1e-4)
    # the scalar reference kernel is compiled identically everywhere: one IR for all four
    assert units(out, "None")["stencil_scalar.cpp.o"]["shared_with"] == CONFIGS
    # each SIMD kernel exists once
    assert units(out, "SSE4.1")["stencil_sse41.cpp.o"]["shared_with"] == ["SSE4.1"]


def test_tuning_only_units_share_one_retargetable_ir(bundle: Bundle) -> None:
    out, _ = bundle
    solver = {c: units(out, c)["solver.cpp.o"] for c in CONFIGS}
    assert solver["None"]["ir"] == solver["SSE4.1"]["ir"] == solver["AVX_512"]["ir"]
    assert solver["AVX_512"]["retargetable"] and solver["AVX_512"]["tuning"] == [
        "-mavx512f", "-mfma"]
    # the kernel dispatcher's preprocessed text depends on the SIMD level: not shared
    assert units(out, "None")["stencil.cpp.o"]["ir"] != units(out, "AVX_512")["stencil.cpp.o"]["ir"]


def test_openmp_exception(bundle: Bundle) -> None:
    out, _ = bundle
    stencil = units(out, "OPENMP+AVX_512")["stencil_avx512.cpp.o"]
    assert stencil["ir"] == units(out, "AVX_512")["stencil_avx512.cpp.o"]["ir"]
    assert "lone -fopenmp difference ignored" in stencil["reason"]
    # solver.cpp has '#pragma omp': its OpenMP build keeps its own IR
    solver = units(out, "OPENMP+AVX_512")["solver.cpp.o"]
    assert solver["shared_with"] == ["OPENMP+AVX_512"]


def test_second_build_via_cli_emits_nothing(bundle: Bundle,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out, first = bundle
    code = main(["ir", "build", str(HEAT2D / "app.yaml"), "--configs", ",".join(CONFIGS),
                 "-o", str(out), "--json"])
    again = json.loads(capsys.readouterr().out)
    assert code == 0 and again["emitted"] == 0
    assert again["unique_irs"] == first["unique_irs"] and again["reduction"] > 0.5


def test_explain_cli(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ir", "explain", str(bundle[0]), "solver.cpp"]) == 0
    text = capsys.readouterr().out
    assert "re-targeted at deployment" in text and "#pragma" not in text.split("OPENMP")[0]


def test_deploy_avx512_passes_heat2d_test(bundle: Bundle, deployed_avx512: dict[str, Any]
                                          ) -> None:
    out, _ = bundle
    assert deployed_avx512["lowered"] == deployed_avx512["placed"] == 10
    assert deployed_avx512["compiled_natively"] == []
    tree = out / "builds" / "AVX_512"
    dry = subprocess.run(["ninja", "-C", str(tree), "-n"], capture_output=True, text=True,
                         check=True)
    assert "no work to do" in dry.stdout
    if not has_avx512():
        pytest.skip("no AVX-512 on this CPU: built, not run")
    exe = Path(deployed_avx512["install_dir"]) / "bin" / "heat2d-test"
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "PASS simd=AVX_512" in run.stdout


def test_retargeted_ir_carries_avx512_features(bundle: Bundle,
                                               deployed_avx512: dict[str, Any]) -> None:
    objects = bundle[0] / "deploy" / "AVX_512" / "objects"
    retargeted = next(objects.rglob(".solver.cpp.o.retargeted.bc"))
    text = subprocess.run(["llvm-dis-19", str(retargeted), "-o", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "+avx512f" in text and "+fma" in text
    disasm = subprocess.run(["objdump", "-d", str(objects / "CMakeFiles" / "heat2d_core.dir"
                                                    / "src" / "solver.cpp.o")],
                            capture_output=True, text=True, check=False).stdout
    if disasm:
        assert "zmm" in disasm or "ymm" in disasm


def test_deploy_unknown_config(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ir", "deploy", str(bundle[0]), "--config", "AVX_9000"]) == 1
    assert "unknown configuration 'AVX_9000'" in capsys.readouterr().err


def test_build_unknown_config(tmp_path: Path) -> None:
    from xaas_parsl.ir.build import build_bundle

    with pytest.raises(InputError, match=r"unknown configuration 'AVX_9000'"):
        build_bundle(load_app(HEAT2D), tmp_path, ["AVX_9000"], quiet=True)


def test_deploy_corrupted_store_names_unit(bundle: Bundle, tmp_path: Path) -> None:
    from xaas_parsl.ir.deploy import deploy

    copy = tmp_path / "copy"
    for part in ("configs", "store"):
        shutil.copytree(bundle[0] / part, copy / part)
    shutil.copy(bundle[0] / "bundle.json", copy / "bundle.json")
    solver = units(copy, "AVX_512")["solver.cpp.o"]
    (copy / "store" / f"{solver['pre']}.bc").write_bytes(b"garbage")  # what split mode reads
    with pytest.raises(InputError, match=r"solver\.cpp\.o \(AVX_512\) is corrupted"):
        deploy(copy, "AVX_512", quiet=True)
    assert not (bundle[0] / "deploy" / "AVX_512" / "objects" / "garbage").exists()


def test_choose_for_target_without_bundle_config(bundle: Bundle) -> None:
    from xaas_parsl.ir.deploy import choose_config

    # ault25 (EPYC 7742) gets AVX2_256, which this four-configuration bundle lacks
    path = SYSTEMS / "ault25.json"
    if not path.is_file():
        pytest.skip("reference systems not available")
    with pytest.raises(InputError, match=r"chose .*AVX2_256.* bundle lacks"):
        choose_config(bundle[0], path)


def test_choose_for_this_machine(bundle: Bundle) -> None:
    from xaas_parsl.ir.deploy import choose_config

    if not has_avx512():
        pytest.skip("host without AVX-512")
    assert choose_config(bundle[0], None) in {"AVX_512", "OPENMP+AVX_512"}
    assert json.loads((bundle[0] / "bundle.json").read_text())["arch"] == "x86_64"


def test_run_ir_job_deploys_the_choice_and_passes(bundle: Bundle) -> None:
    from xaas_parsl.ir.job import run_ir_job

    if not has_avx512():
        pytest.skip("host without AVX-512: the choice is not in the four-configuration bundle")
    report = run_ir_job(bundle[0].parent, load_app(HEAT2D), CONFIGS)
    assert report["bundle"]["emitted"] == 0
    assert report["deployment"]["config"] in {"AVX_512", "OPENMP+AVX_512"}
    assert report["passed"] is True


def test_lowering_failure_names_unit_and_builds_nothing(bundle: Bundle, tmp_path: Path) -> None:
    from xaas_parsl.errors import ToolError
    from xaas_parsl.ir.deploy import deploy
    from xaas_parsl.ir.store import Store

    copy = tmp_path / "copy"
    for part in ("configs", "store"):
        shutil.copytree(bundle[0] / part, copy / part)
    shutil.copy(bundle[0] / "bundle.json", copy / "bundle.json")
    store = Store(copy / "store")
    bad = store.temp_path("bad")
    bad.write_bytes(b"not bitcode")  # intact in the store (hash matches), but not IR
    digest = store.add(bad)
    manifest_path = copy / "configs" / "AVX_512.json"
    manifest = load_json(manifest_path)
    for unit in manifest["units"]:
        if unit["output"].endswith("stencil_avx512.cpp.o"):
            unit["ir"] = unit["pre"] = digest
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ToolError, match=r"lowering unit .*stencil_avx512\.cpp\.o of AVX_512"):
        deploy(copy, "AVX_512", quiet=True)
    assert not (copy / "builds").exists()
