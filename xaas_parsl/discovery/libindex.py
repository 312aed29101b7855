"""Where shared libraries are, and which modules are loaded: the inputs of library discovery.

HPC software rarely lives in the linker cache: modules (Lmod, Environment Modules, Cray PE,
uenv views) put it on ``LD_LIBRARY_PATH``. So the index merges, in this order of precedence,
the directories of ``LD_LIBRARY_PATH``/``LIBRARY_PATH``/Cray's ``CRAY_LD_LIBRARY_PATH``, the
library directories of well-known root variables (``MKLROOT``, ``CUDA_HOME``, ...), the
``ldconfig -p`` cache, and Debian's multiarch directories with their alternative
subdirectories (``blas/``, ``openblas-pthread/``). Parsing is pure; only ``scan_dir`` touches
the file system.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from xaas_parsl.discovery.versions import clean_version

#: Environment variables holding library search paths (colon-separated).
PATH_VARIABLES = ("LD_LIBRARY_PATH", "LIBRARY_PATH", "CRAY_LD_LIBRARY_PATH")

#: Root variables set by modules, and the library subdirectories under them.
ROOT_VARIABLES: dict[str, tuple[str, ...]] = {
    "MKLROOT": ("lib/intel64", "lib"),
    "I_MPI_ROOT": ("lib/release", "lib"),
    "CRAY_MPICH_DIR": ("lib",),
    "CRAY_LIBSCI_PREFIX_DIR": ("lib",),
    "CUDA_HOME": ("lib64", "lib"),
    "CUDA_PATH": ("lib64", "lib"),
    "ROCM_PATH": ("lib",),
    "CMPLR_ROOT": ("lib", "linux/lib"),
    "FFTW_ROOT": ("lib", "lib64"),
    "FFTW_DIR": ("",),
}

_MULTIARCH = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu",
              "ppc64le": "powerpc64le-linux-gnu"}  # fmt: skip
_ALTERNATIVE_SUBDIRS = re.compile(
    r"^(blas|lapack|openblas.*|blis.*|atlas|mpich|openmpi|libfabric)$"
)
_LDCONFIG_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*)$")
_LDCONFIG_ABI = {"x86_64": "x86-64", "aarch64": "AArch64"}


@dataclass(frozen=True)
class LibFile:
    """One shared library: its file name, the path it was found at, and where it came from."""

    name: str
    path: str
    source: str


def is_shared_library(name: str) -> bool:
    """``libfoo.so``, ``libfoo.so.1.2``: a shared library file name."""
    return name.startswith("lib") and (name.endswith(".so") or ".so." in name)


def parse_ldconfig(text: str, machine: str) -> list[LibFile]:
    """Parse ``ldconfig -p``; entries of another ABI (32-bit ``libc6`` on x86-64) are dropped."""
    wanted = _LDCONFIG_ABI.get(machine)
    found: list[LibFile] = []
    for line in text.splitlines():
        match = _LDCONFIG_LINE.match(line)
        if not match:
            continue
        name, abi, path = match.group(1), match.group(2), match.group(3).strip()
        if wanted is not None and wanted not in abi:
            continue
        found.append(LibFile(name, path, "ldconfig"))
    return found


def split_path_variable(value: str | None) -> list[str]:
    """Colon-separated directories, empty entries removed, order kept, duplicates dropped."""
    if not value:
        return []
    return list(dict.fromkeys(part for part in value.split(":") if part))


def search_dirs(env: Mapping[str, str], machine: str) -> list[tuple[str, str]]:
    """(directory, source) pairs to scan, most specific first."""
    dirs: list[tuple[str, str]] = []
    for var in PATH_VARIABLES:
        dirs += [(d, var) for d in split_path_variable(env.get(var))]
    for var, subdirs in ROOT_VARIABLES.items():
        root = env.get(var)
        if root:
            dirs += [(str(Path(root) / sub) if sub else root, var) for sub in subdirs]
    triplet = _MULTIARCH.get(machine)
    if triplet:
        dirs += [(f"/usr/lib/{triplet}", "multiarch"), (f"/lib/{triplet}", "multiarch")]
    seen: set[str] = set()
    unique = []
    for directory, source in dirs:
        if directory not in seen:
            seen.add(directory)
            unique.append((directory, source))
    return unique


def scan_dir(directory: str, source: str, *, subdirs: bool = False) -> list[LibFile]:
    """Shared libraries directly in ``directory`` (and Debian alternative subdirectories)."""
    found: list[LibFile] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    for entry in entries:
        if is_shared_library(entry.name):
            found.append(LibFile(entry.name, entry.path, source))
        elif subdirs and _ALTERNATIVE_SUBDIRS.match(entry.name) and entry.is_dir():
            found += scan_dir(entry.path, source)
    return found


def build_index(env: Mapping[str, str], machine: str, ldconfig_text: str | None) -> list[LibFile]:
    """All shared libraries discovery looks at, precedence order kept.

    Duplicates are removed by real directory + file name: on merged-/usr systems
    ``/lib/x86_64-linux-gnu`` and ``/usr/lib/x86_64-linux-gnu`` are one directory.
    """
    files: list[LibFile] = []
    for directory, source in search_dirs(env, machine):
        files += scan_dir(directory, source, subdirs=source == "multiarch")
    if ldconfig_text:
        files += parse_ldconfig(ldconfig_text, machine)
    real_dirs: dict[str, str] = {}
    unique: dict[tuple[str, str], LibFile] = {}
    for lib in files:
        directory = os.path.dirname(lib.path)
        if directory not in real_dirs:
            real_dirs[directory] = os.path.realpath(directory)
        unique.setdefault((real_dirs[directory], lib.name), lib)
    return list(unique.values())


def resolved(path: str) -> str:
    """The real path of a library (Debian's ``libblas.so.3`` -> the alternative's target)."""
    try:
        return os.path.realpath(path)
    except OSError:
        return path


# -- loaded modules -----------------------------------------------------------------------------


def _split_module(spec: str) -> tuple[str, str | None]:
    name, sep, version = spec.strip().rpartition("/")
    if not sep:
        return spec.strip(), None
    return name, version or None


def parse_loaded_modules(loaded: str | None, lmfiles: str | None) -> dict[str, str | None]:
    """Module name -> version from ``LOADEDMODULES`` (else ``_LMFILES_``).

    ``cray-mpich/8.1.30:gcc/13.3.0`` -> ``{"cray-mpich": "8.1.30", "gcc": "13.3.0"}``;
    a module file ``.../modulefiles/cuda/12.6.2.lua`` -> ``{"cuda": "12.6.2"}``. Versions that
    contain whitespace are dropped to ``None`` (never sentences).
    """
    modules: dict[str, str | None] = {}
    if loaded:
        for spec in loaded.split(":"):
            if spec.strip():
                name, version = _split_module(spec)
                modules[name] = _module_version(version)
        return modules
    for path in split_path_variable(lmfiles):
        pure = PurePosixPath(path)
        version = pure.name.removesuffix(".lua")
        modules[pure.parent.name] = _module_version(version)
    return modules


def _module_version(version: str | None) -> str | None:
    return clean_version(version, require_digit=False)
