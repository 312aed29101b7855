"""Container CUDA runtime vs node driver, container GPU code vs node GPU: a decision table."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.discovery.load import load_system
from xaas_parsl.discovery.model import Gpu
from xaas_parsl.intersection.cuda_compat import check_container, driver_cuda_version

FULL = ["sm_70", "sm_80", "sm_90", "compute_90"]


def gpu(cc: str, driver: str, cuda: str | None = None) -> Gpu:
    """An NVIDIA GPU; ``cuda`` given = reported by NVML, else from the driver table."""
    return Gpu(vendor="nvidia", name="GPU", compute_capability=cc, driver_version=driver,
               runtime_version=cuda, source="nvml" if cuda else "xaas")


@pytest.mark.parametrize("driver, cuda", [
    ("570.86.15", "12.8"), ("550.54.15", "12.4"), ("550.54.14", "12.4"), ("550.54.13", "12.3"),
    ("525.60.13", "12.0"), ("580.65.06", "13.0"), ("450.80.02", "11.0"), ("390.1", None),
    ("garbage", None)])
def test_driver_table(driver: str, cuda: str | None) -> None:
    assert driver_cuda_version(driver) == cuda


# (case, runtime, targets, node GPU, runs, mode, words expected in the reasons/warnings)
TABLE = [
    ("same version", "12.4", FULL, gpu("9.0", "550.54.15"), True, "native", "supported"),
    ("older runtime, newer driver", "12.4", FULL, gpu("7.0", "570.86.15"), True, "native",
     "SASS sm_70"),
    ("newer minor, minor-version compatibility", "12.8", FULL, gpu("9.0", "550.54.15"), True,
     "minor-version-compatibility", "cannot be JIT-compiled"),
    ("newer minor, driver below the 11.x minimum", "11.4", FULL, gpu("8.0", "450.36.06"), False,
     "refused", "driver 450.36.06 is older than 450.80.02"),
    ("older driver, previous major", "12.2", FULL, gpu("8.0", "520.61.05"), False,
     "refused", "needs a CUDA 12.x driver"),
    ("newer major", "13.0", FULL, gpu("9.0", "570.86.15"), False, "refused",
     "newer major release is never compatible"),
    ("NVML-reported driver CUDA wins", "12.9", FULL, gpu("9.0", "575.51.03", "12.9"), True,
     "native", "reported by the driver"),
    ("PTX-only arch: JIT", "12.4", FULL, gpu("10.0", "580.65.06"), True, "native",
     "JIT-compiles PTX compute_90"),
    ("PTX-only arch under minor-version compatibility", "12.8", FULL, gpu("10.0", "560.28.03"),
     False, "refused", "cannot be JIT-compiled by an older driver"),
    ("same major family SASS", "12.4", ["sm_80"], gpu("8.6", "570.86.15"), True, "native",
     "SASS sm_80 runs on sm_86"),
    ("no code for the arch", "12.4", ["sm_90", "compute_90"], gpu("8.0", "570.86.15"), False,
     "refused", "no code for sm_80"),
    ("arch-specific SASS only on its arch", "12.4", ["sm_90a"], gpu("9.0", "570.86.15"), True,
     "native", "SASS sm_90a"),
    ("unknown driver", "12.4", FULL, gpu("9.0", "unknown"), True, "unknown",
     "cannot check"),
]


@pytest.mark.parametrize("case, runtime, targets, node, runs, mode, words", TABLE,
                         ids=[row[0] for row in TABLE])
def test_compatibility_table(case: str, runtime: str, targets: list[str], node: Gpu,
                             runs: bool, mode: str, words: str) -> None:
    verdict = check_container(runtime, targets, [node])
    text = " | ".join(verdict.reasons + verdict.warnings)
    print(f"{case}: runtime {runtime} on driver {node.driver_version} cc {node.compute_capability}"
          f" -> {'runs' if verdict.runs else 'REFUSED'} ({verdict.mode}): {text}")
    assert (verdict.runs, verdict.mode) == (runs, mode)
    assert words in text


def test_recorded_sites(reference: Path) -> None:
    """The sites' recorded drivers: a CUDA 12.4 container with the site fat binary runs on
    all three NVIDIA systems natively; a 12.8 one needs minor-version compatibility on Alps."""
    base = reference / "xaas" / "system-discovery"
    for name, cuda in (("ault23", "12.8"), ("ault25", "12.8"), ("clariden-alps", "12.4")):
        gpus = list(load_system(base / f"{name}.json").gpus)
        verdict = check_container("12.4", FULL, gpus)
        assert verdict.runs and verdict.mode == "native", (name, verdict)
        assert f"driver CUDA {cuda}" in " ".join(verdict.reasons)
    alps = list(load_system(base / "clariden-alps.json").gpus)
    assert check_container("12.8", FULL, alps).mode == "minor-version-compatibility"
    assert not check_container("12.4", FULL, list(load_system(base / "aurora.json").gpus)).runs


def test_cli_gpu_compat(reference: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``xaas ir gpu-compat``: the fat binary read from the object, a verdict, refusal = exit 1."""
    import json

    from xaas_parsl.cli.main import main

    obj = Path(__file__).resolve().parents[1] / "cuda" / "data" / "axpy-clang19.o"
    ault23 = reference / "xaas" / "system-discovery" / "ault23.json"
    assert main(["ir", "gpu-compat", str(obj), "--runtime", "12.4", "--system", str(ault23)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["runs"], out["mode"], out["targets"]) == (True, "native", FULL)
    assert (out["driver"], out["driver_cuda"]) == ("570.86.15", "12.8")
    assert main(["ir", "gpu-compat", str(obj), "--runtime", "13.0", "--system", str(ault23)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer major release is never compatible" in err
    assert main(["ir", "gpu-compat", str(obj), "--system", str(ault23)]) == 1
    assert "give --runtime" in capsys.readouterr().err
