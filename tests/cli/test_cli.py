"""The ``xaas`` command line, run as a real subprocess (entry point, exit codes, stderr)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, SPECS, SYSTEMS, host_cpu_flags

XAAS = [sys.executable, "-m", "xaas_parsl.cli.main"]


def xaas(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*XAAS, *args], capture_output=True, text=True, cwd=cwd, check=False,
                          timeout=300)


def test_system_discover_prints_valid_json_with_avx512f() -> None:
    proc = xaas("system", "discover")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["CPU Info"]["Architecture"]
    if "avx512f" in host_cpu_flags():
        assert "avx512f" in data["CPU Info"]["Supported Vectorizations"]


def test_system_discover_native_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "sys.json"
    proc = xaas("system", "discover", "--format", "native", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    data = json.loads(out.read_text())
    assert data["format"] == "xaas-parsl-system"


@pytest.mark.usefixtures("reference")
def test_intersect_gromacs_alps() -> None:
    proc = xaas("intersect", "--spec", str(SPECS / "gromacs-2025.0.json"),
                "--system", str(SYSTEMS / "clariden-alps.json"))
    assert proc.returncode == 0, proc.stderr
    choice = json.loads(proc.stdout)["choice"]
    assert (choice["simd"], choice["gpu_backend"], choice["cuda_architectures"]) == (
        "ARM_NEON_ASIMD", "CUDA", ["90"])


@pytest.mark.usefixtures("reference")
def test_intersect_with_policy_file_and_flags(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("pin: {simd: AVX2_256}\nuse_gpu: false\n")
    proc = xaas("intersect", "--spec", str(SPECS / "gromacs-2025.0.json"),
                "--system", str(SYSTEMS / "ault23.json"), "--policy", str(policy), "--no-mpi")
    assert proc.returncode == 0, proc.stderr
    choice = json.loads(proc.stdout)["choice"]
    assert choice["simd"] == "AVX2_256" and choice["gpu_backend"] is None
    assert "MPI" not in choice["parallel"]


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in lines[0]


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "no such file"),
        ("{\"CPU Info\": {\"Architecture\": \"x86_64\", ", "invalid JSON"),
        ("", "empty"),
        ("[]", "system"),
    ],
    ids=["missing", "truncated", "empty", "list"],
)
def test_bad_system_file(tmp_path: Path, content: str | None, needle: str) -> None:
    path = tmp_path / "system.json"
    if content is not None:
        path.write_text(content)
    proc = xaas("intersect", "--spec", str(SPECS / "gromacs-2025.0.json"), "--system", str(path))
    _assert_one_line_error(proc, str(path))
    assert needle in proc.stderr


@pytest.mark.usefixtures("reference")
def test_spec_file_given_as_system_and_system_as_spec() -> None:
    spec = str(SPECS / "gromacs-2025.0.json")
    system = str(SYSTEMS / "aurora.json")
    proc = xaas("intersect", "--spec", spec, "--system", spec)
    _assert_one_line_error(proc, spec)
    proc = xaas("intersect", "--spec", system, "--system", system)
    _assert_one_line_error(proc, system)


@pytest.mark.usefixtures("reference")
def test_unreadable_and_directory_paths(tmp_path: Path) -> None:
    proc = xaas("intersect", "--spec", str(tmp_path), "--system", str(SYSTEMS / "lumi.json"))
    _assert_one_line_error(proc, str(tmp_path))


@pytest.mark.usefixtures("reference")
def test_impossible_pin_is_a_one_line_error() -> None:
    proc = xaas("intersect", "--spec", str(SPECS / "gromacs-2025.0.json"),
                "--system", str(SYSTEMS / "ault25.json"), "--pin", "simd=AVX_512")
    _assert_one_line_error(proc, "AVX_512")


def test_bad_output_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = xaas("intersect", "--spec", str(tmp_path / "missing.json"),
                "--system", str(tmp_path / "missing.json"), "-o", str(out))
    assert proc.returncode != 0
    assert not out.exists()


def test_app_configs_lists_matrix_in_order() -> None:
    proc = xaas("app", "configs", str(HEAT2D / "app.yaml"), "--arch", "x86_64")
    assert proc.returncode == 0, proc.stderr
    configs = json.loads(proc.stdout)["configs"]
    names = [c["name"] for c in configs]
    # the matrix in order, then the opt-in (GPU) configurations, marked as such
    assert names == ["None", "SSE4.1", "AVX2_256", "AVX_512",
                     "OPENMP+None", "OPENMP+SSE4.1", "OPENMP+AVX2_256", "OPENMP+AVX_512",
                     "OPENMP+CUDA"]
    assert [c["name"] for c in configs if c["opt_in"]] == ["OPENMP+CUDA"]
    proc = xaas("app", "configs", str(HEAT2D / "app.yaml"), "--arch", "aarch64")
    names = [c["name"] for c in json.loads(proc.stdout)["configs"]]
    assert names == ["None", "ARM_NEON_ASIMD", "OPENMP+None", "OPENMP+ARM_NEON_ASIMD",
                     "OPENMP+CUDA"]


def test_demo_without_build_writes_report(tmp_path: Path) -> None:
    proc = xaas("demo", "--no-build", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "xaas-report.json").read_text())
    assert report["app"]["name"] == "heat2d"
    assert report["intersection"]["choice"]["cmake_args"]
    assert "Chosen configuration" in proc.stdout
    assert report["build"] is None


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """``xaas demo`` once per engine (the default, parsl, and direct): a build each, shared by
    the tests below so the default test run pays for two demos, not three."""
    runs = {}
    for engine in ("parsl", "direct"):
        cwd = tmp_path_factory.mktemp(f"demo-{engine}")
        proc = xaas("demo", *(["--engine", engine] if engine != "parsl" else []), cwd=cwd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs[engine] = (cwd, json.loads((cwd / "xaas-report.json").read_text()))
    return runs


def test_demo_builds_and_tests_the_chosen_configuration(
        demo_runs: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    _, report = demo_runs["parsl"]
    assert report["tests"] and all(t["passed"] for t in report["tests"])
    assert Path(report["build"]["prefix"], "bin", "heat2d-test").exists()
    simd = report["intersection"]["choice"]["simd"]
    assert simd in report["tests"][0]["output"]


@pytest.mark.usefixtures("reference")
def test_demo_for_another_node_plans_without_building(tmp_path: Path) -> None:
    proc = xaas("demo", "--system", str(SYSTEMS / "clariden-alps.json"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "xaas-report.json").read_text())
    assert report["build"] is None
    assert report["configuration"] == "OPENMP+ARM_NEON_ASIMD"
    assert "-DCMAKE_CUDA_ARCHITECTURES=90" in report["cmake_args"]
    assert not (tmp_path / ".xaas-demo").exists()


def test_demo_engines_agree(demo_runs: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    reports = {engine: report for engine, (_, report) in demo_runs.items()}
    assert reports["parsl"]["engine"] == "parsl:local"
    for key in ("configuration", "cmake_args", "passed"):
        assert reports["parsl"][key] == reports["direct"][key]
    assert (demo_runs["parsl"][0] / ".xaas-demo" / "runinfo").is_dir()


@pytest.mark.usefixtures("reference")
def test_spec_score_lists_mismatches(tmp_path: Path) -> None:
    gt = SPECS / "gromacs-2025.0.json"
    data = json.loads(gt.read_text())
    del data["simd_vectorization"]["AVX_512"]
    data["gpu_backends"]["CUDA"]["build_flag"] = "-DGMX_GPU=Cuda"
    data["gpu_backends"]["HIP"]["build_flag"] = "-DGMX_GPU=HIP=ON"  # =ON is ignored
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps(data))
    proc = xaas("spec", "score", str(pred), str(gt))
    assert proc.returncode == 0, proc.stderr
    assert "missing   simd_vectorization.AVX_512.build_flag" in proc.stdout
    assert "different gpu_backends.CUDA.build_flag" in proc.stdout
    result = json.loads(xaas("spec", "score", str(pred), str(gt), "--json").stdout)
    assert result["fn"] == 2 and result["fp"] == 1 and 0.9 < result["f1"] < 1.0
    same = json.loads(xaas("spec", "score", str(gt), str(gt), "--json").stdout)
    assert same["f1"] == 1.0


def test_demo_deploys_from_the_ir_bundle(tmp_path: Path) -> None:
    proc = xaas("demo", "--deploy", "ir", "--engine", "direct", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "xaas-report.json").read_text())
    build = report["build"]
    # with a Docker engine (runtime auto) the IR container is deployed: mode container, kind ir
    assert (build["mode"], build.get("image_kind", "ir")) in {("ir", "ir"), ("container", "ir")}
    assert build["configuration"] == report["configuration"]
    assert report["build"]["bundle"]["unique_irs"] < report["build"]["bundle"]["compile_jobs"]
    assert report["passed"] is True
