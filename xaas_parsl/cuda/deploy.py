"""The CUDA runtime a deployed install carries (the runtime library, never the driver).

A CUDA deployment copies ``libcudart.so.<major>`` from the toolchain into the install's
``lib/`` (the program's RUNPATH finds it there; the driver's ``libcuda.so.1`` comes from the
node, through the container runtime's GPU hooks) and records the runtime version in
``share/xaas/cuda-runtime.json``, which ``xaas ir gpu-compat`` reads to check the node's
driver.
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


def add_runtime(install: Path, chain: CudaToolchain) -> dict[str, str]:
    """Copy the CUDA runtime library into ``install/lib`` and record its version."""
    lib = install / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    target = lib / chain.libcudart.name
    shutil.copy2(chain.libcudart, target)
    record = {"runtime": chain.version, "library": str(target.relative_to(install))}
    write_json(install / RECORD, record)
    return record


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
