"""``discover_local()``: describe the machine this runs on as a ``SystemInfo``.

This is the thin edge that touches the machine. It starts every tool call at once on a thread
pool (compilers, build tools, container runtimes, MPI tools, GPU tools, ``ldconfig``), reads
sysfs/procfs in between, and hands the raw outputs to the pure parsers of the sibling modules.
Banners of executables are cached by executable identity (see ``runner``), so a second run
costs little more than the subprocesses whose answers can change (GPU state, ``ldconfig``).
Nothing here raises for a missing tool or GPU: absence is the answer.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from xaas_parsl.discovery import gpus as gpu_parsers
from xaas_parsl.discovery.backends import BackendEvidence, gpu_backends
from xaas_parsl.discovery.cpu import normalise_arch, probe_cpu
from xaas_parsl.discovery.libindex import LibFile, build_index, parse_loaded_modules, resolved
from xaas_parsl.discovery.libraries import (
    apply_mpi_tool_versions,
    classify_libraries,
    classify_mpi,
    parse_mpi_tool_output,
)
from xaas_parsl.discovery.model import CpuInfo, Gpu, GpuVendor, Library, SystemInfo
from xaas_parsl.discovery.nvidia import SMI_QUERY, NvidiaResult, parse_nvidia_smi, probe_nvml
from xaas_parsl.discovery.runner import ToolCache, default_cache_dir, run, run_cached, which
from xaas_parsl.discovery.toolchain import (
    CONTAINER_RUNTIMES,
    TOOLS,
    compiler_candidates,
    compiler_from_output,
    parse_tool_version,
    runtime_from_output,
)

LOG = logging.getLogger("xaas_parsl.discovery")
CACHE_FILE = "discovery-cache.json"
GPU_TOOL_TIMEOUT = 15.0

T = TypeVar("T")


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _result(future: Future[T] | None, default: T) -> T:
    """A future's result; an unexpected exception in a probe degrades to ``default``."""
    if future is None:
        return default
    try:
        return future.result()
    except Exception:  # a bug in one probe must not hide everything else
        LOG.exception("a discovery probe failed; its part of the result is left empty")
        return default


def _pycpuinfo(cache: ToolCache) -> Callable[[], dict[str, Any]]:
    """py-cpuinfo (slow: ~1 s), cached per boot: the CPU does not change without a reboot."""

    def call() -> dict[str, Any]:
        boot = (_read("/proc/sys/kernel/random/boot_id") or "").strip()
        key = f"pycpuinfo|{socket.gethostname()}|{boot}"
        hit = cache.get(key) if boot else None
        if isinstance(hit, dict):
            return hit
        import cpuinfo

        info: dict[str, Any] = dict(cpuinfo.get_cpu_info())
        if boot:
            cache.put(key, info)
        return info

    return call


def _ldconfig() -> str | None:
    # Non-root PATHs on Debian lack /sbin: look there explicitly.
    exe = which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.access(p, os.X_OK)), None
    )
    return run([exe, "-p"]) if exe else None


def _kfd_nodes() -> list[dict[str, int]]:
    base = Path(gpu_parsers.KFD_NODES)
    try:
        nodes = sorted(base.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0)
    except OSError:
        return []
    props = (_read(node / "properties") for node in nodes)
    return [gpu_parsers.parse_kfd_properties(text) for text in props if text]


def _rocm_version(env: dict[str, str]) -> str | None:
    for root in (env.get("ROCM_PATH"), "/opt/rocm"):
        text = _read(Path(root) / ".info" / "version") if root else None
        if text:
            return gpu_parsers.parse_rocm_version(text)
    return None


def _cuda_version_json(env: dict[str, str], nvcc: str | None) -> str | None:
    roots = [env.get("CUDA_HOME"), env.get("CUDA_PATH"), "/usr/local/cuda"]
    if nvcc:
        roots.append(str(Path(resolved(nvcc)).parent.parent))
    for root in roots:
        text = _read(Path(root) / "version.json") if root else None
        if text:
            return text
    return None


def _nvidia_smi() -> NvidiaResult | None:
    exe = which("nvidia-smi")
    if exe is None:
        return None
    table = run([exe, *SMI_QUERY], timeout=GPU_TOOL_TIMEOUT)
    if table is None:
        return None
    return parse_nvidia_smi(table, run([exe], timeout=GPU_TOOL_TIMEOUT))


