"""Locating the CUDA 12 toolchain that the ``cuda`` extra installs from PyPI wheels.

NVIDIA's CUDA 12 wheels carry ``ptxas``, libdevice, the headers and ``libcudart`` but no
``nvcc`` driver (``nvidia-cuda-nvcc-cu12`` holds only ``ptxas`` and NVVM), so device code is
compiled by clang-19's CUDA front end, which needs exactly those pieces laid out as a CUDA
installation (``bin/ptxas``, ``include/cuda.h``, ``nvvm/libdevice``, ``lib64``). The wheels
spread them over several packages, so :func:`cuda_root` assembles a tree of symbolic links
(no copy; cached by content) that ``clang --cuda-path`` and CMake's ``CUDAToolkit_ROOT``
accept. Packing the per-architecture images into a fat binary needs NVIDIA's
``fatbinary``, which exists on PyPI only in the CUDA 13 wheel ``nvidia-cuda-nvcc``; it only
packs (CUDA 13's ptxas, which dropped sm_70, is not used), and its ``--image3`` spelling is
adapted to clang-19's ``--image=profile=...`` by ``xaas_parsl.cuda.fatbinary``.

The CUDA 12 wheels are pinned to 12.4: clang-19 knows CUDA up to 12.4/12.5 (newer versions
are "partially supported"), and a 12.4 runtime runs without minor-version compatibility on
every driver the sites record (550.54.15 supports 12.4; see docs/gpu.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xaas_parsl.errors import ToolError

INSTALL_HINT = "install the CUDA extra: pip install -e '.[cuda]' (scripts/setup.sh does)"


def _package_dir(name: str) -> Path | None:
    """Directory of an (often namespace) package of the ``nvidia`` wheels, or ``None``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        if Path(location).is_dir():
            return Path(location)
    return None


@dataclass(frozen=True)
class CudaToolchain:
    """Where the wheels put each piece; ``version`` is the runtime's (``"12.4"``)."""

    nvcc: Path  # nvidia/cuda_nvcc: bin/ptxas, nvvm/libdevice, include/crt
    runtime: Path  # nvidia/cuda_runtime: include/, lib/libcudart.so.12
    cccl: Path  # nvidia/cuda_cccl: include/ (nv/target, cuda/std)
    curand: Path  # nvidia/curand: include/curand_mtgp32_kernel.h, which clang's wrapper includes
    fatbinary: Path  # NVIDIA's fat-binary packer (CUDA 13 wheel)
    version: str

    @property
    def ptxas(self) -> Path:
        """The CUDA 12 ``ptxas`` (still assembles for sm_70)."""
        return self.nvcc / "bin" / "ptxas"

    @property
    def libcudart(self) -> Path:
        """The shared CUDA runtime a deployed program needs (never the driver)."""
        return self.runtime / "lib" / f"libcudart.so.{self.version.split('.')[0]}"


def runtime_version(header_text: str) -> str | None:
    """``#define CUDART_VERSION 12040`` in ``cuda_runtime_api.h`` as ``"12.4"``."""
    match = re.search(r"#define\s+CUDART_VERSION\s+(\d+)", header_text)
    if not match:
        return None
    value = int(match.group(1))
    return f"{value // 1000}.{(value % 1000) // 10}"


def locate_toolchain() -> CudaToolchain:
    """The wheel-installed toolchain, or a ``ToolError`` naming the missing piece."""
    dirs = {name: _package_dir(f"nvidia.{name}") for name in
            ("cuda_nvcc", "cuda_runtime", "cuda_cccl", "curand", "cu13")}
    missing = [n for n, d in dirs.items() if d is None]
    if missing:
        raise ToolError(f"CUDA toolchain incomplete (no nvidia.{missing[0]}); {INSTALL_HINT}")
    nvcc, runtime, cccl, curand, cu13 = (dirs[n] for n in
                                         ("cuda_nvcc", "cuda_runtime", "cuda_cccl", "curand",
                                          "cu13"))
    assert nvcc and runtime and cccl and curand and cu13  # narrowed above
    header = runtime / "include" / "cuda_runtime_api.h"
    version = runtime_version(header.read_text("utf-8", errors="replace")) if header.is_file() \
        else None
    if version is None:
        raise ToolError(f"cannot read CUDART_VERSION from {header}; {INSTALL_HINT}")
    chain = CudaToolchain(nvcc, runtime, cccl, curand, cu13 / "bin" / "fatbinary", version)
    for need in (chain.ptxas, chain.libcudart, chain.fatbinary,
                 nvcc / "nvvm" / "libdevice" / "libdevice.10.bc"):
        if not need.is_file():
            raise ToolError(f"CUDA toolchain incomplete: {need} missing; {INSTALL_HINT}")
    return chain


