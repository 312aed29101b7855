"""``xaas ir gpu-targets``: the fat-binary reader against binaries built outside the project
and against NVIDIA's cuobjdump (CUDA 13 wheel; it reads CUDA 12 binaries too)."""

from __future__ import annotations

import contextlib
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cuda.conftest import need_cuda
from xaas_parsl.cli.main import main
from xaas_parsl.errors import InputError
from xaas_parsl.ir.fatbin import FATBIN_MAGIC, FatbinEntry, gpu_targets, parse_fatbin

DATA = Path(__file__).resolve().parents[1] / "cuda" / "data"
# Built once, outside the project, from data/axpy.cu:
#  axpy-clang19.o: clang++-19 -c --cuda-gpu-arch=sm_70/80/90 --no-cuda-include-ptx=sm_70/80
#                  with CUDA 12.4 ptxas (the sites' architectures, PTX for compute_90 only)
#  axpy-nvcc13.o:  nvcc 13.5 -c -gencode for 75/80/90 + compute_90 (nvcc 13 has no sm_70)
CLANG_OBJ = DATA / "axpy-clang19.o"
NVCC_OBJ = DATA / "axpy-nvcc13.o"


def cuobjdump_targets(path: Path) -> list[str]:
    """``cuobjdump --list-elf --list-ptx`` as bare names (sm_XX / compute_XX)."""
    from xaas_parsl.cuda.toolchain import locate_toolchain

    tool = locate_toolchain().fatbinary.with_name("cuobjdump")
    out = subprocess.run([str(tool), "--list-elf", "--list-ptx", str(path)], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for kind, arch in re.findall(r"^(ELF|PTX) file\s+\d+: .*\.sm_(\d+a?)\.(?:cubin|ptx)$", out,
                                 flags=re.MULTILINE):
        names.add(f"{'sm' if kind == 'ELF' else 'compute'}_{arch}")
    return sorted(names, key=lambda n: (n.startswith("compute"), int(n.split("_")[1])))


def test_clang_fat_binary_has_sass_for_the_sites_and_ptx_for_90() -> None:
    assert gpu_targets(CLANG_OBJ) == ["sm_70", "sm_80", "sm_90", "compute_90"]


def test_nvcc_binary_read() -> None:
    assert gpu_targets(NVCC_OBJ) == ["sm_75", "sm_80", "sm_90", "compute_90"]


@pytest.mark.parametrize("obj", [CLANG_OBJ, NVCC_OBJ], ids=["clang19", "nvcc13"])
def test_agrees_with_cuobjdump(obj: Path) -> None:
    need_cuda()
    assert gpu_targets(obj) == cuobjdump_targets(obj)


def test_install_tree_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "lib").mkdir()
    shutil.copy(CLANG_OBJ, tmp_path / "lib" / "a.o")
    shutil.copy(NVCC_OBJ, tmp_path / "b.o")
    (tmp_path / "README").write_text("not a binary")
    (tmp_path / "outside").symlink_to("/usr/bin")  # never followed out of the tree
    assert main(["ir", "gpu-targets", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == ["sm_70", "sm_75", "sm_80", "sm_90", "compute_90"]
    assert main(["ir", "gpu-targets", str(tmp_path / "README")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("xaas: error: ") and "neither an ELF file nor a fat binary" in err


def _container(entries: list[tuple[int, int, bytes]]) -> bytes:
    body = b""
    for kind, sm, payload in entries:
        padded = payload + b"\0" * (-len(payload) % 8)
        body += struct.pack("<HHIQIIHHI", kind, 0x0101, 64, len(padded), 0, 0, 7, 1, sm)
        body += b"\0" * (64 - 32) + padded
    return struct.pack("<IHHQ", FATBIN_MAGIC, 1, 16, len(body)) + body


_entries = st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(30, 130),
                              st.binary(max_size=40)), max_size=5)


@given(st.lists(_entries, min_size=1, max_size=3))
def test_parse_roundtrip(containers: list[list[tuple[int, int, bytes]]]) -> None:
    data = b"".join(_container(c) for c in containers)
    expected = [FatbinEntry("elf" if k == 2 else "ptx", sm) for c in containers for k, sm, _ in c]
    assert parse_fatbin(data) == expected


@given(st.binary(max_size=200), st.integers(0, 200))
def test_malformed_is_an_input_error(noise: bytes, cut: int) -> None:
    data = _container([(2, 70, b"x" * 24), (1, 90, b"ptx")])
    for blob in (data[:cut] + noise, noise):
        with contextlib.suppress(InputError):  # any other exception fails the test
            parse_fatbin(blob)


HIP_OBJ = DATA / "stencil-hipcc52-gfx90a.o"  # Debian's hipcc 5.2.3 (clang-15), heat2d's kernel
BUNDLER = Path("/usr/lib/llvm-15/bin/clang-offload-bundler")  # comes with Debian's hipcc


def test_hip_offload_bundle_targets(tmp_path: Path) -> None:
    assert gpu_targets(HIP_OBJ) == ["gfx90a"]
    if not BUNDLER.is_file():
        pytest.skip("clang-offload-bundler (Debian hipcc) not installed: own reader only")
    section = tmp_path / "hip.bundle"
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.hip_fatbin", str(HIP_OBJ),
                    str(section)], check=True)
    listed = subprocess.run([str(BUNDLER), "--list", "--type=o", f"--input={section}"],
                            check=True, capture_output=True, text=True).stdout.split()
    assert [t.rsplit("-", 1)[-1] for t in listed if "amdgcn" in t] == ["gfx90a"]


@given(st.binary(max_size=120), st.integers(0, 120))
def test_malformed_offload_bundle_is_an_input_error(noise: bytes, cut: int) -> None:
    from xaas_parsl.ir.fatbin import BUNDLE_MAGIC, parse_offload_bundle

    triple = b"hipv4-amdgcn-amd-amdhsa--gfx942"
    good = BUNDLE_MAGIC + struct.pack("<QQQQ", 1, 96, 4, len(triple)) + triple
    good += b"\0" * (96 - len(good)) + b"code"
    assert parse_offload_bundle(good) == ["gfx942"]
    for blob in (good[:cut] + noise, BUNDLE_MAGIC + noise):
        with contextlib.suppress(InputError):  # any other exception fails the test
            parse_offload_bundle(blob)
