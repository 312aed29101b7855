"""Choosers for GPU backend, parallel libraries, FFT and BLAS.

Rules (each decision also writes one sentence to ``choice.reasons``):

* GPU: usable backends per ``gpu.backend_status``; the policy's wish, else the node vendor's
  native backend (CUDA on NVIDIA, HIP on AMD, SYCL on Intel); ``use_gpu: false`` builds for CPU.
* MPI when the node has an MPI library (``use_mpi`` forces either way); thread-MPI only without
  MPI; OpenMP whenever a compiler provides it.
* CPU FFT: the app's default when the node has it; a built-in default is replaced by an
  optimised library the node provides; a missing library the app can build itself is built
  internally. GPU FFT: only with a GPU backend it depends on, the backend's native one first.
* BLAS: the app's default when usable, otherwise only what the policy asks for.
"""

from __future__ import annotations

from collections.abc import Iterable

from xaas_parsl.errors import PolicyError
from xaas_parsl.intersection import gpu
from xaas_parsl.intersection.context import Context
from xaas_parsl.intersection.flags import option_name
from xaas_parsl.intersection.libraries import (
    GPU_FFT_DEFAULT_DEPS,
    blas_library,
    blas_requirement,
    fft_is_builtin,
    fft_library,
    is_mpi,
    is_openmp,
    is_thread_mpi,
    key,
    parallel_status,
    parse_dependencies,
)
from xaas_parsl.intersection.result import Available
from xaas_parsl.spec.model import FftEntry


def choose_gpu(ctx: Context) -> None:
    """Usable GPU backends and the chosen one (with CUDA architectures)."""
    spec = ctx.spec
    usable: list[str] = []
    for entry in spec.gpu_backends:
        if not spec.gpu_build:
            ctx.drop("gpu_backends", entry.name, "the application's gpu_build is false")
            continue
        status = gpu.backend_status(ctx.system, entry.name, entry.minimum_version)
        if not status.usable:
            ctx.drop("gpu_backends", entry.name, status.reason)
            continue
        if status.version_unknown:
            ctx.warn(status.reason)
        usable.append(entry.name)
        ctx.keep(Available("gpu_backends", entry.name, entry.build_flag, status.version,
                           entry.used_as_default))
    default: str | None = None
    for vendor in dict.fromkeys(g.vendor for g in ctx.system.gpus):
        for wanted in gpu.VENDOR_ORDER[vendor]:
            default = next((n for n in usable if key(n) == wanted), None)
            if default:
                break
        if default:
            break
    if ctx.policy.use_gpu is False:
        chosen = None
        ctx.reason("GPU: none, the policy asks for a CPU-only build.")
    else:
        chosen = ctx.pick("gpu_backend", usable, default)
        if chosen is None and ctx.policy.use_gpu:
            raise PolicyError("the policy requires a GPU build but no GPU backend is usable")
    for entry in spec.gpu_backends:
        if entry.name != chosen and entry.used_as_default:
            ctx.enable(entry.build_flag, "OFF")
    if chosen is None:
        if ctx.policy.use_gpu is not False:
            ctx.reason("GPU: none, no GPU backend of the application is usable on the node.")
        return
    entry = next(e for e in spec.gpu_backends if e.name == chosen)
    if spec.gpu_build_flag and option_name(spec.gpu_build_flag) != option_name(entry.build_flag):
        ctx.enable(spec.gpu_build_flag)
    ctx.enable(entry.build_flag or spec.gpu_build_flag)
    ctx.choice.gpu_backend = chosen
    if not ctx.policy.preferred("gpu_backend"):
        ctx.reason(f"GPU: {chosen}, the native backend of the node's GPUs.")
    if key(chosen) == "cuda":
        archs, why = gpu.cuda_architectures(ctx.system)
        ctx.choice.cuda_architectures = archs
        if archs:
            ctx.choice.cmake_args.append(f"-DCMAKE_CUDA_ARCHITECTURES={';'.join(archs)}")
        else:
            ctx.warn(why)
        ctx.reason(f"CUDA architectures: {why}.")


