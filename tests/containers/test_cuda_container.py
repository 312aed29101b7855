"""The CUDA toolchain image and heat2d's ``OPENMP+CUDA`` built and deployed in containers.

The plan (wheels, key, tag, labels, pip line) is pinned without an engine; the rest runs on the
real Docker engine: the CUDA toolchain image (cached by key: ~30 s the first time, nothing
after), the IR bundle of ``OPENMP+CUDA`` built inside it and the deployment lowered inside the
IR image (cached by content hash, ~3 min the first time, reused after), and the lean runtime
image checked for ``libcudart`` (and not the driver, nor the toolkit). The deployment tests are
``slow`` (``./scripts/check.sh -m slow tests/containers/test_cuda_container.py``): the default
run builds the image and the IR bundle in it, which is what a cold CI engine can afford.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO
from xaas_parsl.containers import cuda_image as C
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.images import BaseImage
from xaas_parsl.errors import ToolError

CONFIG = "OPENMP+CUDA"
WHEELS = ("nvidia-cuda-nvcc-cu12==12.4.131", "nvidia-cuda-runtime-cu12==12.4.127",
          "nvidia-cuda-cccl-cu12==12.9.27", "nvidia-curand-cu12==10.3.5.147",
          "nvidia-cuda-nvcc==13.5.37")
BASE = BaseImage("toolchain", ("clang-19",), "http://deb.example/debian")


def test_image_wheels_are_the_cuda_extra() -> None:
    """The image installs the ``cuda`` extra's wheels with its specifiers (cuobjdump aside)."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    extra = {Requirement(line).name: str(Requirement(line).specifier)
             for line in cfg["options.extras_require"]["cuda"].strip().splitlines()}
    extra.pop("nvidia-cuda-cuobjdump")
    assert {n: str(Requirement(n + s).specifier) for n, s in C.WHEELS.items()} == extra


def test_installed_wheels_checked_against_the_extra() -> None:
    found = dict(w.split("==") for w in WHEELS)
    assert C.installed_wheels(dict(found)) == WHEELS
    with pytest.raises(ToolError,
                       match=re.escape("nvidia-cuda-nvcc-cu12 12.6.77 is not ==12.4.131")):
        C.installed_wheels({**found, "nvidia-cuda-nvcc-cu12": "12.6.77"})
    with pytest.raises(ToolError, match=re.escape("nvidia-cuda-nvcc 14.0.1 is not >=13,<14")):
        C.installed_wheels({**found, "nvidia-cuda-nvcc": "14.0.1"})
    with pytest.raises(ToolError, match="nvidia-curand-cu12 is not installed"):
        C.installed_wheels({**found, "nvidia-curand-cu12": None})


def test_image_key_tag_and_labels() -> None:
    image = C.CudaToolchainImage(BASE, WHEELS)
    assert image.runtime == "12.4"
    assert re.fullmatch(r"xaas/toolchain:bookworm-cuda12\.4-[0-9a-f]{12}", image.ref)
    other = C.CudaToolchainImage(BASE, (*WHEELS[:2], "nvidia-cuda-cccl-cu12==12.8.90",
                                        *WHEELS[3:]))
    assert other.key != image.key  # another wheel version is another image
    assert C.CudaToolchainImage(BASE, WHEELS[::-1]).key == image.key  # order does not matter
    labels = image.labels()
    assert labels[L.KIND] == "toolchain" and labels[C.VARIANT_LABEL] == "cuda"
    assert labels[C.CUDA_RUNTIME_LABEL] == "12.4" and labels[L.BASE_KEY] == image.key
    assert json.loads(labels[C.WHEELS_LABEL]) == list(WHEELS)
    assert labels[L.TOOLCHAIN].endswith("+ CUDA 12.4 (PyPI wheels)")


def test_pip_line_installs_exactly_the_pinned_wheels(tmp_path: Path) -> None:
    argv = C.pip_argv("/usr/bin/python3", tmp_path, WHEELS)
    assert argv[:4] == ["/usr/bin/python3", "-m", "pip", "install"]
    assert "--no-deps" in argv and argv[argv.index("--only-binary") + 1] == ":all:"
    assert argv[argv.index("--target") + 1] == str(tmp_path)
    assert argv[-len(WHEELS):] == list(WHEELS)
    assert not C.SITE.startswith("opt/xaas")  # deployment copies /opt/xaas into the runtime