def discover_local(*, use_cache: bool = True, cache_dir: Path | None = None) -> SystemInfo:
    """Probe this machine: CPU, GPUs, GPU backends, libraries, compilers, modules, tools.

    ``use_cache=False`` runs every tool afresh and neither reads nor writes the cache;
    ``cache_dir`` defaults to ``$XDG_CACHE_HOME/xaas-parsl``.
    """
    started = time.perf_counter()
    cache = ToolCache((cache_dir or default_cache_dir()) / CACHE_FILE if use_cache else None)
    env = dict(os.environ)
    notes: list[str] = []
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="xaas-discovery") as pool:

        def version_of(path: str, *args: str) -> Future[str | None]:
            return pool.submit(run_cached, cache, path, list(args) or ["--version"])

        cpu_f = pool.submit(probe_cpu, _pycpuinfo(cache))
        nvml_f = pool.submit(probe_nvml)
        ldconfig_f = pool.submit(_ldconfig)
        compilers = compiler_candidates(env, which, resolved)
        compiler_fs = [(c, version_of(c.path)) for c in compilers]
        tool_fs = {name: version_of(path) for name in TOOLS if (path := which(name))}
        runtime_fs = [
            (name, path, version_of(path, *args))
            for name, exe, args in CONTAINER_RUNTIMES
            if (path := which(exe))
        ]
        pkgconfig_fs = _start_pkgconfig(pool)
        mpi_fs = [
            version_of(path, *args)
            for exe, args in (("mpichversion", ("-v",)), ("mpirun", ("--version",)))
            if (path := which(exe))
        ]
        kfd = _kfd_nodes()
        gpu_fs = _start_gpu_tools(pool, kfd_has_gpus=any(n.get("simd_count", 0) > 0 for n in kfd))
        rocm_version = _rocm_version(env)
        index = build_index(env, platform.machine(), _result(ldconfig_f, None))
        libraries = _with_pkgconfig_versions(_libraries(index, mpi_fs), pkgconfig_fs)
        nvidia = _nvidia(nvml_f, notes)
        gpus = list(nvidia.gpus if nvidia else ())
        gpus += _amd_gpus(kfd, rocm_version, gpu_fs)
        gpus += _intel_gpus(gpu_fs)
        gpus += _lspci_only(gpus, gpu_fs, notes)

        compiler_list = [compiler_from_output(c, _result(f, None)) for c, f in compiler_fs]
        outputs = {c.executable: _result(f, None) for c, f in compiler_fs}
        nvcc = next((c.path for c in compilers if c.executable == "nvcc"), None)
        evidence = BackendEvidence(
            nvcc_output=outputs.get("nvcc"),
            cuda_version_json=_cuda_version_json(env, nvcc),
            cuda_driver_version=nvidia.cuda_driver_version if nvidia else None,
            hipcc_output=outputs.get("hipcc"),
            rocm_version=rocm_version,
        )
        info = SystemInfo(
            cpu=_result(cpu_f, _unknown_cpu()),
            gpus=tuple(gpus),
            gpu_backends=tuple(gpu_backends(index, evidence)),
            libraries=tuple(libraries),
            compilers=tuple(compiler_list),
            modules=parse_loaded_modules(env.get("LOADEDMODULES"), env.get("_LMFILES_")),
            container_runtimes=tuple(
                runtime_from_output(name, path, _result(f, None)) for name, path, f in runtime_fs
            ),
            tools={name: parse_tool_version(_result(f, None)) for name, f in tool_fs.items()},
            hostname=socket.gethostname() or None,
            source="discovered",
            notes=tuple(notes),
        )
    cache.save()
    LOG.info(
        "discovery took %.2f s (%d cached tool answers)", time.perf_counter() - started, cache.hits
    )
    return info


def _libraries(index: list[LibFile], mpi_tools: list[Future[str | None]]) -> list[Library]:
    """MPI installations (versions completed by ``mpichversion``/``mpirun``), then the rest."""
    reports = [parse_mpi_tool_output(out) for out in (_result(f, None) for f in mpi_tools) if out]
    mpi = apply_mpi_tool_versions(classify_mpi(index, resolved), [r for r in reports if r])
    return mpi + classify_libraries(index, resolved)


