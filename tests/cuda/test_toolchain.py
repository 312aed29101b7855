"""The wheel-installed CUDA toolchain, its assembled root and the fatbinary adapter."""

from __future__ import annotations

from pathlib import Path

from tests.cuda.conftest import need_cuda
from xaas_parsl.cuda.fatbinary import translate
from xaas_parsl.cuda.toolchain import cuda_root, locate_toolchain, runtime_version


def test_runtime_version_from_header() -> None:
    assert runtime_version("#define CUDART_VERSION 12040\n") == "12.4"
    assert runtime_version("#define CUDART_VERSION  11080") == "11.8"
    assert runtime_version("nothing") is None


def test_translate_clang_images_to_image3() -> None:
    argv = ["-64", "--create", "o.fatbin", "--image=profile=sm_70,file=/t/a-sm_70.o",
            "--image=profile=compute_90,file=/t/a-sm_90.s", "--image=profile=sm_90a,file=x"]
    assert translate(argv) == ["-64", "--create", "o.fatbin",
                               "--image3=kind=elf,sm=70,file=/t/a-sm_70.o",
                               "--image3=kind=ptx,sm=90,file=/t/a-sm_90.s",
                               "--image3=kind=elf,sm=90a,file=x"]


def test_toolchain_is_cuda_12_and_root_is_a_cuda_installation(tmp_path: Path) -> None:
    need_cuda()
    chain = locate_toolchain()
    assert chain.version.startswith("12.")  # 13 cannot compile for Volta (sm_70)
    root = cuda_root(chain, tmp_path)
    for rel in ("bin/ptxas", "bin/fatbinary", "include/cuda.h", "include/cuda_runtime.h",
                "include/curand_mtgp32_kernel.h", "include/nv/target",
                "nvvm/libdevice/libdevice.10.bc", "lib64/libcudart.so"):
        assert (root / rel).exists(), rel
    assert cuda_root(chain, tmp_path) == root  # cached: the second call builds nothing
    assert len([p for p in tmp_path.iterdir()]) == 1
