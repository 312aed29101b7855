"""The typed model of what a node offers (system discovery's core).

One ``SystemInfo`` describes one node type. It is produced by probing the local machine
(``xaas_parsl.discovery.probe``) or by loading a file in either format:

* ``native``: ``SystemInfo.to_dict()`` / ``SystemInfo.from_dict()``, documented by the JSON
  Schema ``xaas_parsl/schemas/system-native.schema.json``. It carries what upstream's format has
  no key for (AVX-512 FMA units, SVE vector length, GPU memory, container runtimes).
* ``xaas``: upstream XaaS's discovery format (``"CPU Info"``, ``"Accelerators"``, ...), converted
  by ``xaas_parsl.discovery.upstream``, which also repairs upstream's known defects on load.

Versions are always ``str | None``: ``None`` means *unknown*, never a sentence such as
"Version not found". Intersection treats an unknown version as usable (with a warning).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

GpuVendor = Literal["nvidia", "amd", "intel"]
LibraryKind = Literal["mpi", "blas", "lapack", "scalapack", "fft"]
Language = Literal["c", "cxx", "fortran", "cuda"]


@dataclass(frozen=True)
class CpuInfo:
    """The host CPU.

    ``flags`` uses Linux ``/proc/cpuinfo`` spellings, lower case (``avx512f``, ``avx2``,
    ``fma``, ``fma4``, ``sse4_1``, ``asimd``, ``sve``, ``sve2``, ``vsx``). Files converted from
    upstream only carry upstream's whitelisted subset, so absence of e.g. ``fma`` there is not
    proof of absence; ``flags_complete`` says whether the list is the full flag set.
    """

    architecture: str
    model_name: str | None = None
    vendor: str | None = None
    flags: tuple[str, ...] = ()
    flags_complete: bool = True
    family: int | None = None
    model: int | None = None
    microarchitecture: str | None = None
    fma_units: int | None = None
    sve_vector_bits: int | None = None
    logical_cores: int | None = None


@dataclass(frozen=True)
class Gpu:
    """One accelerator device.

    ``compute_capability`` is NVIDIA's ``major.minor`` (``"9.0"``); for AMD the gfx target
    (``"gfx90a"``); ``None`` for Intel or when unknown. ``runtime_version`` is the highest CUDA
    version the driver supports (NVIDIA) or the HSA/ROCm runtime version (AMD).
    """

    vendor: GpuVendor
    name: str
    compute_capability: str | None = None
    driver_version: str | None = None
    runtime_version: str | None = None
    memory_bytes: int | None = None
    marketing_name: str | None = None
    source: str = "unknown"


@dataclass(frozen=True)
class GpuBackend:
    """A GPU programming environment found on the node (CUDA, HIP, ROCm, SYCL, OpenCL, ...)."""

    name: str
    version: str | None = None
    libraries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    """A library found on the node: an MPI flavour, a BLAS/LAPACK vendor or an FFT library.

    ``name`` is a canonical vendor spelling (MPI: ``MPICH``, ``OpenMPI``, ``IntelMPI``,
    ``CrayMPICH``, ``MVAPICH``, ``UnknownMPI``; BLAS: ``OpenBLAS``, ``MKL``, ``BLIS``, ``BLAS``,
    ``cuBLAS``, ...; FFT: ``FFTW``, ``MKL``, ``cuFFT``, ``rocFFT``, ...).
    """

    kind: LibraryKind
    name: str
    version: str | None = None
    paths: tuple[str, ...] = ()
    source: str = "unknown"


@dataclass(frozen=True)
class Compiler:
    """A compiler executable and the version parsed from its banner."""

    language: Language
    executable: str
    family: str | None = None
    version: str | None = None
    banner: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class ContainerRuntime:
    """A container runtime executable (docker, podman, apptainer, sarus, enroot, ...)."""

    name: str
    version: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class SystemInfo:
    """Everything intersection needs to know about one node type."""

    cpu: CpuInfo
    gpus: tuple[Gpu, ...] = ()
    gpu_backends: tuple[GpuBackend, ...] = ()
    libraries: tuple[Library, ...] = ()
    compilers: tuple[Compiler, ...] = ()
    modules: dict[str, str | None] = field(default_factory=dict)
    container_runtimes: tuple[ContainerRuntime, ...] = ()
    tools: dict[str, str | None] = field(default_factory=dict)
    hostname: str | None = None
    source: str = "discovered"
    notes: tuple[str, ...] = ()

    # -- queries used by intersection -------------------------------------------------------
    def has_flag(self, flag: str) -> bool:
        """Whether the CPU advertises ``flag`` (``/proc/cpuinfo`` spelling)."""
        return flag in self.cpu.flags

    def libraries_of(self, kind: LibraryKind) -> tuple[Library, ...]:
        """Libraries of one kind, in discovery order."""
        return tuple(lib for lib in self.libraries if lib.kind == kind)

    def backend(self, name: str) -> GpuBackend | None:
        """The GPU backend called ``name`` (case-insensitive), if present."""
        wanted = name.casefold()
        return next((b for b in self.gpu_backends if b.name.casefold() == wanted), None)

    def gpus_of(self, vendor: GpuVendor) -> tuple[Gpu, ...]:
        """Devices of one vendor."""
        return tuple(g for g in self.gpus if g.vendor == vendor)

    # -- native JSON --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The documented native JSON form (see ``system-native.schema.json``)."""
        data = asdict(self)
        data = {"format": "xaas-parsl-system", "schema_version": SCHEMA_VERSION, **data}
        plain: dict[str, Any] = _lists(data)
        return plain

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SystemInfo:
        """Rebuild from ``to_dict()`` output (validate with the native schema first)."""
        cpu = data["cpu"]
        return cls(
            cpu=CpuInfo(**{**cpu, "flags": tuple(cpu.get("flags", ()))}),
            gpus=tuple(Gpu(**g) for g in data.get("gpus", ())),
            gpu_backends=tuple(
                GpuBackend(**{**b, "libraries": tuple(b.get("libraries", ()))})
                for b in data.get("gpu_backends", ())
            ),
            libraries=tuple(
                Library(**{**lib, "paths": tuple(lib.get("paths", ()))})
                for lib in data.get("libraries", ())
            ),
            compilers=tuple(Compiler(**c) for c in data.get("compilers", ())),
            modules=dict(data.get("modules", {})),
            container_runtimes=tuple(
                ContainerRuntime(**r) for r in data.get("container_runtimes", ())
            ),
            tools=dict(data.get("tools", {})),
            hostname=data.get("hostname"),
            source=data.get("source", "file"),
            notes=tuple(data.get("notes", ())),
        )


def _lists(value: Any) -> Any:
    """Turn tuples into lists recursively so the dict is plain JSON."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value
