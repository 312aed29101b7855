"""The CUDA variant of the toolchain image: the base toolchain plus the CUDA 12 wheels.

An IR build of a CUDA configuration inside a container needs what ``pip install -e
'.[cuda]'`` gives the host (``xaas_parsl.cuda.toolchain``): CUDA 12.4's ptxas, libdevice,
headers and ``libcudart``, and NVIDIA's ``fatbinary`` from the CUDA 13 wheel. No image
registry is reachable and containers build with the network off, so the wheels are installed
on the host, with the project's pip, from PyPI (pip's cache makes a second stage free) into a
staging directory (``pip install --target --no-deps --only-binary :all:``: the wheels are
``py3-none-manylinux`` data, independent of the Python that installs them), tarred, and put
into a container of the toolchain base image, which is committed as
``xaas/toolchain:bookworm-cuda<X.Y>-<key>``. Nothing but PyPI is downloaded.

The versions are those installed on the host (checked against the ``cuda`` extra's
specifiers, :data:`WHEELS`), so an in-container bundle and a host bundle use the same
toolkit. The key hashes the base image's key, the exact wheel versions and the trim list;
the staged tarball is cached under the image cache by that key, so only the first build
downloads and unpacks, and a present tag builds nothing.

Files the toolchain never runs are trimmed (:data:`TRIM`: CUDA 13's compilers, of which only
``fatbinary`` packs; libnvvm, since clang-19 compiles CUDA itself; curand's library, of which
only a header is included), which keeps the layer at ~70 MB instead of ~330 MB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import commit, container, has_image
from xaas_parsl.containers.images import (
    PATH_ENV,
    TOOLCHAIN_NAME,
    BaseImage,
    base_images,
    cache_dir,
    require_base,
    run_logged,
)
from xaas_parsl.cuda.toolchain import INSTALL_HINT
from xaas_parsl.errors import ToolError

if TYPE_CHECKING:
    import docker

KEY_VERSION = 1  # bump when staging or trimming changes
#: The ``cuda`` extra's wheels the image needs, with the extra's specifiers (setup.cfg; a
#: test keeps them equal). ``nvidia-cuda-cuobjdump`` is left out: only tests use it.
WHEELS = {
    "nvidia-cuda-nvcc-cu12": "==12.4.131",
    "nvidia-cuda-runtime-cu12": "==12.4.127",
    "nvidia-cuda-cccl-cu12": ">=12.4,<13,!=12.4.127",
    "nvidia-curand-cu12": "==10.3.5.147",
    "nvidia-cuda-nvcc": ">=13,<14",
}
RUNTIME_WHEEL = "nvidia-cuda-runtime-cu12"
#: Paths (relative to the staged site directory) the toolchain never uses.
TRIM = ("nvidia/cu13/bin/nvcc", "nvidia/cu13/bin/nvlink", "nvidia/cu13/bin/ptxas",
        "nvidia/cu13/bin/cudafe++", "nvidia/cuda_nvcc/nvvm/lib64", "nvidia/curand/lib")
#: Where the wheels live in the image; a ``.pth`` file in Debian's site directory puts it on
#: ``sys.path`` of the image's ``python3``, whatever its minor version. Not under
#: ``/opt/xaas``: deployment copies that tree (the install, the package) into the runtime
#: image, which must get ``libcudart`` alone, not the toolkit.
SITE = "usr/local/lib/xaas-cuda/site-packages"
PTH = "usr/lib/python3/dist-packages/xaas-cuda.pth"
VARIANT_LABEL = L.PREFIX + "toolchain.variant"  # "cuda" on this image
CUDA_RUNTIME_LABEL = L.PREFIX + "cuda.runtime"  # the libcudart version, "12.4"
WHEELS_LABEL = L.PREFIX + "cuda.wheels"  # JSON list of name==version


@dataclass(frozen=True)
class CudaToolchainImage:
    """The CUDA toolchain image: its base and the exact wheels (``name==version``)."""

    base: BaseImage
    wheels: tuple[str, ...]

    @property
    def runtime(self) -> str:
        """The CUDA runtime version its ``libcudart`` has (``"12.4"``)."""
        version = next(w for w in self.wheels if w.startswith(RUNTIME_WHEEL + "=="))
        release = Version(version.split("==", 1)[1]).release
        return f"{release[0]}.{release[1]}"

    @property
    def key(self) -> str:
        """12 hex digits of (base key, wheels, trim list)."""
        return L.content_hash({"base": self.base.key, "wheels": sorted(self.wheels),
                               "trim": list(TRIM), "site": SITE,
                               "v": KEY_VERSION})[:12]

    @property
    def ref(self) -> str:
        """``xaas/toolchain:<suite>-cuda<X.Y>-<key>`` (the base's repository, kind toolchain,
        so pruning keeps it like the base)."""
        return f"xaas/toolchain:{self.base.suite}-cuda{self.runtime}-{self.key}"

    @property
    def name(self) -> str:
        """The toolchain label: the base's compiler plus the CUDA toolkit."""
        return f"{TOOLCHAIN_NAME} + CUDA {self.runtime} (PyPI wheels)"

    def labels(self) -> dict[str, str]:
        """The image's ``org.xaas.*`` labels."""
        return {L.KIND: "toolchain", L.BASE_KEY: self.key, L.ARCH: self.base.arch,
                L.TOOLCHAIN: self.name, VARIANT_LABEL: "cuda",
                CUDA_RUNTIME_LABEL: self.runtime,
                WHEELS_LABEL: json.dumps(list(self.wheels), separators=(",", ":"))}