def choose_parallel(ctx: Context) -> None:
    """MPI / thread-MPI / OpenMP (and other parallel libraries)."""
    usable: dict[str, bool] = {}
    for entry in ctx.spec.parallel_libraries:
        status = parallel_status(ctx.system, entry.name, entry.minimum_version)
        if not status.usable:
            ctx.drop("parallel_libraries", entry.name, status.reason)
            if entry.used_as_default:
                ctx.enable(entry.build_flag, "OFF")
            continue
        if status.version_unknown:
            ctx.warn(status.reason)
        usable[entry.name] = True
        ctx.keep(Available("parallel_libraries", entry.name, entry.build_flag, status.version,
                           entry.used_as_default))
    mpi = next((n for n in usable if is_mpi(n)), None)
    pol = ctx.policy
    want_mpi = pol.use_mpi if pol.use_mpi is not None else mpi is not None
    if pol.use_mpi and mpi is None:
        raise PolicyError("the policy requires MPI but the node has no usable MPI library")
    for entry in ctx.spec.parallel_libraries:
        name = entry.name
        if name not in usable:
            continue
        if is_mpi(name):
            on = bool(want_mpi) and name == mpi
            why = "the node has an MPI library" if pol.use_mpi is None else "the policy says so"
        elif is_thread_mpi(name):
            on = not want_mpi and entry.used_as_default
            why = "real MPI is used instead" if want_mpi else "no MPI: single-node thread-MPI"
        elif is_openmp(name):
            on = pol.use_openmp is not False
            why = "the compiler supports it" if on else "the policy disables it"
        else:
            on = entry.used_as_default
            why = "the application's default"
        if on:
            ctx.choice.parallel.append(name)
            ctx.enable(entry.build_flag, "ON")
        elif entry.used_as_default or is_mpi(name):
            ctx.enable(entry.build_flag, "OFF")
        ctx.reason(f"{name}: {'on' if on else 'off'}, {why}.")


def _fft_groups(entries: Iterable[FftEntry]) -> dict[str | None, list[FftEntry]]:
    groups: dict[str | None, list[FftEntry]] = {}
    for entry in entries:
        groups.setdefault(option_name(entry.build_flag), []).append(entry)
    return groups


def _gpu_deps(entry: FftEntry) -> list[tuple[str, str | None]]:
    return parse_dependencies(entry.dependencies or GPU_FFT_DEFAULT_DEPS.get(key(entry.name)))


def choose_fft(ctx: Context) -> None:
    """CPU and GPU FFT libraries, one per option variable."""
    for entries in _fft_groups(ctx.spec.fft).values():
        is_gpu_group = any(e.dependencies or key(e.name) in GPU_FFT_DEFAULT_DEPS
                           for e in entries)
        if is_gpu_group:
            _choose_gpu_fft(ctx, entries)
        else:
            _choose_cpu_fft(ctx, entries)


def _choose_cpu_fft(ctx: Context, entries: list[FftEntry]) -> None:
    internal = key(ctx.spec.internal_build_library or "")
    found: list[str] = []
    internal_ok: list[str] = []
    for entry in entries:
        if fft_is_builtin(entry.name, entry.built_in):
            ctx.keep(Available("fft_libraries", entry.name, entry.build_flag, None,
                               entry.used_as_default))
            found.append(entry.name)
            continue
        lib = fft_library(ctx.system, entry.name)
        if lib is not None:
            ctx.keep(Available("fft_libraries", entry.name, entry.build_flag, lib.version,
                               entry.used_as_default))
            found.append(entry.name)
        elif internal and key(entry.name).startswith(internal[:4]):
            ctx.keep(Available("fft_libraries", entry.name, entry.build_flag, None,
                               entry.used_as_default))
            internal_ok.append(entry.name)
        else:
            ctx.drop("fft_libraries", entry.name, f"{entry.name} not found on the node")
    default = next((e.name for e in entries if e.used_as_default), None)
    auto: str | None
    optimised = [n for n in found
                 if not fft_is_builtin(n, next(e for e in entries if e.name == n).built_in)]
    if default in optimised:
        auto, why = default, "the application's default, found on the node"
    elif optimised and (default is None or default in found):
        auto, why = optimised[0], "an optimised FFT the node provides, preferred over built-in"
    elif default in internal_ok:
        auto, why = default, "the application's default, built by the application itself"
    elif found:
        auto, why = found[0], "the only FFT usable without extra libraries"
    else:
        auto = internal_ok[0] if internal_ok else None
        why = "built by the application"
    chosen = ctx.pick("fft", found + internal_ok, auto)
    if chosen is None:
        return
    entry = next(e for e in entries if e.name == chosen)
    ctx.choice.fft = chosen
    ctx.enable(entry.build_flag)
    if chosen in internal_ok and ctx.spec.internal_build_flag:
        ctx.enable(ctx.spec.internal_build_flag)
        ctx.choice.internal_builds.append(ctx.spec.internal_build_library or chosen)
        why = f"{why}; the node has no {chosen}, so the application builds its own"
    if not ctx.policy.preferred("fft"):
        ctx.reason(f"FFT: {chosen}, {why}.")


