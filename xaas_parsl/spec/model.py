"""Typed view of a specialization-points file (upstream XaaS JSON, corrected schema).

The file format is upstream's (13 top-level keys, ``FFT_libraries`` capitalised); this module
gives intersection a typed, read-only view of the sections it reasons about and keeps the
original dict (``raw``) so that writing a file back never loses fields we do not model
(``other_external_libraries``, free lists, extra per-entry keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SimdEntry:
    """One SIMD choice: ``name`` is the app's own spelling (``AVX_512``, ``AVX512``, ...)."""

    name: str
    build_flag: str | None
    default: bool


@dataclass(frozen=True)
class BackendEntry:
    """A GPU backend or parallel programming library the app can be built with."""

    name: str
    build_flag: str | None
    used_as_default: bool
    minimum_version: str | None


@dataclass(frozen=True)
class BlasEntry:
    """A linear-algebra vendor; ``condition`` is upstream's free-text condition."""

    name: str
    build_flag: str | None
    used_as_default: bool
    condition: str | None


@dataclass(frozen=True)
class FftEntry:
    """An FFT library; ``dependencies`` names the GPU backend(s) a GPU FFT needs (free text)."""

    name: str
    build_flag: str | None
    used_as_default: bool
    built_in: bool
    dependencies: str | None


@dataclass(frozen=True)
class SpecPoints:
    """One application's specialization points."""

    gpu_build: bool
    gpu_build_flag: str | None
    gpu_backends: tuple[BackendEntry, ...]
    parallel_libraries: tuple[BackendEntry, ...]
    linear_algebra: tuple[BlasEntry, ...]
    fft: tuple[FftEntry, ...]
    simd: tuple[SimdEntry, ...]
    compilers: dict[str, str | None]
    architectures: tuple[str, ...]
    build_system: str
    build_system_minimum: str | None
    internal_build_library: str | None
    internal_build_flag: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    source: str | None = None