def test_only_a_cuda_configuration_builds_in_the_cuda_image(
        heat2d: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPU configurations (and the default: all non-opt-in ones) keep the base toolchain;
    naming a CUDA one, alone or with others, selects the CUDA toolchain image."""
    from xaas_parsl.containers import ir_image
    from xaas_parsl.errors import InputError

    monkeypatch.setattr(ir_image, "require_base", lambda client, kind: f"base-{kind}")
    monkeypatch.setattr(C, "ensure_cuda_toolchain", lambda client: {"image": "cuda-image"})
    client: Any = None  # never used: both engine calls are replaced
    assert ir_image.toolchain_base(client, heat2d, None) == "base-toolchain"
    assert ir_image.toolchain_base(client, heat2d, ["None"]) == "base-toolchain"
    assert ir_image.toolchain_base(client, heat2d, [CONFIG]) == "cuda-image"
    assert ir_image.toolchain_base(client, heat2d, ["None", CONFIG]) == "cuda-image"
    with pytest.raises(InputError, match="unknown configuration 'CUDA_9'"):
        ir_image.toolchain_base(client, heat2d, ["CUDA_9"])


# --- on the real engine ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cuda_ready() -> None:
    from tests.cuda.conftest import need_cuda

    need_cuda()


def _xaas_json(*args: str) -> dict[str, Any]:
    """Run the ``xaas`` command line (this checkout's code via ``PYTHONPATH``); its JSON."""
    from tests.containers.test_docker_cli import XAAS

    # a first build on the shared 2-core machine takes minutes: a longer limit than _xaas's
    proc = subprocess.run([XAAS, *args, "--json"], capture_output=True, text=True,
                          check=False, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.fixture(scope="module")
def cuda_ir(engine: Any, bases: dict[str, Any], heat2d: Any, cuda_ready: None
            ) -> dict[str, Any]:
    """``xaas container ir build --configs OPENMP+CUDA`` of heat2d (its own tag, so the
    default ``heat2d-ir`` image other tests use is not replaced)."""
    tag = L.ir_ref(heat2d.name, heat2d.version) + "-cuda"
    return _xaas_json("container", "ir", "build", str(heat2d.path), "--configs", CONFIG,
                      "--tag", tag)


@pytest.fixture(scope="module")
def cuda_deployed(cuda_ir: dict[str, Any]) -> dict[str, Any]:
    """``xaas container ir deploy IMAGE --config OPENMP+CUDA``."""
    return _xaas_json("container", "ir", "deploy", cuda_ir["image"], "--config", CONFIG)


def test_cuda_toolchain_image_in_the_engine(engine: Any, bases: dict[str, Any],
                                            cuda_ready: None) -> None:
    row = C.ensure_cuda_toolchain(engine)
    again = C.ensure_cuda_toolchain(engine)
    assert again["action"] == "present" and again["image"] == row["image"]
    image = engine.images.get(row["image"])
    labels = L.labels_of(image.attrs)
    assert labels[L.KIND] == "toolchain" and labels[C.CUDA_RUNTIME_LABEL] == "12.4"
    print(f"CUDA toolchain image {row['image']}: {row['action']} in {row['seconds']} s "
          f"(pip {row['pip_s']} s), {image.attrs['Size'] / 1e6:.0f} MB")


def test_ir_build_in_the_cuda_toolchain_image(engine: Any, cuda_ir: dict[str, Any]) -> None:
    assert cuda_ir["configs"] == [CONFIG]
    base = engine.images.get(cuda_ir["image"]).attrs
    assert L.labels_of(base)[L.TOOLCHAIN].endswith("+ CUDA 12.4 (PyPI wheels)")
    bundle = json.loads(L.labels_of(base)[L.BUNDLE])
    # one device compile per architecture (SASS 70/80/90) plus PTX for 90
    assert bundle["gpu_targets"] == ["sm_70", "sm_80", "sm_90", "compute_90"]
    assert bundle["cuda_device_jobs"] == 4


@pytest.mark.slow  # the deployment: ~80 s more on a cold engine (CI budget)
def test_cuda_deployment_carries_the_fat_binary(cuda_deployed: dict[str, Any],
                                               tmp_path: Path) -> None:
    """The deployed executable holds SASS for every site GPU and PTX, read back from the
    image's install tree by the project's own reader (``xaas ir gpu-targets``)."""
    from xaas_parsl.containers.engine import copy_out
    from xaas_parsl.ir.fatbin import gpu_targets

    assert cuda_deployed["config"] == CONFIG
    tree = copy_out(cuda_deployed["image"], "/opt/xaas/app", tmp_path / "app")
    assert gpu_targets(tree) == ["sm_70", "sm_80", "sm_90", "compute_90"]
    assert json.loads((tree / "share/xaas/cuda-runtime.json").read_text())["runtime"] == "12.4"


RUNTIME_CHECK = (
    "find / \\( -path /proc -o -path /sys \\) -prune -o \\( -name 'libcudart.so*' -o "
    "-name 'libcuda.so*' -o -name ptxas -o -name fatbinary -o -name libdevice.10.bc \\) "
    "-print; ldd /opt/xaas/app/bin/heat2d | grep -i cuda; heat2d-test --no-gpu | tail -1")


@pytest.mark.slow  # the deployment: ~80 s more on a cold engine (CI budget)
def test_cuda_runtime_image_has_libcudart_and_no_driver(cuda_deployed: dict[str, Any]
                                                        ) -> None:
    """The runtime image carries the CUDA runtime the program links, found through its
    RUNPATH; the driver (``libcuda.so``) comes from the node, and no toolkit piece is in."""
    from xaas_parsl.containers.runtime.base import RunSpec
    from xaas_parsl.containers.runtime.docker import DockerRuntime

    res = DockerRuntime().run(RunSpec(cuda_deployed["image"], ("sh", "-c", RUNTIME_CHECK)),
                              300)
    lines = res.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("/")] == ["/opt/xaas/app/lib/libcudart.so.12"]
    assert any("libcudart.so.12 => /opt/xaas/app/bin/../lib/libcudart.so.12" in ln
               for ln in lines), res.stdout
    assert "libcuda.so" not in res.stdout
    assert lines[-1].startswith("heat2d-test: PASS") and "gpu=OFF" in lines[-1], res.stdout


def test_cli_images_bootstrap_cuda(engine: Any, bases: dict[str, Any], cuda_ready: None,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``xaas images bootstrap --cuda --json`` lists the CUDA toolchain image beside the
    base images (made by the tests above at the latest, so present here)."""
    from xaas_parsl.cli.main import main

    C.ensure_cuda_toolchain(engine)
    assert main(["images", "bootstrap", "--cuda", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    [cuda] = [r for r in rows if r.get("variant") == "cuda"]
    assert cuda["action"] == "present" and cuda["image"] == C.cuda_toolchain_image().ref
    assert {r["kind"] for r in rows} == {"toolchain", "runtime"}
