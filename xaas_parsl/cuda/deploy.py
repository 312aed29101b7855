"""The CUDA runtime a deployed install carries (the runtime library, never the driver).

An IR build of a CUDA configuration copies ``libcudart.so.<major>`` from the toolchain into
the bundle (``cuda-runtime/``), so deploying needs no CUDA toolchain; deployment copies it
into the install's ``lib/`` (the programs' RUNPATH ``$ORIGIN/../lib`` finds it; the driver's
``libcuda.so.1`` comes from the node, through the container runtime's GPU hooks) and records
the runtime version in ``share/xaas/cuda-runtime.json``, which ``xaas ir gpu-compat`` reads
to check the node's driver.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from xaas_parsl.cuda.toolchain import CudaToolchain
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json, write_json

RECORD = Path("share") / "xaas" / "cuda-runtime.json"
_VERSION = re.compile(r"^\d+\.\d+$")


BUNDLE_DIR = "cuda-runtime"


def add_runtime(install: Path, chain: CudaToolchain) -> dict[str, str]:
    """Copy the CUDA runtime library into ``install/lib`` and record its version."""
    return _place(install, chain.libcudart, chain.version)


def _place(install: Path, library: Path, version: str) -> dict[str, str]:
    lib = install / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    target = lib / library.name
    shutil.copy2(library, target)
    record = {"runtime": version, "library": str(target.relative_to(install))}
    write_json(install / RECORD, record)
    return record


def bundle_runtime(bundle: Path, chain: CudaToolchain) -> dict[str, str]:
    """Keep the CUDA runtime in the bundle (``cuda-runtime/``) for deployments."""
    return add_runtime(bundle / BUNDLE_DIR, chain)


def install_runtime(bundle: Path, install: Path) -> dict[str, str] | None:
    """Copy the bundle's CUDA runtime into ``install``; ``None`` when the bundle has none."""
    source = bundle / BUNDLE_DIR
    if not (source / RECORD).is_file():
        return None
    data = load_json(source / RECORD)
    version = recorded_runtime(source)
    name = Path(str(data.get("library", ""))).name
    library = source / "lib" / name
    if not name.startswith("libcudart.so.") or not library.is_file():
        raise InputError("the bundle's CUDA runtime record names no libcudart", source / RECORD)
    return _place(install, library, version)


def recorded_runtime(path: Path) -> str:
    """The CUDA runtime version an install tree records (``InputError`` if it has none)."""
    record = path / RECORD
    if not path.is_dir() or not record.is_file():
        raise InputError(f"no {RECORD} (not a CUDA deployment): give --runtime X.Y", path)
    data = load_json(record)
    version = data.get("runtime") if isinstance(data, dict) else None
    if not isinstance(version, str) or not _VERSION.match(version):
        raise InputError("'runtime' must be a version like 12.4", record)
    return version