#: Library name -> pkg-config module that knows its release (Debian's libfftw3.so.3.6.10 is
#: FFTW 3.3.10: a soname is not a version, but the .pc file is).
PKGCONFIG_MODULES: dict[str, str] = {
    "FFTW": "fftw3", "OpenBLAS": "openblas", "BLAS": "blas", "LAPACK": "lapack",
    "BLIS": "blis", "ScaLAPACK": "scalapack",
}  # fmt: skip


def _start_pkgconfig(pool: ThreadPoolExecutor) -> dict[str, Future[str | None]]:
    exe = which("pkg-config")
    if exe is None:
        return {}
    return {
        name: pool.submit(run, [exe, "--modversion", module])
        for name, module in PKGCONFIG_MODULES.items()
    }


def _with_pkgconfig_versions(
    libraries: list[Library], versions: dict[str, Future[str | None]]
) -> list[Library]:
    """Fill unknown library versions from pkg-config (only a clean dotted version counts)."""
    out = []
    for lib in libraries:
        future = versions.get(lib.name)
        answer = (_result(future, None) or "").strip() if future and lib.version is None else ""
        version = answer if re.fullmatch(r"\d+(\.\d+)*", answer) else None
        out.append(replace(lib, version=version) if version else lib)
    return out


def _nvidia(nvml: Future[NvidiaResult | None], notes: list[str]) -> NvidiaResult | None:
    """NVML's answer, else nvidia-smi's; a loaded driver that answers neither gets a note."""
    result = _result(nvml, None) or _nvidia_smi()
    if result is None and Path("/proc/driver/nvidia/version").exists():
        notes.append("NVIDIA driver loaded but neither NVML nor nvidia-smi answered")
    notes += result.notes if result else ()
    return result


def _unknown_cpu() -> CpuInfo:
    return CpuInfo(architecture=normalise_arch(platform.machine()), flags_complete=False)


def _start_gpu_tools(
    pool: ThreadPoolExecutor, *, kfd_has_gpus: bool
) -> dict[str, Future[str | None]]:
    """Start the vendor tools that exist; their outputs are read after the fast probes.

    ``rocminfo`` is only the fallback for an unreadable KFD topology, so it is skipped when
    sysfs already showed the AMD GPUs.
    """
    commands = {
        "rocm-smi": ["--showproductname", "--json"],
        **({} if kfd_has_gpus else {"rocminfo": []}),
        "xpu-smi": ["discovery", "--json"],
        "sycl-ls": [],
        "lspci": [],
    }
    started = {}
    for exe, args in commands.items():
        path = which(exe)
        if path is not None:
            started[exe] = pool.submit(run, [path, *args], timeout=GPU_TOOL_TIMEOUT)
    return started


def _amd_gpus(
    kfd: list[dict[str, int]], rocm_version: str | None, tools: dict[str, Future[str | None]]
) -> list[Gpu]:
    smi = _result(tools.get("rocm-smi"), None)
    names = gpu_parsers.parse_rocm_smi_product(smi) if smi else []
    found = gpu_parsers.amd_gpus_from_kfd(kfd, marketing_names=names, rocm_version=rocm_version)
    if found:
        return found
    rocminfo = _result(tools.get("rocminfo"), None)
    return gpu_parsers.parse_rocminfo(rocminfo, rocm_version) if rocminfo else []


def _intel_gpus(tools: dict[str, Future[str | None]]) -> list[Gpu]:
    xpu = _result(tools.get("xpu-smi"), None)
    found = gpu_parsers.parse_xpu_smi_discovery(xpu) if xpu else []
    if found:
        return found
    sycl = _result(tools.get("sycl-ls"), None)
    return gpu_parsers.parse_sycl_ls(sycl) if sycl else []


def _lspci_only(
    known: list[Gpu], tools: dict[str, Future[str | None]], notes: list[str]
) -> list[Gpu]:
    """GPUs of vendors that no driver tool reported, as ``lspci`` sees them."""
    text = _result(tools.get("lspci"), None)
    if not text:
        return []
    vendors: set[GpuVendor] = {"nvidia", "amd", "intel"}
    extra = gpu_parsers.gpus_from_lspci(
        text.splitlines(), vendors=vendors - {g.vendor for g in known}
    )
    if extra:
        notes.append(f"{len(extra)} GPU(s) seen only by lspci (no driver or vendor tool answered)")
    return extra
