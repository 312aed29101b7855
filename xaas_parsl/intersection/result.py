"""Data classes for an intersection: what is available, what was excluded, what was chosen.

``Intersection.to_dict()`` keeps upstream's intersection keys (``vectorization_flags``,
``gpu_backends``, ``parallel_libraries``, ``fft_libraries``, ``linear_algebra_libraries``,
``compiler``) so tools written for upstream's output keep working, but versions are ``null`` when
unknown (never "Unknown") and ``used_as_default`` is a boolean. ``excluded``, ``warnings`` and
``choice`` are ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Upstream section names, in upstream's order.
SECTIONS = (
    "vectorization_flags",
    "gpu_backends",
    "parallel_libraries",
    "fft_libraries",
    "linear_algebra_libraries",
    "compiler",
)


@dataclass(frozen=True)
class Status:
    """Whether one spec entry is usable on the node, the node's version, and why (a sentence).

    ``version_unknown`` marks the docs/architecture.md case "usable, with a warning": the app states
    a minimum and the node's version is not known.
    """

    usable: bool
    version: str | None
    reason: str
    version_unknown: bool = False


@dataclass(frozen=True)
class Available:
    """A spec entry the node can use."""

    section: str
    name: str
    build_flag: str | None
    version: str | None = None
    used_as_default: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Excluded:
    """A spec entry the node cannot use, and why (one sentence)."""

    section: str
    name: str
    reason: str


@dataclass
class Choice:
    """The configuration chosen for the node and the exact CMake arguments that build it."""

    simd: str | None = None
    gpu_backend: str | None = None
    cuda_architectures: list[str] | None = None
    parallel: list[str] = field(default_factory=list)
    fft: str | None = None
    gpu_fft: str | None = None
    blas: str | None = None
    compiler: str | None = None
    internal_builds: list[str] = field(default_factory=list)
    cmake_args: list[str] = field(default_factory=list)
    extra_flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "simd": self.simd,
            "gpu_backend": self.gpu_backend,
            "cuda_architectures": self.cuda_architectures,
            "parallel": self.parallel,
            "fft": self.fft,
            "gpu_fft": self.gpu_fft,
            "blas": self.blas,
            "compiler": self.compiler,
            "internal_builds": self.internal_builds,
            "cmake_args": self.cmake_args,
            "extra_flags": self.extra_flags,
            "reasons": self.reasons,
        }


@dataclass
class Intersection:
    """Result of intersecting one app's specialization points with one node."""

    available: list[Available]
    excluded: list[Excluded]
    warnings: list[str]
    choice: Choice
    system: dict[str, Any]
    spec: str | None
    policy: dict[str, Any]

    def names(self, section: str) -> list[str]:
        """Available entry names of one section, in spec order."""
        return [a.name for a in self.available if a.section == section]

    def to_dict(self) -> dict[str, Any]:
        """JSON document printed by ``xaas intersect``."""
        out: dict[str, Any] = {"system": self.system, "spec": self.spec}
        for section in SECTIONS:
            entries = [a for a in self.available if a.section == section]
            if section == "vectorization_flags":
                out[section] = {a.name.lower(): a.build_flag for a in entries}
            elif section == "gpu_backends":
                out[section] = {
                    a.name: {"build_flag": a.build_flag, "version": a.version} for a in entries
                }
            elif section == "compiler":
                out[section] = {
                    a.name: {
                        "build_flag": a.build_flag,
                        "version": a.version,
                        "used_as_default": a.used_as_default,
                        "language": a.language,
                    }
                    for a in entries
                }
            else:
                out[section] = {
                    a.name: {
                        "build_flag": a.build_flag,
                        "version": a.version,
                        "used_as_default": a.used_as_default,
                    }
                    for a in entries
                }
        out["excluded"] = [
            {"section": e.section, "name": e.name, "reason": e.reason} for e in self.excluded
        ]
        out["warnings"] = self.warnings
        out["policy"] = self.policy
        out["choice"] = self.choice.to_dict()
        return out