def installed_wheels(installed: dict[str, str | None] | None = None) -> tuple[str, ...]:
    """``name==version`` of each of :data:`WHEELS` as installed here, checked against the
    extra's specifiers (``installed``: name -> version, for tests; default: this Python's)."""
    if installed is None:
        installed = {}
        for name in WHEELS:
            try:
                installed[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed[name] = None
    out = []
    for name, spec in WHEELS.items():
        version = installed.get(name)
        if version is None:
            raise ToolError(f"{name} is not installed; {INSTALL_HINT}")
        if not SpecifierSet(spec).contains(Version(version), prereleases=True):
            raise ToolError(f"{name} {version} is not {spec} (the cuda extra); {INSTALL_HINT}")
        out.append(f"{name}=={version}")
    return tuple(out)


def cuda_toolchain_image(base: BaseImage | None = None,
                         wheels: tuple[str, ...] | None = None) -> CudaToolchainImage:
    """The CUDA toolchain image for this machine's toolchain base and installed wheels."""
    return CudaToolchainImage(base or base_images()["toolchain"], wheels or installed_wheels())


def pip_argv(python: str, target: Path, wheels: tuple[str, ...]) -> list[str]:
    """``pip install`` of exactly ``wheels`` (no dependencies, wheels only) into ``target``."""
    return [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
            "--no-deps", "--only-binary", ":all:", "--no-compile", "--target", str(target),
            *wheels]


def tarball(image: CudaToolchainImage) -> Path:
    """The cached staging tarball of ``image`` (the wheels' site directory, the ``.pth``)."""
    return cache_dir() / f"toolchain-cuda-{image.key}.tar"


def stage(image: CudaToolchainImage) -> tuple[Path, float]:
    """Install, trim and tar the wheels (cached: a present tarball is returned as is).

    Written under a temporary name and renamed, so an interrupted stage leaves nothing a later
    run would trust. Returns the tarball and the seconds staging took (0 when cached).
    """
    out = tarball(image)
    if out.is_file():
        return out, 0.0
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xaas-cuda-", dir=out.parent) as tmp:
        root = Path(tmp) / "root"
        site = root / SITE
        log = out.parent / f"toolchain-cuda-{image.key}.pip.log"
        run_logged(pip_argv(sys.executable, site, image.wheels), log,
                   "installing the CUDA wheels")
        for rel in TRIM:
            path = site / rel
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        (root / PTH).parent.mkdir(parents=True)
        (root / PTH).write_text(f"/{SITE}\n", encoding="utf-8")
        partial = out.with_suffix(".tar.part")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "--owner=0", "--group=0",
                        "-cf", str(partial), "usr"], check=True)
        os.replace(partial, out)
    return out, time.perf_counter() - start


def ensure_cuda_toolchain(client: docker.DockerClient) -> dict[str, Any]:
    """The CUDA toolchain image in the engine: ``present``, ``imported`` (cached tarball) or
    ``built`` (pip ran); the base toolchain image must be there (``xaas images bootstrap``)."""
    start = time.perf_counter()
    image = cuda_toolchain_image()
    action, pip_s = "present", 0.0
    if not has_image(client, image.ref):
        base = require_base(client, "toolchain")
        action = "imported" if tarball(image).is_file() else "built"
        path, pip_s = stage(image)
        with container(client, base, ["/bin/true"]) as ctr, path.open("rb") as data:
            ctr.put_archive("/", data)
            commit(ctr, image.ref, image.labels(), {"PATH": PATH_ENV, "LANG": "C.UTF-8"},
                   ["/bin/sh"], "/")
    return {"image": image.ref, "kind": "toolchain", "variant": "cuda",
            "cuda_runtime": image.runtime, "arch": image.base.arch, "action": action,
            "wheels": list(image.wheels), "tarball": str(tarball(image)),
            "pip_s": round(pip_s, 1), "seconds": round(time.perf_counter() - start, 1)}