def _choose_gpu_fft(ctx: Context, entries: list[FftEntry]) -> None:
    backends = {key(a.name): a.name for a in ctx.available if a.section == "gpu_backends"}
    chosen_backend = key(ctx.choice.gpu_backend or "")
    vendors: set[str] = {g.vendor for g in ctx.system.gpus}
    usable: list[str] = []
    for entry in entries:
        deps = _gpu_deps(entry)
        if key(entry.name) == "none":
            usable.append(entry.name)
            ctx.keep(Available("fft_libraries", entry.name, entry.build_flag, None, False))
            continue
        ok = [(b, q) for b, q in deps if key(b) in backends and _qualifier_ok(b, q, vendors)]
        if key(entry.name) == "rocfft" and "amd" not in vendors:
            ok = []
        if not ok:
            needs = entry.dependencies or GPU_FFT_DEFAULT_DEPS.get(key(entry.name), "a GPU")
            ctx.drop("fft_libraries", entry.name, f"needs {needs}, not usable on this node")
            continue
        usable.append(entry.name)
        ctx.keep(Available("fft_libraries", entry.name, entry.build_flag, None,
                           entry.used_as_default))
    if not chosen_backend:
        return
    matching = [n for n in usable
                if any(key(b) == chosen_backend for b, _ in
                       _gpu_deps(next(e for e in entries if e.name == n)))]
    native = {"cuda": "cufft", "hip": "rocfft", "sycl": "mkl", "opencl": "clfft"}
    auto = next((n for n in matching if key(n) == native.get(chosen_backend)),
                matching[0] if matching else None)
    chosen = ctx.pick("gpu_fft", matching, auto)
    if chosen is None:
        return
    entry = next(e for e in entries if e.name == chosen)
    ctx.choice.gpu_fft = chosen
    ctx.enable(entry.build_flag)
    if not ctx.policy.preferred("gpu_fft"):
        ctx.reason(f"GPU FFT: {chosen}, the FFT library for {ctx.choice.gpu_backend}.")


def _qualifier_ok(backend: str, qualifier: str | None, vendors: set[str]) -> bool:
    """``SYCL(ACPP)`` needs AdaptiveCpp; on Intel GPUs the SYCL implementation is DPC++."""
    if key(backend) != "sycl" or qualifier is None:
        return True
    q = key(qualifier)
    return q in {"dpc", "dpcpp", "oneapi"} if "intel" in vendors else q in {"acpp", "hipsycl"}


def choose_blas(ctx: Context) -> None:
    """Linear algebra: report what is usable; enable the default or the policy's wish."""
    usable: list[str] = []
    gpu_backends = {key(a.name) for a in ctx.available if a.section == "gpu_backends"}
    for entry in ctx.spec.linear_algebra:
        need = blas_requirement(entry.name, entry.build_flag)
        kind, _, what = need.partition(":")
        version: str | None = None
        if kind == "backend":
            ok = key(what) in gpu_backends
            why = f"needs the {what} backend"
        elif kind == "os":
            ok, why = False, f"only on {what}"
        else:
            lib = blas_library(ctx.system, what)
            ok, why = lib is not None, "no matching BLAS/LAPACK library on the node"
            version = lib.version if lib else None
        if not ok:
            ctx.drop("linear_algebra_libraries", entry.name, why)
            continue
        usable.append(entry.name)
        ctx.keep(Available("linear_algebra_libraries", entry.name, entry.build_flag, version,
                           entry.used_as_default))
    default = next((e.name for e in ctx.spec.linear_algebra
                    if e.used_as_default and e.name in usable), None)
    chosen = ctx.pick("blas", usable, default)
    if chosen is None:
        if usable:
            ctx.reason("BLAS: none enabled explicitly (not the application's default); "
                       "prefer blas=<name> to enable one.")
        return
    entry = next(e for e in ctx.spec.linear_algebra if e.name == chosen)
    ctx.choice.blas = chosen
    ctx.enable(entry.build_flag)
    if not ctx.policy.preferred("blas"):
        ctx.reason(f"BLAS: {chosen}, the application's default.")
