"""CUDA in the IR path: the opt-in configuration, the split of a CUDA compile command, and
(slow) an IR build + deployment of heat2d's OPENMP+CUDA on this GPU-less machine."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import HEAT2D
from tests.cuda.conftest import need_cuda
from xaas_parsl.cli.main import main
from xaas_parsl.cuda.ir_unit import fatbinary_argv, is_cuda, plan_unit
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.ir.bundle import select_configs
from xaas_parsl.ir.commands import parse_entry

CUDA = "OPENMP+CUDA"


def test_cuda_config_is_listed_opt_in_and_never_built_by_default(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app", "configs", str(HEAT2D / "app.yaml"), "--arch", "x86_64"]) == 0
    configs = json.loads(capsys.readouterr().out)["configs"]
    by_name = {c["name"]: c for c in configs}
    assert by_name[CUDA]["opt_in"] is True and "-DHEAT2D_GPU=CUDA" in by_name[CUDA]["cmake_args"]
    assert "-DHEAT2D_GPU=OFF" not in by_name[CUDA]["cmake_args"]  # overrides 'fixed'
    assert all(not c["opt_in"] for n, c in by_name.items() if n != CUDA)
    app = load_app(HEAT2D)
    assert CUDA not in [c.name for c in select_configs(app, "x86_64", None)]
    chosen = select_configs(app, "x86_64", [CUDA, "None"])
    assert [(c.name, c.toolchain) for c in chosen] == [(CUDA, "cuda"), ("None", None)]


def test_split_cuda_command(tmp_path: Path) -> None:
    src = tmp_path / "k.cu"
    src.write_text("__global__ void k() {}\n")
    entry = {"directory": str(tmp_path), "file": str(src), "output": "k.cu.o", "command":
             "/usr/bin/clang++-19 -DX=1 -O3 --cuda-gpu-arch=sm_70 --no-cuda-include-ptx=sm_70 "
             "--cuda-gpu-arch=sm_80 --no-cuda-include-ptx=sm_80 --cuda-gpu-arch=sm_90 "
             f"--cuda-path=/c -MD -MT k.cu.o -MF k.d -x cuda -c {src} -o k.cu.o"}
    cmd = parse_entry(entry, tmp_path / "compile_commands.json")
    assert is_cuda(cmd)
    plan = plan_unit(cmd)
    assert (plan.archs, plan.ptx) == (("sm_70", "sm_80", "sm_90"), ("sm_90",))
    assert not any(a.startswith(("--cuda-gpu-arch", "--no-cuda-include-ptx", "-M", "-o"))
                   for a in plan.base)
    sass = plan.device_argv("sm_80", Path("o.cubin"), ptx=False)
    assert sass[-5:] == ["--cuda-device-only", "-c", str(src), "-o", "o.cubin"]
    assert "--cuda-gpu-arch=sm_80" in sass
    assert "-S" in plan.device_argv("sm_90", Path("o.ptx"), ptx=True)
    host = plan.host_argv(Path("d.fatbin"), Path("h.bc"))
    at = host.index("-fcuda-include-gpubinary")
    assert host[at - 1: at + 3] == ["-Xclang", "-fcuda-include-gpubinary", "-Xclang", "d.fatbin"]
    assert "--cuda-host-only" in host and "-emit-llvm" in host
    assert fatbinary_argv(Path("fb"), Path("o"), {"sm_70": Path("a")}, {"sm_90": Path("b")}) == [
        "fb", "-64", "--create", "o", "--image3=kind=elf,sm=70,file=a",
        "--image3=kind=ptx,sm=90,file=b"]


@pytest.mark.slow
def test_ir_build_and_deploy_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Device code compiled once (3 SASS + 1 PTX), host side as IR, deployed without CUDA."""
    need_cuda()
    bundle = tmp_path / "bundle"
    assert main(["ir", "build", str(HEAT2D / "app.yaml"), "--configs", CUDA, "-o", str(bundle),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["gpu_targets"] == ["sm_70", "sm_80", "sm_90", "compute_90"]
    assert summary["cuda_device_jobs"] == 4 and summary["native_jobs"] == 0
    manifest = json.loads((bundle / "configs" / f"{CUDA}.json").read_text())
    cu = [u for u in manifest["units"] if u["file"].endswith(".cu")]
    assert len(cu) == 1 and cu[0]["kind"] == "ir" and "fat binary" in cu[0]["reason"]
    assert main(["ir", "build", str(HEAT2D / "app.yaml"), "--configs", CUDA, "-o", str(bundle),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["emitted"] == 0  # nothing changed
    assert main(["ir", "deploy", str(bundle), "--config", CUDA, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["compiled_natively"] == [] and result["cuda_runtime"].startswith("12.")
    install = Path(result["install_dir"])
    assert main(["ir", "gpu-targets", str(install)]) == 0
    assert capsys.readouterr().out.split() == ["sm_70", "sm_80", "sm_90", "compute_90"]
    assert (install / "lib" / "libcudart.so.12").is_file()  # the runtime, never the driver:
    assert not [p for p in install.rglob("libcuda.so*")]  # libcuda comes from the node
    run = subprocess.run([str(install / "bin" / "heat2d-test"), "--no-gpu"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "heat2d-test: PASS" in run.stdout