def _links(chain: CudaToolchain) -> dict[str, Path]:
    """Relative path in the assembled root -> the wheel file or directory it points to."""
    links: dict[str, Path] = {"bin/ptxas": chain.ptxas,
                              "nvvm/libdevice": chain.nvcc / "nvvm" / "libdevice"}
    # Later sources do not replace earlier ones (the runtime's headers win over cccl's).
    for inc in (chain.runtime / "include", chain.nvcc / "include", chain.cccl / "include",
                chain.curand / "include"):
        for entry in sorted(inc.iterdir()):
            if entry.name not in ("__init__.py", "__pycache__"):
                links.setdefault(f"include/{entry.name}", entry)
    for lib in sorted((chain.runtime / "lib").iterdir()):
        if lib.name.startswith("lib"):
            links[f"lib64/{lib.name}"] = lib
    links["lib64/libcudart.so"] = chain.libcudart  # the development name the linker looks for
    return links


def _fatbinary_script(chain: CudaToolchain) -> str:
    """``bin/fatbinary``: clang-19 calls it; it adapts the arguments (see fatbinary.py)."""
    adapter = Path(__file__).with_name("fatbinary.py")
    return ("#!/bin/sh\n# written by xaas_parsl.cuda.toolchain: clang-19's fatbinary call, "
            "adapted for NVIDIA's CUDA 13 fatbinary\n"
            f"exec {shlex.quote(sys.executable)} {shlex.quote(str(adapter))} "
            f"{shlex.quote(str(chain.fatbinary))} \"$@\"\n")


def _nvcc_script(chain: CudaToolchain) -> str:
    """``bin/nvcc`` answers only ``--version`` (with ptxas's, the same toolkit release).

    CMake 3.25 finds a clang-compiled CUDA toolkit by running ``nvcc --version`` in
    ``CUDAToolkit_ROOT/bin``; the CUDA 12 wheels have no nvcc, so anything but ``--version``
    fails and says why.
    """
    return ("#!/bin/sh\n# written by xaas_parsl.cuda.toolchain: the toolkit's version for "
            "CMake; CUDA is compiled by clang-19\n"
            'if [ "$#" -eq 1 ] && [ "$1" = "--version" ]; then\n'
            f"  exec {shlex.quote(str(chain.ptxas))} --version\nfi\n"
            'echo "nvcc: not in the CUDA 12 wheels; compile CUDA with clang++-19 '
            '--cuda-path=$(dirname "$0")/.." >&2\nexit 1\n')


def cuda_root(chain: CudaToolchain | None = None, cache: Path | None = None) -> Path:
    """A CUDA installation tree of links into the wheels, for ``clang --cuda-path``.

    Cached under the user cache directory by a digest of its content, built in a temporary
    directory and renamed into place, so concurrent callers never see half a tree.
    """
    chain = chain or locate_toolchain()
    links = _links(chain)
    script = _fatbinary_script(chain) + _nvcc_script(chain)
    digest = hashlib.sha256(repr((sorted((k, str(v)) for k, v in links.items()),
                                  script)).encode()).hexdigest()[:12]
    if cache is None:  # stdlib only: this also runs inside the CUDA toolchain image
        from xaas_parsl.discovery.runner import default_cache_dir
        cache = default_cache_dir()
    root = cache / f"cuda-{chain.version}-{digest}"
    if (root / "bin" / "fatbinary").is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".cuda-", dir=cache))
    for rel, target in links.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).symlink_to(target)
    for name, text in (("fatbinary", _fatbinary_script(chain)), ("nvcc", _nvcc_script(chain))):
        (tmp / "bin" / name).write_text(text, encoding="utf-8")
        (tmp / "bin" / name).chmod(0o755)
    try:
        os.rename(tmp, root)
    except OSError:  # another process won the race: its tree is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return root


# SASS for the sites' GPUs (Ault V100 7.0, A100 8.0; Alps GH200/H100 9.0) and PTX for 9.0,
# which newer GPUs JIT-compile (CMake's "-real" = SASS only).
SITE_ARCHITECTURES = "70-real;80-real;90"


def cmake_args(compiler: str, launcher: str, architectures: str = SITE_ARCHITECTURES
               ) -> list[str]:
    """CMake arguments that make clang-19 the CUDA compiler with the wheel toolkit.

    ``CMAKE_CUDA_COMPILER_FORCED`` skips CMake's link test, which wants the static
    ``cudart_static``/``cudadevrt`` archives the CUDA 12.4 wheel lacks;
    ``CMAKE_CUDA_RUNTIME_LIBRARY=None`` keeps CMake from adding them, so programs link
    the shared ``libcudart`` they name (``CUDA::cudart``), which the deployment carries.
    """
    root = cuda_root()
    return [f"-DCMAKE_CUDA_COMPILER={compiler}", f"-DCUDAToolkit_ROOT={root}",
            f"-DCMAKE_CUDA_ARCHITECTURES={architectures}",
            "-DCMAKE_CUDA_COMPILER_FORCED=ON", "-DCMAKE_CUDA_RUNTIME_LIBRARY=None",
            "-DCMAKE_CUDA_FLAGS=-Wno-unknown-cuda-version",
            f"-DCMAKE_CUDA_COMPILER_LAUNCHER={launcher}",
            "-DCMAKE_INSTALL_RPATH=$ORIGIN/../lib"]  # the deployed libcudart (cuda/deploy.py)
